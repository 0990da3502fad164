"""behavior layer."""
