"""Workers on several hosts (issue 26, item 2): three worker hosts, each a network namespace
with its own address (ops.hosts), grade quiz attempts and code submissions from one database
and one broker, Redis or RabbitMQ; one host's processes are all killed (SIGKILL) in the
middle of the load. The other two finish everything: nothing lost, nothing graded twice,
progress as a recomputation finds it, no sandbox left running.

On SQLite (the suite's first pass) the hosts share the database file, since the namespaces
split only the network; on PostgreSQL (.ci/run's second pass) they reach it over their own
network, through the host's forwarder, as separate machines would.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from grader.models import Submission
from grader.sandbox import PEER_UID_OFFSET, sandbox_available
from grader.services import exercise_import, submission_create
from ops.hosts import host_kill, worker_hosts
from progress.services import progress_reconcile
from quizzes.models import Attempt
from quizzes.services import attempt_save_answers, attempt_start, attempt_submit
from tests.conftest import SANDBOX_UID_RANGE, celery_app_using, worker_database_url
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.grader.test_grading_worker import demo_exercise
from webhooks.models import PendingEvent, WebhookEndpoint

pytestmark = [pytest.mark.slow, pytest.mark.services]

HOSTS = 3
ATTEMPTS = 200  # quiz attempts at least, submitted while the hosts grade
SUBMISSIONS = 15  # code submissions at least, a third of them failing
# Redis gives a dead worker's messages back after the visibility timeout: 15 s rather than
# the default 45 keeps the test short (the mechanism is the same; task limits follow it).
VISIBILITY_TIMEOUT = "15"


def brokers_for_this_pass() -> list[str]:
    """CI runs the suite twice (.ci/run): on the embedded SQLite with Redis, then on PostgreSQL.
    The hosts test takes a minute a broker, so each pass runs one: Redis on the SQLite pass,
    RabbitMQ against PostgreSQL (what a production with several hosts has). Both, or another
    choice, with WORKER_HOSTS_BROKERS=redis,rabbitmq."""
    chosen = os.environ.get("WORKER_HOSTS_BROKERS", "")
    if chosen:
        return [name.strip() for name in chosen.split(",") if name.strip()]
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    return ["rabbitmq"] if postgres else ["redis"]


@pytest.fixture(params=brokers_for_this_pass())
def broker_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The broker the test process publishes to and the hosts' workers consume from."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_broker_url")
        env = {"REDIS_URL": url, "CELERY_BROKER_URL": ""}
        env["CELERY_VISIBILITY_TIMEOUT"] = VISIBILITY_TIMEOUT
    else:
        url = request.getfixturevalue("rabbitmq_url")
        # No Redis at all: the rate-limit cache falls back to files (docs/deploy.md).
        env = {"REDIS_URL": "", "CELERY_BROKER_URL": url}
    with celery_app_using(url, purge=request.param == "redis"):
        yield env
    if request.param == "redis":  # the events' fan-outs, which no worker here consumes
        with celery_app_using(url, purge=False):
            from config.celery import app

            with app.connection_for_write() as connection:
                connection.default_channel.queue_purge("webhooks")  # type: ignore[attr-defined]


def sandbox_processes_of_session(first_uid: int) -> list[str]:
    """Processes of any of this session's sandbox uids (every host's, learner processes too),
    as `pid uid cmdline`."""
    ranges = [range(first, first + SANDBOX_UID_RANGE)
              for first in (first_uid, first_uid + PEER_UID_OFFSET)]  # fmt: skip
    found = []
    for entry in os.scandir("/proc"):
        try:
            uid = entry.stat().st_uid
            if entry.name.isdigit() and any(uid in r for r in ranges):
                cmdline = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ")
                found.append(f"{entry.name} {uid} {cmdline.decode(errors='replace')}")
        except OSError:
            continue
    return found


def graded_counts() -> tuple[int, int]:
    return (
        Attempt.objects.filter(status=Attempt.Status.GRADED).count(),
        Submission.objects.filter(status__in=["graded", "error"]).count(),
    )


class Load:
    """Quiz attempts and code submissions submitted as the site does, with what each grade
    must be."""

    def __init__(self, quiz, exercise) -> None:
        self.quiz, self.exercise = quiz, exercise
        self.questions = list(quiz.questions.all())
        self.right: dict[int, int] = {}  # attempt id -> right answers given
        self.verdicts: dict[int, str] = {}  # submission id -> its verdict

    def attempts(self, count: int) -> None:
        for _ in range(count):
            n = len(self.right)
            attempt = attempt_start(learner=UserFactory.create(), quiz=self.quiz)
            chosen = {q.pk: {"choice": "b" if (n + i) % 3 else "a"}
                      for i, q in enumerate(self.questions)}  # fmt: skip
            attempt_save_answers(attempt=attempt, responses=chosen)
            attempt_submit(attempt=attempt)
            self.right[attempt.pk] = sum(1 for r in chosen.values() if r["choice"] == "b")

    def submissions(self, count: int) -> None:
        for _ in range(count):
            failing = len(self.verdicts) % 3 == 0  # a third are the starter code
            files = self.exercise.starter_files if failing else self.exercise.reference_files
            submission = submission_create(
                learner=UserFactory.create(), exercise=self.exercise, files=files
            )
            self.verdicts[submission.pk] = "failed" if failing else "passed"

    def waiting(self) -> tuple[int, int]:
        """Quiz attempts and code submissions submitted and not graded yet."""
        quiz_done, code_done = graded_counts()
        return len(self.right) - quiz_done, len(self.verdicts) - code_done


def test_killing_one_worker_host_loses_nothing_and_grades_nothing_twice(
    broker_env, transactional_db, tmp_path: Path, go_cache: Path
):
    first_uid = settings.GRADER_SANDBOX_UID  # this session's (tests/conftest.py)
    assert sandbox_available(), "bubblewrap is not installed (bin/setup installs it)"
    # given: a quiz of 4 questions, a Python exercise, and an active webhook endpoint, so
    # that every grading also writes one outbox row (PendingEvent) in its transaction: two
    # rows for one attempt or submission would mean it was graded twice. No webhooks worker
    # runs, so the rows stay.
    section = SectionFactory.create()
    quiz = QuizFactory.create(section=section)
    QuestionFactory.create_batch(4, quiz=quiz)
    imported = exercise_import(path=demo_exercise("python"), section=section)
    assert imported.check.ok, imported.check.report
    WebhookEndpoint.objects.create(
        owner=UserFactory.create(is_staff=True), url="https://hooks.example.invalid/zachet",
        secret="s" * 32, events=["attempt.graded", "submission.graded"],
    )  # fmt: skip
    load = Load(quiz, imported.exercise)
    env = {**broker_env, "DATABASE_URL": worker_database_url(), "ZACHET_VAR_DIR": str(tmp_path),
           "GRADER_GO_CACHE": str(go_cache)}  # warm: code workers start in seconds  # fmt: skip
    workers = {"quiz": 1, "code": 1}

    with worker_hosts(
        HOSTS, env=env, workers=workers, sandbox_uid=first_uid, log_dir=tmp_path
    ) as hosts:
        # when: the hosts grade a load kept waiting in both queues, and once they have graded
        # some of each, every process of the first host is killed; then more load comes
        deadline = time.monotonic() + 120
        while graded_counts()[0] < 20 or graded_counts()[1] < 3:
            assert time.monotonic() < deadline, f"graded {graded_counts()} in 120 s"
            quiz_waiting, code_waiting = load.waiting()
            load.attempts(10 if quiz_waiting < 10 else 0)
            load.submissions(3 if code_waiting < 3 else 0)
            time.sleep(0.1)
        # (a burst: the workers keep up with work submitted one by one; this is published
        # all at once when the transaction commits)
        with transaction.atomic():
            load.attempts(40)
            load.submissions(2 * HOSTS)
        waiting_at_kill = load.waiting()
        killed = host_kill(hosts[0])
        graded_at_kill = graded_counts()
        load.attempts(max(20, ATTEMPTS - len(load.right)))
        load.submissions(max(3, SUBMISSIONS - len(load.verdicts)))
        assert min(waiting_at_kill) > 0, waiting_at_kill  # work in both queues at the kill
        # the killed host ran the main process and the pool process of each worker
        assert len(killed) >= 2 * len(workers), killed

        # then: the other hosts finish everything
        deadline = time.monotonic() + 120
        while load.waiting() != (0, 0):
            assert time.monotonic() < deadline, (
                f"waiting {load.waiting()}; killed at {graded_at_kill} graded; attempts: "
                f"{Counter(Attempt.objects.values_list('status', flat=True))}"
            )
            time.sleep(0.3)
        assert all(process.poll() is None for h in hosts[1:] for process in h.workers.values())

    print(
        f"\nkilled {hosts[0].name} at {graded_at_kill} graded, {waiting_at_kill} waiting "
        f"(quiz, code); {len(load.right)} attempts, {len(load.verdicts)} submissions in all"
    )
    # nothing lost, every grade right
    attempts = Attempt.objects.filter(quiz=quiz)
    assert {a.pk: int(a.score) for a in attempts if a.score is not None} == load.right
    submissions = Submission.objects.filter(exercise=imported.exercise)
    assert {s.pk: s.verdict for s in submissions} == load.verdicts
    assert {s.status for s in submissions} == {Submission.Status.GRADED}
    # nothing graded twice: one grading run per attempt, one outbox row per grading
    assert set(attempts.values_list("grading_runs", flat=True)) == {1}
    events = Counter(
        PendingEvent.objects.filter(event__in=["attempt.graded", "submission.graded"])
        .values_list("event", "object_id")
    )  # fmt: skip
    assert events == Counter(
        [("attempt.graded", pk) for pk in load.right]
        + [("submission.graded", pk) for pk in load.verdicts]
    )
    # progress as a recomputation from the grades finds it
    reconciled = progress_reconcile()
    assert (reconciled.items_fixed, reconciled.sections_fixed) == (0, 0), reconciled
    assert reconciled.items_checked > 0
    # and the killed host's learner code died with it: no sandbox process of any host is left
    # (a sandbox goes with its parent, as the kernel gets to it: a moment)
    deadline = time.monotonic() + 5
    while (left := sandbox_processes_of_session(first_uid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []
