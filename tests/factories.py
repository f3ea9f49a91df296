"""factory_boy factories for the course structure and quizzes, and `exercise_stored`.

Questions and exercises are written as the site writes them, through their authoring
services' write functions (their versions; the guard in tests/conftest.py checks it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone
from factory.django import DjangoModelFactory

from courses.markdown import render_markdown
from courses.models import Course, Part, Section
from grader.models import CodingExercise
from grader.services import exercise_write
from quizzes.authoring import question_write
from quizzes.models import Answer, Attempt, Question, Quiz


class CourseFactory(DjangoModelFactory[Course]):
    class Meta:
        model = Course
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    description = "A course for tests."
    language = Course.Language.RUSSIAN


class PartFactory(DjangoModelFactory[Part]):
    class Meta:
        model = Part

    course = factory.SubFactory(CourseFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Part title {n}")
    description = "What this part covers."
    study_time = "2 недели"
    order = factory.SelfAttribute("number")


class SectionFactory(DjangoModelFactory[Section]):
    class Meta:
        model = Section

    part = factory.SubFactory(PartFactory)
    # Globally unique sequence, so numbers and slugs never clash within a part.
    number = factory.LazyAttributeSequence(lambda o, n: f"{o.part.number}.{n + 1}")
    title = factory.Sequence(lambda n: f"Section title {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    topics = factory.LazyFunction(lambda: ["First topic", "Second topic"])
    status = Section.Status.PUBLISHED
    material = factory.Sequence(lambda n: f"Material of section {n}.")
    # What the services store: the sanitised rendering of `material`.
    material_html = factory.LazyAttribute(lambda o: render_markdown(o.material))
    order = factory.Sequence(lambda n: n)

    class Params:
        planned = factory.Trait(status=Section.Status.PLANNED, material="", material_html="")
        archived = factory.Trait(status=Section.Status.ARCHIVED)


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"learner{n}")


class QuizFactory(DjangoModelFactory[Quiz]):
    class Meta:
        model = Quiz

    section = factory.SubFactory(SectionFactory)
    title = factory.Sequence(lambda n: f"Quiz {n}")
    pass_score = 60


class QuestionFactory(DjangoModelFactory[Question]):
    """A single-choice question worth 1 point whose right choice is "b"."""

    class Meta:
        model = Question

    @classmethod
    def _create(cls, model_class: type[Question], *args: Any, **kwargs: Any) -> Question:
        # (keywords only: factory_boy passes no positional ones, and django-stubs reads a
        # `*args` as the primary key's value, an error or not by the order mypy checks in)
        assert not args, args
        question = model_class(**kwargs)
        question_write(question=question)
        return question

    quiz = factory.SubFactory(QuizFactory)
    type = "single_choice"
    text = factory.Sequence(lambda n: f"Question {n}?")
    points = Decimal("1")
    order = factory.Sequence(lambda n: n)
    spec = factory.LazyFunction(
        lambda: {
            "choices": [
                {"id": "a", "text": "горутина", "weight": 0, "feedback": ""},
                {"id": "b", "text": "канал", "weight": 100, "feedback": "Верно"},
                {"id": "c", "text": "мьютекс", "weight": 0, "feedback": ""},
            ]
        }
    )


def exercise_stored(**values: Any) -> CodingExercise:
    """An exercise row as given (no check, no publishing logic), written as the site writes
    one: what `CodingExercise.objects.create` was in the tests."""
    exercise = CodingExercise(**values)
    exercise_write(exercise=exercise)
    return exercise


def answer_awaiting_grade(*, question_title: str) -> Answer:
    """A learner's submitted answer to an essay question, waiting for an instructor's grade."""
    question = QuestionFactory.create(type="essay", title=question_title, spec={})
    attempt = Attempt.objects.create(
        learner=UserFactory.create(), quiz=question.quiz, number=1, seed=1,
        started_at=timezone.now(), status="submitted", awaiting_manual_grading=True,
    )  # fmt: skip
    return Answer.objects.create(
        attempt=attempt, question=question, saved_at=timezone.now(),
        response={"text": "Каналы передают значения."}, needs_manual_grading=True,
    )  # fmt: skip
