"""The exercise page's load time in Chromium, with the code editor and without it (issue 22).

    .venv/bin/python bench/editor_page.py [--loads 15] [--language python]

PostgreSQL (DATABASE_URL; default: the local server, database `zachet_bench_editor`, created
if missing), DEBUG off, gunicorn (config/gunicorn.py) on a free port serving the collected
static files (var/bench-editor-static). A demo exercise is imported and a learner signed in;
headless Chromium (Debian's, as tests/browser) then opens the exercise page --loads times in
each mode and reads the Navigation Timing entry:

* "without the editor": the bundle's URL blocked (Chrome DevTools' Network.setBlockedURLs),
  so the page is what it was before the editor: the plain textarea;
* "with the editor": CodeMirror's bundle loaded and the editor built (.cm-editor present);

each with the browser's cache disabled (a first visit) and enabled (a return visit). Printed
per mode: DOMContentLoaded and load event p50/p90 (ms from the navigation's start), the
bundle's bytes over the wire. Loopback, no network latency: what the bundle costs to
transfer on a real link is its gzip size over the link's speed. Not a test: numbers only.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench.environment import production_defaults  # noqa: E402 - (the path above first)
from bench.timing import percentiles, print_load  # noqa: E402

production_defaults(database_url="postgres://postgres@127.0.0.1:5432/zachet_bench_editor")
os.environ.setdefault("GUNICORN_ACCESS_LOG", "")
# DEBUG off serves what collectstatic gathered, as a deployment does (docs/deploy.md).
os.environ.setdefault("STATIC_ROOT", str(BASE_DIR / "var" / "bench-editor-static"))

PASSWORD = "bench-editor-password-2026"
BUNDLE = "code-editor.min.js"
TIMING = """
const nav = performance.getEntriesByType("navigation")[0];
const bundle = performance.getEntriesByType("resource").find(e => e.name.includes(arguments[0]));
return {
  dom: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
  editor: !!document.querySelector(".cm-editor"),
  bundle_bytes: bundle ? bundle.transferSize : 0,
};
"""


def prepare(language: str) -> tuple[int, str]:
    """(the exercise's id, the learner's username): a published demo exercise and a learner."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from bench.code import demo_folder
    from courses.models import Course, Part, Section
    from grader.services import exercise_import
    from progress.services import enrollment_create

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    course, _ = Course.objects.get_or_create(slug="bench-editor", defaults={"title": "bench"})
    part, _ = Part.objects.get_or_create(course=course, number=1, defaults={"title": "bench"})
    section, _ = Section.objects.get_or_create(
        part=part, number="1.1", defaults={"title": "bench editor", "slug": "bench-editor"}
    )
    Section.objects.filter(pk=section.pk).update(status=Section.Status.PUBLISHED)
    imported = exercise_import(path=demo_folder(language), section=section, publish=True)
    learner, _ = User.objects.get_or_create(username="bench-editor")
    learner.set_password(PASSWORD)
    learner.save()
    enrollment_create(learner=learner, course=course)
    return imported.exercise.pk, learner.username


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def chromium() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def sign_in(driver: Any, base: str, username: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/accounts/login/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 30).until(ec.url_changes(base + "/accounts/login/"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=15, help="page loads per mode")
    parser.add_argument("--language", default="python", choices=["python", "go"])
    args = parser.parse_args()

    from bench.quiz import ensure_database

    ensure_database()
    exercise_id, username = prepare(args.language)
    from core.devstack import stop_process, wait_for_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=BASE_DIR, env=os.environ.copy(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    driver = None
    try:
        wait_for_port(port, timeout=60, process=server)
        base = f"http://127.0.0.1:{port}"
        driver = chromium()
        sign_in(driver, base, username)
        url = f"{base}/exercises/{exercise_id}/"
        driver.execute_cdp_cmd("Network.enable", {})
        print_load("before")
        for editor in (False, True):
            blocked = [] if editor else [f"*{BUNDLE}*"]
            driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": blocked})
            for cold in (True, False):
                driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": cold})
                driver.get(url)  # (not timed: warms the server and, warm, the cache)
                seen = []
                for _ in range(args.loads):
                    driver.get(url)  # returns once the load event has fired
                    seen.append(driver.execute_script(TIMING, BUNDLE))
                assert all(s["editor"] == editor for s in seen), "the editor's state is off"
                mode = "with the editor   " if editor else "without the editor"
                visit = "first visit (no cache)" if cold else "return visit (cached)"
                print(
                    f"{args.language} exercise page, {mode}, {visit}: "
                    f"DOMContentLoaded {percentiles([s['dom'] for s in seen], with_max=False)}; "
                    f"load {percentiles([s['load'] for s in seen], with_max=False)}; "
                    f"bundle over the wire {seen[-1]['bundle_bytes']} B",
                    flush=True,
                )
        print_load("after")
    finally:
        if driver is not None:
            driver.quit()
        stop_process(server, timeout=30)


if __name__ == "__main__":
    main()
