"""Task round-trip latency through each zero-install broker: embedded Redis vs filesystem.

    .venv/bin/python bench/broker.py [N]

Starts a real Celery worker per broker, sends N no-op tasks one after another
and waits for each result; prints p50 / p95 / p99 and throughput. This is what
chose the quick start's default broker (see core/devstack.py).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from core.devstack import (  # noqa: E402
    celery_worker_command,
    embedded_redis,
    free_port,
    stop_process,
)


def measure(env: dict[str, str], n: int) -> dict[str, float]:
    worker = subprocess.Popen(
        celery_worker_command(queue="quiz", concurrency=1),
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        code = (
            "import sys, time, json\n"
            "from config.celery import app, ping_task\n"
            "ping_task.apply_async(ignore_result=False).get(timeout=60)  # warm up\n"
            f"lat = []\nstart = time.perf_counter()\nfor _ in range({n}):\n"
            "    t = time.perf_counter()\n"
            "    ping_task.apply_async(ignore_result=False).get(timeout=10, interval=0.005)\n"
            "    lat.append(time.perf_counter() - t)\n"
            "print(json.dumps({'lat': lat, 'total': time.perf_counter() - start}))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        ).stdout
    finally:
        stop_process(worker, timeout=30)
    import json

    data = json.loads(out.strip().splitlines()[-1])
    lat = sorted(x * 1000 for x in data["lat"])
    q = statistics.quantiles(lat, n=100)
    return {"p50": q[49], "p95": q[94], "p99": q[98], "per_s": n / data["total"]}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        base = {**os.environ, "ZACHET_VAR_DIR": tmp, "DJANGO_SETTINGS_MODULE": "config.settings"}
        base.pop("REDIS_URL", None)
        base.pop("CELERY_BROKER_URL", None)
        results = {}
        (Path(tmp) / "results").mkdir()
        results["filesystem"] = measure(
            {**base, "CELERY_RESULT_BACKEND": f"file://{tmp}/results"}, n
        )
        with embedded_redis(port=free_port(6391), data_dir=Path(tmp) / "redis") as url:
            results["embedded redis"] = measure(
                {**base, "REDIS_URL": url, "CELERY_RESULT_BACKEND": url}, n
            )
    print(f"{n} sequential no-op tasks, submit -> result seen by the caller")
    for name, r in results.items():
        print(
            f"{name:15s} p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  p99 {r['p99']:7.1f} ms"
            f"  {r['per_s']:6.1f} tasks/s"
        )


if __name__ == "__main__":
    main()
