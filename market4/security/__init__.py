"""Protections that hold for every response and request, whatever the feature."""
