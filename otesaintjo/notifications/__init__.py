"""Outgoing messages (email now, SMS later) behind small protocols, with French templates."""
