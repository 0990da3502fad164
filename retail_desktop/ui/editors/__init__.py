"""Editors drawn over camera frames (zones, annotations)."""
