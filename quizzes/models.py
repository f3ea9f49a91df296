"""Quiz models (built in the quizzes issue)."""
