"""The cost of one call across the pipe between a Python run's two processes (python_wire.py).

    .venv/bin/python bench/rpc.py [--calls 20000]

Two real processes on this machine (no sandbox: the pipe and the codec are what is measured,
the sandbox adds nothing per call): a learner process serving a small module, and this
process calling it as the tests do. Prints microseconds per call for: a function of plain
values, a method of an object, a call that calls back into the caller, reading an attribute,
and passing a 1000-item list.
"""

from __future__ import annotations

import argparse
import marshal
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from grader.runners import python_wire as wire  # noqa: E402
from grader.runners.python import harness_files  # noqa: E402

LEARNER = """
def add(a, b):
    return a + b

def twice(callback, value):
    return callback(value) + callback(value)

def total(values):
    return sum(values)

class Bucket:
    def __init__(self):
        self.tokens = 5.0

    def allow(self, n=1):
        return self.tokens >= n
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "solution.py").write_text(LEARNER)
        to_learner = os.pipe()
        to_tests = os.pipe()
        ours = harness_files(sys.executable)  # as in the sandbox: compiled, side by side
        server = next(path for name, path in ours.items() if name.startswith("_zachet_learner"))
        learner = subprocess.Popen(
            [sys.executable, "-I", "-S", str(server), "--wait", str(to_learner[0]),
             str(to_tests[1])],
            stdin=subprocess.PIPE, cwd=folder, pass_fds=(to_learner[0], to_tests[1]),
        )  # fmt: skip
        assert learner.stdin is not None
        cpu = min(os.sched_getaffinity(0))  # both on one CPU, as a run's two processes are
        wire.share_cpu(cpu)
        learner.stdin.write(marshal.dumps({"files": {}, "cpu": cpu}))
        learner.stdin.close()
        os.close(to_learner[0])
        os.close(to_tests[1])
        channel = wire.Channel(to_tests[0], to_learner[1], guarded=True)
        solution = channel.request("import", None, ("solution",))
        bucket = solution.Bucket()
        add, twice, total = solution.add, solution.twice, solution.total
        values = list(range(1000))
        cases = {
            "add(1, 2)": lambda: add(1, 2),
            "bucket.allow()": lambda: bucket.allow(),
            "bucket.tokens": lambda: bucket.tokens,
            "twice(callback, 1) (2 calls back)": lambda: twice(abs, 1),
            "total(1000-item list)": lambda: total(values),
        }
        for name, case in cases.items():
            count = args.calls if "1000" not in name else args.calls // 10
            started = time.perf_counter()
            for _ in range(count):
                case()
            per_call = (time.perf_counter() - started) / count * 1e6
            print(f"{name:36s} {per_call:8.1f} us per call")
        os.close(to_learner[1])
        os.close(to_tests[0])
        learner.wait(5)


if __name__ == "__main__":
    main()
