"""`./bin/run` (core.devstack) starts again a worker that exited, as systemd does in
production: regression for a quiz worker that exits when the broker is killed under it
(kombu's restore_unacked on a closed channel), which left the quick start without one."""

from __future__ import annotations

import subprocess
import sys

from core.devstack import RESTART_SECONDS, restart_exited, stop_process


def test_an_exited_worker_is_started_again_after_the_pause_and_the_web_never_is():
    def start(name: str) -> subprocess.Popen[bytes]:
        code = "import time; time.sleep(60)" if name != "exits" else "raise SystemExit(3)"
        return subprocess.Popen([sys.executable, "-c", code])

    processes = {"web": start("exits"), "worker-quiz": start("exits"), "beat": start("runs")}
    for process in processes.values():
        if process.args[-1].startswith("raise"):
            process.wait()
    first_quiz, beat = processes["worker-quiz"], processes["beat"]
    exited_at: dict[str, float] = {}
    try:
        # when: the exit is seen, then the pause passes
        assert restart_exited(processes, start, exited_at=exited_at, now=100.0) == []
        later = 100.0 + RESTART_SECONDS
        assert restart_exited(processes, start, exited_at=exited_at, now=later) == ["worker-quiz"]

        # then: a new worker process runs; beat (running) and the web (the stack's own exit)
        # are left as they were
        assert processes["worker-quiz"] is not first_quiz
        assert processes["worker-quiz"].poll() is None
        assert processes["beat"] is beat
        assert processes["web"].returncode == 3
        assert exited_at == {}
    finally:
        for process in processes.values():
            stop_process(process, timeout=5)
