"""Databourse: an open data exchange with a chain-anchored, tamper-evident journal."""

__version__ = "0.1.0"
