"""Shared test helpers: the only place test modules import from (never from each other)."""
