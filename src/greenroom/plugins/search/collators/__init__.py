"""Collators the search plugin ships: the software catalog's entities."""
