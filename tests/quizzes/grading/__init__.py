"""Tests of the pure grading core."""
