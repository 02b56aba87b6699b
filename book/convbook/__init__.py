"""Helpers that the book's chapters import: drawing code and shared computations."""
