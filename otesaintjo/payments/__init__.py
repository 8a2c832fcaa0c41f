"""Payments: the only package that imports stripe (gateway protocol + Stripe implementation)."""
