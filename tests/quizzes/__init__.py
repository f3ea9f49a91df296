"""Tests of the quizzes app."""
