"""Assessing: every indicator for every commune at once, through its kind."""
