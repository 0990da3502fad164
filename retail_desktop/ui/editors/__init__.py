"""Editors that change a project: annotation mode (zones to come)."""
