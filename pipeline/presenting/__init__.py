"""Presenting: one view of each year, and the words people read."""
