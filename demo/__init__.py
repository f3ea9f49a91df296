"""The demo site: the course, quizzes, exercises and users `manage.py load_demo` loads.

It sits on top of every app (it imports courses, quizzes and grader), so none of them
depends on it; the content itself is in course/, quizzes/ and exercises/ beside this file.
"""
