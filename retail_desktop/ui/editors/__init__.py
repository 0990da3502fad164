"""Editors that change a project: zones drawn over camera frames, annotation mode."""
