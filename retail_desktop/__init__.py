"""Retail Desktop: review retail CCTV footage (detection, tracking, behaviour, store analytics)."""

__version__ = "0.1.0"
