"""The production definitions (deploy/: systemd units, Compose, Kubernetes) start the same
processes, with commands that exist: our bin scripts, manage.py commands, the Celery app's
worker and beat with options Celery knows and queues the routes use, gunicorn with its
configuration (docs/deploy.md)."""

from __future__ import annotations

import configparser
import importlib.util
import os
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from tests.conftest import REPO_DIR

DEPLOY = REPO_DIR / "deploy"
# Where each definition puts the checkout: paths under it are looked up in this repository.
CHECKOUTS = ("/opt/zachet/", "/app/")
PROCESSES = {"web", "migrate", "beat", "worker-quiz", "worker-code", "worker-regrade",
             "worker-sweeps", "worker-webhooks"}  # fmt: skip


def routed_queues() -> set[str]:
    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return queues | {settings.CELERY_TASK_DEFAULT_QUEUE}


def click_options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def repo_path(path: str) -> Path:
    for checkout in CHECKOUTS:
        if path.startswith(checkout):
            return REPO_DIR / path.removeprefix(checkout)
    return REPO_DIR / path


def process_of(argv: list[str]) -> str:
    """Check that `argv` runs something that exists here; say which process it is."""
    program = repo_path(argv[0])
    assert program.exists(), f"{argv[0]} is not in the repository"
    assert os.access(program, os.X_OK), f"{argv[0]} is not executable"
    if program.name == "serve":
        return "web"
    assert program == REPO_DIR / ".venv" / "bin" / "python", argv
    args = argv[1:]
    if args[0] == "manage.py":
        from django.core.management import get_commands

        assert args[1] in get_commands(), f"no manage.py command {args[1]!r}"
        assert args[1] == "migrate", argv
        return "migrate"
    assert args[:2] == ["-m", "celery"], f"unknown command {argv}"
    assert args[2:4] == ["-A", "config"], argv
    from celery.bin.beat import beat
    from celery.bin.worker import worker

    from config.celery import app

    assert app.main == "zachet"
    subcommand, options = args[4], args[5:]
    known = click_options(worker if subcommand == "worker" else beat)
    for option in options:
        if option.startswith("-"):
            assert option in known, f"celery {subcommand} has no option {option}"
    if subcommand == "beat":
        return "beat"
    assert subcommand == "worker", argv
    queues = options[options.index("-Q") + 1].split(",")
    assert set(queues) <= routed_queues(), f"{queues} not all in CELERY_TASK_ROUTES"
    assert len(queues) == 1, "one queue per worker (docs/deploy.md)"
    return f"worker-{queues[0]}"


def systemd_processes() -> dict[str, str]:
    found = {}
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(interpolation=None, strict=True)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(unit, encoding="utf-8")
        service = parser["Service"]
        assert service["WorkingDirectory"] == CHECKOUTS[0].rstrip("/"), unit.name
        assert service["EnvironmentFile"] == "/etc/zachet/env", unit.name
        found[process_of(shlex.split(service["ExecStart"]))] = unit.name
    return found


def compose_processes() -> dict[str, str]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    found = {}
    for name, service in compose["services"].items():
        if service.get("image") != "zachet:latest":
            continue  # PostgreSQL and Redis: images of their own
        found[process_of(service["command"])] = name
    return found


def kubernetes_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return documents


def kubernetes_containers() -> list[tuple[str, dict[str, Any]]]:
    containers = []
    for document in kubernetes_documents():
        if document["kind"] in {"Deployment", "Job"}:
            for container in document["spec"]["template"]["spec"]["containers"]:
                containers.append((document["metadata"]["name"], container))
    return containers


def kubernetes_processes() -> dict[str, str]:
    return {process_of(container["command"]): name for name, container in kubernetes_containers()}


@pytest.mark.parametrize("read", [systemd_processes, compose_processes, kubernetes_processes])
def test_every_definition_starts_every_process_with_commands_that_exist(read):
    assert set(read()) == PROCESSES


def test_every_routed_queue_has_a_worker():
    workers = {p.removeprefix("worker-") for p in PROCESSES if p.startswith("worker-")}
    assert workers == routed_queues()


@pytest.mark.django_db
def test_kubernetes_probes_and_environment_name_what_exists(client, live_broker):
    config_maps = {
        d["metadata"]["name"] for d in kubernetes_documents() if d["kind"] == "ConfigMap"
    }
    probes = 0
    for name, container in kubernetes_containers():
        for source in container["envFrom"]:
            if "configMapRef" in source:
                assert source["configMapRef"]["name"] in config_maps, name
        for probe in ("livenessProbe", "readinessProbe"):
            if probe in container:
                probes += 1
                # answered for the pod's address, which is not in ALLOWED_HOSTS
                response = client.get(container[probe]["httpGet"]["path"], HTTP_HOST="10.0.0.7")
                assert response.status_code == 200, (name, probe, response.content)
    assert probes == 2


def test_gunicorn_configuration_uses_only_settings_gunicorn_knows():
    from gunicorn.config import Config

    spec = importlib.util.spec_from_file_location("gunicorn_conf", REPO_DIR / "config/gunicorn.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = Config()
    values = {k: v for k, v in vars(module).items() if not k.startswith("_")}
    for name in ("workers", "worker_class", "threads", "bind", "timeout", "wsgi_app"):
        config.set(name, values[name])
    unknown = {
        name for name, value in values.items()
        if not callable(value) and not isinstance(value, type(os)) and name not in config.settings
        and name not in {"annotations"}
    }  # fmt: skip
    assert not unknown, f"not gunicorn settings: {unknown}"
    assert module.default_workers(2) == 5
    assert config.worker_class_str == "gthread"
    assert values["wsgi_app"] == settings.WSGI_APPLICATION.replace(".application", ":application")
