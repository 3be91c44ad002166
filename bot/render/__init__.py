"""Rendering: platform-neutral cards, diff excerpts and redaction. Pure functions, standard library only."""
