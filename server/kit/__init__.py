"""Shared building blocks, one named module each."""
