"""Headless Chromium from Debian, driven by Selenium through Debian's chromedriver.

Nothing here downloads a browser or a driver: both must be installed
(bin/setup does it: apt-get install chromium chromium-driver). axe-core comes
from npm (package-lock.json, installed by bin/setup) and is injected from disk.
Screenshots of every checked page land in artifacts/browser/.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import REPO_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE_JS = REPO_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_DIR / "artifacts" / "browser"


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not shutil.which(path):
            pytest.fail(f"{path} is missing: apt-get install {package} (bin/setup does it as root)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests run as root in CI
        "--disable-dev-shm-usage",
        "--window-size=1280,1024",
        "--lang=ru",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    # What a Russian-speaking learner's browser asks for (the course's language).
    options.add_experimental_option("prefs", {"intl.accept_languages": "ru-RU,ru"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The browser plus the checks every page gets: a screenshot and axe-core."""

    def __init__(self, driver: WebDriver, base_url: str, name: str) -> None:
        self.driver = driver
        self.base_url = base_url
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.shots = 0
        if not AXE_JS.is_file():
            pytest.fail(f"{AXE_JS} is missing: run bin/setup requirements-dev.txt (npm ci)")
        self.axe_source = AXE_JS.read_text()

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def screenshot(self, label: str) -> Path:
        self.shots += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        path = self.folder / f"{self.shots:02d}-{slug}.png"
        self.driver.save_screenshot(str(path))
        return path

    def check(self, label: str) -> None:
        """Screenshot, then axe-core: no serious or critical violation on the page."""
        self.screenshot(label)
        if not self.driver.execute_script("return typeof window.axe !== 'undefined'"):
            self.driver.execute_script(self.axe_source)
        result: dict[str, Any] = self.driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ["violations"]})
              .then(r => done(r))
              .catch(e => done({error: String(e)}));
            """
        )
        assert "error" not in result, result
        bad = [
            {
                "id": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "nodes": [node["html"][:200] for node in violation["nodes"][:3]],
            }
            for violation in result["violations"]
            if violation["impact"] in {"serious", "critical"}
        ]
        (self.folder / f"{self.shots:02d}-axe.json").write_text(
            json.dumps(result["violations"], ensure_ascii=False, indent=1)
        )
        assert bad == [], f"{label}: {json.dumps(bad, ensure_ascii=False, indent=1)}"
