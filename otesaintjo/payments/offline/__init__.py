"""Offline payments for development and tests: localstripe (a separate process, GPL, never
imported) and our Connect double. No real money moves here."""
