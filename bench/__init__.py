"""Benchmarks: scripts that print numbers (run them from the repository root)."""
