"""The review player: camera views, overlay items, heatmap layer and the shared timeline."""
