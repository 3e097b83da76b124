"""Helpers shared by several test layers (one place, not copied per file)."""
