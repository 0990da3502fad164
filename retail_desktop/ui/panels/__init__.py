"""Dockable panels: each one reads the domain and never owns it."""
