"""Otesaintjo: the GraphQL API of Saint-Joseph's local shops marketplace."""

__version__ = "0.1.0"
