"""Offline government-affairs assistant for the 高效办成一件事 reform."""

__version__ = "0.1.0"
