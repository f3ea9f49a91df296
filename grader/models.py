"""Coding exercise models (built in the code grading issue)."""
