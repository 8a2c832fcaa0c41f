"""Strawberry types, inputs, enums and permissions; ``root.build_schema`` assembles them."""
