"""Thin resolvers: decode ids → check permission → call one service → build the payload."""
