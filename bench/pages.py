"""Server time of the learner's pages on a full-size course with 1,000 learners.

    .venv/bin/python bench/pages.py [--learners 1000] [--parts 10] [--sections 10]
        [--items 5] [--requests 300] [--database-url URL] [--keep]

PostgreSQL by default (database `zachet_bench_pages` on 127.0.0.1, created if missing);
`--database-url sqlite:///...` works too. Builds a course of parts x sections x
items (quizzes of three questions and published code exercises, alternating) and
enrols the learners with progress spread the way a real cohort's is: most far
behind, a few near the end, everyone's current section half done, some items
failed or in progress. Everything is bulk-created; `--keep` reuses data of the
same shape left by an earlier run.

Each page is then requested --requests times by random learners, each with their
own session, straight through Django's WSGI handler in this process (the whole
middleware stack, the session and user lookups, a production configuration with
DEBUG off): what is timed is what a server spends, without the network. A first
pass under CaptureQueriesContext counts SQL queries per page; a page whose count
varies from learner to learner shows a range.

The instructor's pages (issue 16) are timed the same way, as the course's instructor: the
gradebook (a random page of 50 learners, sorted), a learner's work in a section, the item
analysis of a quiz and of an exercise, the regrades, the similar solutions of an exercise.

Not a test: it prints numbers. Target (issue 5): p95 under 50 ms on every page.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/zachet_bench_pages"
COURSE_SLUG = "bench-pages"
LEARNER_PREFIX = "pages-"
TARGET_P95_MS = 50.0
QUERY_SAMPLE = 20  # untimed requests per page that count queries (and warm up)
BATCH = 5000


def configure(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Production settings: DEBUG would record every query and serve static files.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)


def ensure_database(url: str) -> None:
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# --- the data ------------------------------------------------------------------------


MATERIAL = """# {number} {title}

Горутины и каналы — основа конкурентности в Go. В этом разделе: как запустить
горутину, как дождаться её завершения и как передать данные без гонок.

## Запуск

```go
func main() {{
    done := make(chan struct{{}})
    go func() {{
        defer close(done)
        fmt.Println("работаю")
    }}()
    <-done
}}
```

## Что важно помнить

- горутина стоит несколько килобайт стека;
- `sync.WaitGroup` ждёт группу горутин;
- закрытый канал читается сразу и отдаёт нулевое значение;
- детектор гонок: `go test -race ./...`.

| Приём | Когда |
|---|---|
| канал | передать владение данными |
| мьютекс | защитить общее состояние |
| atomic | один счётчик |

{filler}
"""

FILLER = (
    "Планировщик Go распределяет горутины по потокам операционной системы, и программа "
    "из тысяч горутин работает на нескольких потоках. "
) * 12

STATEMENT = """# {title}

Напишите функцию `Sum(values []int) int`, которая возвращает сумму элементов
среза. Пустой срез даёт 0.

```go
Sum([]int{{1, 2, 3}}) // 6
```
"""

STARTER = {
    "sum.go": (
        "package sum\n\n// Sum returns the sum of values.\n"
        "func Sum(values []int) int {\n\treturn 0\n}\n"
    )
}
SOLUTION = {
    "sum.go": (
        "package sum\n\n// Sum returns the sum of values.\nfunc Sum(values []int) int {\n"
        "\ttotal := 0\n\tfor _, v := range values {\n\t\ttotal += v\n\t}\n\treturn total\n}\n"
    )
}
EXAMPLE = {
    "example_test.go": (
        'package sum\n\nimport "testing"\n\nfunc TestSumExample(t *testing.T) {\n'
        "\tif got := Sum([]int{1, 2, 3}); got != 6 {\n"
        '\t\tt.Fatalf("Sum([1 2 3]) = %d, want 6", got)\n\t}\n}\n'
    )
}
QUESTION_SPECS: list[tuple[str, dict[str, Any]]] = [
    (
        "single_choice",
        {
            "choices": [
                {"id": "a", "text": "горутина", "weight": 0, "feedback": ""},
                {"id": "b", "text": "канал", "weight": 100, "feedback": "Верно"},
                {"id": "c", "text": "мьютекс", "weight": 0, "feedback": ""},
            ]
        },
    ),
    ("true_false", {"answer": True}),
    (
        "numeric",
        {"answers": [{"kind": "tolerance", "value": "3.14", "tolerance": "0.01", "weight": 100}]},
    ),
]


def existing_shape(args: argparse.Namespace) -> str | None:
    """What differs between the data in the database and what was asked; None: it fits."""
    from django.contrib.auth.models import User

    from courses.models import Course, Part, Section
    from grader.models import CodingExercise
    from progress.models import Enrollment
    from quizzes.models import Quiz

    course = Course.objects.filter(slug=COURSE_SLUG).first()
    if course is None:
        return "no bench course"
    found = {
        "parts": Part.objects.filter(course=course).count(),
        "sections": Section.objects.filter(part__course=course).count(),
        "items": Quiz.objects.filter(section__part__course=course).count()
        + CodingExercise.objects.filter(section__part__course=course).count(),
        "learners": Enrollment.objects.filter(
            course=course, learner__username__startswith=LEARNER_PREFIX
        ).count(),
    }
    wanted = {
        "parts": args.parts,
        "sections": args.parts * args.sections,
        "items": args.parts * args.sections * args.items,
        "learners": args.learners,
    }
    if found != wanted:
        return f"found {found}, want {wanted}"
    if User.objects.filter(username__startswith=LEARNER_PREFIX).count() != args.learners:
        return "learner count differs"
    return None


def remove_bench_data() -> None:
    """Delete what an earlier run built; bulky rows with one DELETE each, not row by row."""
    from django.contrib.auth.models import User

    from courses.models import Course
    from grader.models import Submission
    from progress.models import Enrollment, ItemCompletion, SectionProgress
    from quizzes.models import Answer, Attempt

    learners = User.objects.filter(username__startswith=LEARNER_PREFIX)
    Answer.objects.filter(attempt__learner__in=learners)._raw_delete("default")
    for model in (ItemCompletion, SectionProgress, Enrollment, Attempt, Submission):
        model.objects.filter(learner__in=learners)._raw_delete("default")
    Course.objects.filter(slug=COURSE_SLUG).delete()
    learners.delete()


@dataclass
class Rows:
    """Everything for the learners' progress, collected before one bulk insert per table."""

    enrollments: list[Any]
    items: list[Any]
    sections: list[Any]
    attempts: list[Any]
    submissions: list[Any]


def build(args: argparse.Namespace, rng: random.Random) -> None:
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone

    from courses.markdown import render_markdown
    from courses.models import Course, Part, Section
    from grader.models import CodingExercise, Submission
    from progress.models import Enrollment, ItemCompletion, SectionProgress
    from quizzes.models import Attempt, Question, Quiz

    now = timezone.now()
    with transaction.atomic():
        course = Course.objects.create(
            slug=COURSE_SLUG, title="Go: конкурентность (bench)", description="Курс для замеров."
        )
        parts = Part.objects.bulk_create(
            [
                Part(
                    course=course,
                    number=p,
                    title=f"Часть {p}",
                    description="Что в этой части.",
                    study_time="2 недели",
                    order=p,
                )
                for p in range(1, args.parts + 1)
            ]
        )
        sections = Section.objects.bulk_create(
            [
                Section(
                    part=part,
                    number=f"{part.number}.{s}",
                    title=f"Раздел {part.number}.{s}",
                    slug=f"section-{s}",
                    topics=["Горутины", "Каналы", "sync.WaitGroup"],
                    material=(
                        material := MATERIAL.format(
                            number=f"{part.number}.{s}", title="Горутины", filler=FILLER
                        )
                    ),
                    material_html=render_markdown(material),
                    status=Section.Status.PUBLISHED,
                    order=s,
                )
                for part in parts
                for s in range(1, args.sections + 1)
            ],
            batch_size=BATCH,
        )
        # Alternating within a section: quiz, exercise, quiz, ... (3 + 2 of 5).
        quizzes: list[Quiz] = []
        exercises: list[CodingExercise] = []
        for section in sections:
            for j in range(args.items):
                title = f"{section.number} #{j + 1}"
                if j % 2 == 0:
                    quizzes.append(
                        Quiz(
                            section=section,
                            title=f"Тест {title}",
                            instructions="Ответьте на вопросы. *Удачи!*",
                            pass_score=60,
                            max_attempts=3 if j == 0 else None,
                            time_limit=timedelta(minutes=15) if j == 2 else None,
                            order=j,
                        )
                    )
                else:
                    exercises.append(
                        CodingExercise(
                            section=section,
                            slug=f"sum-{j}",
                            title=f"Задача {title}",
                            statement=STATEMENT.format(title=f"Задача {title}"),
                            language=CodingExercise.Language.GO,
                            starter_files=STARTER,
                            test_files={"sum_test.go": "package sum\n"},
                            example_files=EXAMPLE,
                            support_files={"go.mod": "module sum\n\ngo 1.22\n"},
                            reference_files=SOLUTION,
                            points=Decimal(10),
                            order=j,
                            is_published=True,
                            check_status=CodingExercise.CheckStatus.OK,
                            checked_at=now,
                        )
                    )
        Quiz.objects.bulk_create(quizzes, batch_size=BATCH)
        CodingExercise.objects.bulk_create(exercises, batch_size=BATCH)
        Question.objects.bulk_create(
            [
                Question(quiz=quiz, type=kind, text=f"Вопрос {n + 1}?", spec=spec, order=n)
                for quiz in quizzes
                for n, (kind, spec) in enumerate(QUESTION_SPECS)
            ],
            batch_size=BATCH,
        )
        learners = User.objects.bulk_create(
            [
                User(username=f"{LEARNER_PREFIX}{i}", password="!", first_name=f"Ученик {i}")
                for i in range(args.learners)
            ],
            batch_size=BATCH,
        )

        items_of: dict[int, list[Quiz | CodingExercise]] = {s.pk: [] for s in sections}
        for quiz in quizzes:
            items_of[quiz.section_id].append(quiz)
        for exercise in exercises:
            items_of[exercise.section_id].append(exercise)
        rows = Rows([], [], [], [], [])
        for learner in learners:
            rows.enrollments.append(Enrollment(learner=learner, course=course))
            add_learner_progress(rows, learner, sections, items_of, rng, now)

        started = time.perf_counter()
        Enrollment.objects.bulk_create(rows.enrollments, batch_size=BATCH)
        SectionProgress.objects.bulk_create(rows.sections, batch_size=BATCH)
        ItemCompletion.objects.bulk_create(rows.items, batch_size=BATCH)
        Attempt.objects.bulk_create(rows.attempts, batch_size=BATCH)
        Submission.objects.bulk_create(rows.submissions, batch_size=BATCH)
        inserted = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh planner statistics, as autovacuum would give
    print(
        f"built: {len(sections)} sections, {len(quizzes)} quizzes, {len(exercises)} exercises, "
        f"{len(learners)} learners; {len(rows.sections)} section rows, {len(rows.items)} item "
        f"rows, {len(rows.attempts)} attempts, {len(rows.submissions)} submissions "
        f"(inserted in {inserted:.1f} s)",
        flush=True,
    )


def add_learner_progress(
    rows: Rows,
    learner: Any,
    sections: list[Any],
    items_of: dict[int, list[Any]],
    rng: random.Random,
    now: Any,
) -> None:
    """Sections before the learner's current one are complete; the current one is partly."""
    from progress.models import ItemCompletion, SectionProgress
    from quizzes.models import Attempt, Quiz

    # Skewed: most of a cohort is early in the course, a few are near its end.
    current = int(len(sections) * rng.random() ** 1.5)
    for index in range(min(current + 1, len(sections))):
        section = sections[index]
        items = items_of[section.pk]
        done = len(items) if index < current else rng.randrange(len(items))
        recorded_before = len(rows.items)
        for position, item in enumerate(items):
            is_quiz = isinstance(item, Quiz)
            if position < done:
                outcome = "passed"
            elif position == done:
                outcome = rng.choice(["failed", "in_progress", "not_started"])
            else:
                break
            if outcome == "not_started":
                break
            at = now - timedelta(days=len(sections) - index, minutes=position)
            if is_quiz:
                number = 0
                tries = rng.choices([0, 1, 2], weights=[70, 25, 5])[0]
                if outcome == "failed":
                    tries = max(tries, 1)
                failing = [Decimal(rng.randrange(10, 56)) for _ in range(tries)]
                for percent in failing:
                    number += 1
                    rows.attempts.append(graded_attempt(learner, item, number, percent, at, rng))
                best: Decimal | None = max(failing) if failing else None
                if outcome == "passed":
                    number += 1
                    best = Decimal(rng.randrange(60, 101))
                    rows.attempts.append(graded_attempt(learner, item, number, best, at, rng))
                elif outcome == "in_progress":
                    rows.attempts.append(
                        Attempt(
                            learner=learner,
                            quiz=item,
                            number=number + 1,
                            seed=rng.getrandbits(48),
                            status=Attempt.Status.IN_PROGRESS,
                            started_at=now - timedelta(minutes=3),
                            deadline=now + item.time_limit if item.time_limit else None,
                        )
                    )
                if best is not None:
                    rows.items.append(
                        ItemCompletion(
                            learner=learner,
                            section=section,
                            quiz=item,
                            complete=outcome == "passed",
                            score=best,
                        )
                    )
            else:
                tries = rng.choices([0, 1, 2], weights=[50, 35, 15])[0]
                if outcome == "failed":
                    tries = max(tries, 1)
                for _ in range(tries):
                    rows.submissions.append(submission(learner, item, "failed", at))
                if outcome == "passed":
                    rows.submissions.append(submission(learner, item, "passed", at))
                elif outcome == "in_progress":
                    rows.submissions.append(submission(learner, item, "queued", at))
                if outcome == "passed" or tries:
                    passed = outcome == "passed"
                    rows.items.append(
                        ItemCompletion(
                            learner=learner,
                            section=section,
                            exercise=item,
                            complete=passed,
                            score=item.points if passed else Decimal(0),
                        )
                    )
        if len(rows.items) > recorded_before:  # graded items: item_record made the row
            completed = done == len(items)
            rows.sections.append(
                SectionProgress(
                    learner=learner,
                    section=section,
                    items_complete=done,
                    items_total=len(items),
                    completed=completed,
                    completed_at=now - timedelta(days=len(sections) - index) if completed else None,
                )
            )


def graded_attempt(
    learner: Any, quiz: Any, number: int, percent: Decimal, at: Any, rng: random.Random
) -> Any:
    from quizzes.models import Attempt

    return Attempt(
        learner=learner,
        quiz=quiz,
        number=number,
        seed=rng.getrandbits(48),
        status=Attempt.Status.GRADED,
        started_at=at - timedelta(minutes=10),
        submitted_at=at - timedelta(seconds=5),
        graded_at=at,
        score=percent * 3 / 100,
        max_score=Decimal(3),
        percent=percent,
        passed=percent >= quiz.pass_score,
    )


def submission(learner: Any, exercise: Any, outcome: str, at: Any) -> Any:
    from grader.models import Submission

    if outcome == "queued":
        return Submission(
            learner=learner, exercise=exercise, files=STARTER, status=Submission.Status.QUEUED
        )
    passed = outcome == "passed"
    return Submission(
        learner=learner,
        exercise=exercise,
        files=SOLUTION if passed else STARTER,
        status=Submission.Status.GRADED,
        verdict=Submission.Verdict.PASSED if passed else Submission.Verdict.FAILED,
        score=exercise.points if passed else Decimal(0),
        tests_passed=4 if passed else 1,
        tests_total=4,
        results={
            "message": "" if passed else "TestSum: got 0, want 6",
            "tests": [{"name": "TestSum", "status": "pass" if passed else "fail"}],
        },
        runs=1,
        queued_at=at,
        started_at=at,
        graded_at=at,
    )


# --- the measurement -------------------------------------------------------------------


@dataclass
class PageResult:
    name: str
    times_ms: list[float]
    queries: tuple[int, int]  # fewest, most
    kbytes: float
    cpu_ms: float  # this process's CPU per request: Python's share, whatever the load


class Browser:
    """Learners' sessions and requests through the WSGI handler, as a server would make them."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.cookies: dict[int, str] = {}

    def cookie_for(self, learner: Any) -> str:
        from django.conf import settings
        from django.test import Client

        if learner.pk not in self.cookies:
            client = Client()
            client.force_login(learner)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            self.cookies[learner.pk] = f"{settings.SESSION_COOKIE_NAME}={session}"
        return self.cookies[learner.pk]

    def get(self, path: str, cookie: str) -> tuple[int, int]:
        """Status code and body size."""
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path.partition("?")[0],
            "QUERY_STRING": path.partition("?")[2],
            "SCRIPT_NAME": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "localhost",
            "HTTP_COOKIE": cookie,
            "HTTP_ACCEPT_LANGUAGE": "ru",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status: list[str] = []

        def start_response(line: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(line)
            return lambda data: None

        response = self.handler(environ, start_response)
        try:
            size = sum(len(chunk) for chunk in response)
        finally:
            response.close()  # request_finished, as servers do
        return int(status[0].split()[0]), size


def measure(
    browser: Browser,
    name: str,
    pick: Callable[[], tuple[Any, str]],
    requests: int,
) -> PageResult:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _ in range(QUERY_SAMPLE):
        learner, path = pick()
        cookie = browser.cookie_for(learner)
        with CaptureQueriesContext(connection) as captured:
            code, _size = browser.get(path, cookie)
        if code != 200:
            raise SystemExit(f"{name}: GET {path} as {learner.username} gave {code}")
        counts.append(len(captured))
    times = []
    sizes = []
    cpu = 0.0
    for _ in range(requests):
        learner, path = pick()
        cookie = browser.cookie_for(learner)  # outside the timing: a session made beforehand
        started, cpu_started = time.perf_counter(), time.process_time()
        code, size = browser.get(path, cookie)
        times.append((time.perf_counter() - started) * 1000)
        cpu += time.process_time() - cpu_started
        if code != 200:
            raise SystemExit(f"{name}: GET {path} as {learner.username} gave {code}")
        sizes.append(size)
    return PageResult(
        name,
        times,
        (min(counts), max(counts)),
        statistics.mean(sizes) / 1024,
        cpu / requests * 1000,
    )


def run_pages(args: argparse.Namespace, rng: random.Random) -> list[PageResult]:
    from django.contrib.auth.models import User
    from django.urls import NoReverseMatch, reverse

    from courses.models import Part, Section
    from grader.models import CodingExercise
    from quizzes.models import Quiz

    learners = list(User.objects.filter(username__startswith=LEARNER_PREFIX))
    parts = list(Part.objects.filter(course__slug=COURSE_SLUG).values_list("number", flat=True))
    sections = list(
        Section.objects.filter(part__course__slug=COURSE_SLUG).values_list("part__number", "number")
    )
    quizzes = list(
        Quiz.objects.filter(section__part__course__slug=COURSE_SLUG).values_list("pk", flat=True)
    )
    exercises = list(
        CodingExercise.objects.filter(section__part__course__slug=COURSE_SLUG).values_list(
            "pk", flat=True
        )
    )

    def page(url: Callable[[], str]) -> Callable[[], tuple[Any, str]]:
        return lambda: (rng.choice(learners), url())

    def section_url() -> str:
        part_number, number = rng.choice(sections)
        kwargs = {"course_slug": COURSE_SLUG, "part_number": part_number}
        return reverse("courses:section", kwargs={**kwargs, "section_number": number})

    pages: list[tuple[str, Callable[[], str]]] = [
        ("dashboard", lambda: reverse("progress:dashboard")),
        (
            "part",
            lambda: reverse(
                "courses:part",
                kwargs={"course_slug": COURSE_SLUG, "part_number": rng.choice(parts)},
            ),
        ),
        ("section", section_url),
        ("quiz", lambda: reverse("quizzes:quiz", kwargs={"quiz_id": rng.choice(quizzes)})),
    ]
    try:
        reverse("grader:exercise", kwargs={"exercise_id": exercises[0]})
    except NoReverseMatch:
        print("exercise page: skipped, no URL named grader:exercise yet", flush=True)
    else:
        pages.append(
            (
                "exercise",
                lambda: reverse("grader:exercise", kwargs={"exercise_id": rng.choice(exercises)}),
            )
        )
    # The course's instructor, on the pages outside the admin (issue 16).
    from courses.models import Course

    instructor, _ = User.objects.get_or_create(username="bench-instructor")
    Course.objects.get(slug=COURSE_SLUG).instructors.add(instructor)
    section_ids = list(
        Section.objects.filter(part__course__slug=COURSE_SLUG).values_list("pk", flat=True)
    )
    teach = {"course_slug": COURSE_SLUG}
    pages_of_learners = len(learners) // 50 + 1
    instructor_pages: list[tuple[str, Callable[[], str]]] = [
        ("teach", lambda: reverse("teaching:home", kwargs=teach)),
        (
            "gradebook",
            lambda: (
                reverse("teaching:gradebook", kwargs=teach)
                + f"?page={rng.randint(1, pages_of_learners)}"
                + f"&sort={rng.choice(['name', '-progress'])}"
            ),
        ),
        (
            "learner",
            lambda: reverse(
                "teaching:learner_section",
                kwargs={
                    **teach,
                    "learner_id": rng.choice(learners).pk,
                    "section_id": rng.choice(section_ids),
                },
            ),
        ),
        (
            "analysis-q",
            lambda: reverse(
                "teaching:analysis_quiz", kwargs={**teach, "quiz_id": rng.choice(quizzes)}
            ),
        ),
        (
            "analysis-x",
            lambda: reverse(
                "teaching:analysis_exercise",
                kwargs={**teach, "exercise_id": rng.choice(exercises)},
            ),
        ),
        ("regrades", lambda: reverse("teaching:regrades", kwargs=teach)),
        (
            "similar",
            lambda: reverse(
                "teaching:similarity", kwargs={**teach, "exercise_id": rng.choice(exercises)}
            ),
        ),
    ]
    browser = Browser()
    results = []
    for name, url in pages:
        results.append(measure(browser, name, page(url), args.requests))
        print(f"  {name}: done", file=sys.stderr, flush=True)

    def as_instructor(url: Callable[[], str]) -> Callable[[], tuple[Any, str]]:
        return lambda: (instructor, url())

    for name, url in instructor_pages:
        results.append(measure(browser, name, as_instructor(url), args.requests))
        print(f"  {name}: done", file=sys.stderr, flush=True)
    return results


def report(results: list[PageResult]) -> None:
    print(
        f"{'page':<11} {'requests':>8} {'mean':>7} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'max':>7} {'cpu':>6} {'queries':>8} {'KB':>6}  p95 < {TARGET_P95_MS:.0f} ms"
    )
    for r in results:
        q = statistics.quantiles(sorted(r.times_ms), n=100)
        fewest, most = r.queries
        queries = str(fewest) if fewest == most else f"{fewest}-{most}"
        verdict = "yes" if q[94] < TARGET_P95_MS else "no"
        print(
            f"{r.name:<11} {len(r.times_ms):>8} {statistics.mean(r.times_ms):>7.1f} "
            f"{q[49]:>7.1f} {q[94]:>7.1f} {q[98]:>7.1f} {max(r.times_ms):>7.1f} {r.cpu_ms:>6.1f} "
            f"{queries:>8} {r.kbytes:>6.1f}  {verdict}"
        )
    print(
        "times in ms, server side (WSGI handler in process, no network); cpu: this process's"
        " CPU time per request (mean), the part that does not depend on other load"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--sections", type=int, default=10, help="per part")
    parser.add_argument("--items", type=int, default=5, help="per section")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument(
        "--database-url", default=POSTGRES_URL, help="postgres://... or sqlite:///..."
    )
    parser.add_argument("--keep", action="store_true", help="reuse data of this shape if present")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    if args.requests < 2 or min(args.learners, args.parts, args.sections, args.items) < 1:
        parser.error("--requests must be at least 2, the sizes at least 1")

    configure(args.database_url)
    ensure_database(args.database_url)
    import django

    # WhiteNoise warns that STATIC_ROOT was never collected into: no static file is timed.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    differs = existing_shape(args)
    if args.keep and differs is None:
        print("reusing the data of an earlier run (--keep)", flush=True)
    else:
        if args.keep:
            print(f"--keep: rebuilding ({differs})", flush=True)
        remove_bench_data()
        build(args, rng)
    load_before = os.getloadavg()[0]
    results = run_pages(args, rng)
    load_after = os.getloadavg()[0]
    print(
        f"course {args.parts} parts x {args.sections} sections x {args.items} items, "
        f"{args.learners} learners; database {connection.vendor} "
        f"({settings.DATABASES['default']['NAME']}), DEBUG={settings.DEBUG}; load average "
        f"{load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs"
    )
    report(results)
    missed = [
        r.name for r in results if statistics.quantiles(r.times_ms, n=100)[94] >= TARGET_P95_MS
    ]
    print(f"p95 < {TARGET_P95_MS:.0f} ms: {'no (' + ', '.join(missed) + ')' if missed else 'yes'}")


if __name__ == "__main__":
    main()
