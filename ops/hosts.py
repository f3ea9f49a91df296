"""Worker "hosts" on one machine: each a Linux network namespace of its own, with its own
address, running Celery workers that reach ONE database and ONE broker over the network.

Used by the multi-host tests (tests/ops/test_worker_hosts.py) and `bench/hosts.py`; root only
(`ip netns`, veth pairs). Each host gets a veth pair on a private /24 of its own,
10.213.N.0/24: the namespace's end is 10.213.N.2, the machine's end 10.213.N.1. The
database and broker of this machine listen on 127.0.0.1 only, which no other namespace can
reach, so each host gets a TCP forwarder (a small asyncio process in the machine's
namespace, `python -m ops.hosts forward`) listening on 10.213.N.1 that relays to them; the
workers' URLs are rewritten to it. (No iptables or nft here for a DNAT with
`route_localnet`; a forwarder also connects from 127.0.0.1, which RabbitMQ's `guest`, allowed
from loopback only, needs.) Everything is in the network: when a host's processes die, the
kernel closes their sockets, the forwarder closes the matching ones to the servers, and the
broker and PostgreSQL see the connections drop as they would from a lost machine.

Only the network is split: the file system and the process table are shared, so a SQLite
file is reachable from every host (a test on SQLite shares it; real hosts need PostgreSQL),
and each host's learner code runs as sandbox uids of its own (the sandbox keeps its own
`--unshare-net` inside, so learner code still has no network at all).

    with worker_hosts(2, env=..., workers={"quiz": 1, "code": 1}) as hosts:
        ...
        host_kill(hosts[0])   # SIGKILL every process in its namespace

Everything (processes, forwarders, veths, namespaces) is removed when the block ends, however
it ends; namespaces left by a process that died without cleaning up are removed by the next
`worker_hosts`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import functools
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from core.devstack import celery_worker_command, stop_process

BASE_DIR = Path(__file__).resolve().parent.parent
SUBNET_PREFIX = "10.213"
NAMESPACE_PREFIX = "zachet-host-"
# Learner code of host i runs as the uids from sandbox_uid + (i + 1) x this: each host's
# pool process N (and its regrade worker's 100 + N) keeps uids no other host uses, since
# the process table is shared (tests/conftest.py gives each session a range 1000 wide).
HOST_UID_STRIDE = 200
# The environment variables that name a server: rewritten to the host's forwarder.
SERVER_URL_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
DEFAULT_PORTS = {"postgres": 5432, "postgresql": 5432, "redis": 6379, "amqp": 5672}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_ALLOCATION_LOCK = Path("/tmp/zachet-worker-hosts.lock")  # noqa: S108 - a lock, not data


@dataclass
class WorkerHost:
    name: str  # the network namespace's
    subnet: int  # N of 10.213.N.0/24
    env: dict[str, str]  # what its workers run with (server URLs pointing at the forwarder)
    forwarder: subprocess.Popen[bytes] | None = None
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    killed: bool = False

    @property
    def address(self) -> str:
        return f"{SUBNET_PREFIX}.{self.subnet}.2"

    @property
    def gateway(self) -> str:
        return f"{SUBNET_PREFIX}.{self.subnet}.1"

    @property
    def veth(self) -> str:
        return f"zh{self.subnet}"


def _ip(*args: str, check: bool = True) -> str:
    command = ["ip", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def host_pids(host: WorkerHost) -> list[int]:
    """Every process in the host's network namespace (the sandboxes' learner processes are in
    namespaces of their own inside it, and die with their bwrap: --die-with-parent)."""
    return [int(pid) for pid in _ip("netns", "pids", host.name, check=False).split()]


def host_kill(host: WorkerHost, *, timeout: float = 10) -> list[int]:
    """SIGKILL every process of the host; the pids killed. Their sockets close, as when a
    host's processes crash (a machine that loses power closes nothing: docs/deploy.md)."""
    killed: list[int] = []
    deadline = time.monotonic() + timeout
    while pids := host_pids(host):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        killed += [pid for pid in pids if pid not in killed]
        if time.monotonic() > deadline:
            raise RuntimeError(f"host {host.name}: processes survive SIGKILL: {pids}")
        time.sleep(0.05)
    for process in host.workers.values():
        process.wait()
    host.killed = True
    return killed


def _namespaces() -> list[str]:
    return [line.split()[0] for line in _ip("netns", "list", check=False).splitlines() if line]


def _remove_namespace(name: str) -> None:
    for pid in _ip("netns", "pids", name, check=False).split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    # Deleting the namespace destroys its end of the veth, and so the pair.
    _ip("netns", "delete", name, check=False)


def stale_hosts_remove() -> list[str]:
    """Namespaces a process that is gone left behind (killed before its cleanup ran)."""
    removed = []
    for name in _namespaces():
        match = re.fullmatch(rf"{NAMESPACE_PREFIX}(\d+)-\d+", name)
        if match and not Path(f"/proc/{match[1]}").exists():
            _remove_namespace(name)
            removed.append(name)
    return removed


def _free_subnets(count: int) -> list[int]:
    used = {int(n) for n in re.findall(rf"inet {SUBNET_PREFIX}\.(\d+)\.", _ip("-4", "addr"))}
    free = [n for n in range(1, 255) if n not in used][:count]
    if len(free) < count:
        raise RuntimeError(f"no free {SUBNET_PREFIX}.N.0/24 for {count} hosts")
    return free


def _network_create(host: WorkerHost) -> None:
    inside = f"zn{host.subnet}"
    _ip("netns", "add", host.name)
    _ip("link", "add", host.veth, "type", "veth", "peer", "name", inside, "netns", host.name)
    _ip("addr", "add", f"{host.gateway}/24", "dev", host.veth)
    _ip("link", "set", host.veth, "up")
    _ip("-n", host.name, "link", "set", "lo", "up")
    _ip("-n", host.name, "addr", "add", f"{host.address}/24", "dev", inside)
    _ip("-n", host.name, "link", "set", inside, "up")


def server_endpoints(env: Mapping[str, str]) -> list[tuple[str, int]]:
    """The (host, port) of each loopback server named by the environment's URLs."""
    found: list[tuple[str, int]] = []
    for variable in SERVER_URL_VARIABLES:
        parts = urlsplit(env.get(variable) or "")
        if parts.hostname in LOOPBACK and parts.scheme in DEFAULT_PORTS:
            endpoint = (parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme])
            if endpoint not in found:
                found.append(endpoint)
    return found


def env_through(
    env: Mapping[str, str], ports: Mapping[tuple[str, int], int], gateway: str
) -> dict[str, str]:
    """`env` with each loopback server URL pointing at the forwarder's port on `gateway`."""
    rewritten = dict(env)
    for variable in SERVER_URL_VARIABLES:
        parts = urlsplit(env.get(variable) or "")
        if parts.hostname in LOOPBACK and parts.scheme in DEFAULT_PORTS:
            port = ports[(parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme])]
            credentials = parts.netloc.rpartition("@")[0]
            netloc = f"{credentials}@" if credentials else ""
            rewritten[variable] = urlunsplit(parts._replace(netloc=f"{netloc}{gateway}:{port}"))
    return rewritten


def _forwarder_start(
    listen: str, endpoints: list[tuple[str, int]]
) -> tuple[subprocess.Popen[bytes], dict[tuple[str, int], int]]:
    command = [sys.executable, "-m", "ops.hosts", "forward", "--listen", listen]
    for host, port in endpoints:
        command += ["--to", f"{host}:{port}"]
    process = subprocess.Popen(command, cwd=BASE_DIR, stdout=subprocess.PIPE)  # noqa: S603
    ports: dict[tuple[str, int], int] = {}
    stdout: IO[bytes] = process.stdout  # type: ignore[assignment]
    for _ in endpoints:
        line = stdout.readline().decode().split()  # "<to host> <to port> <listening port>"
        if len(line) != 3:
            stop_process(process, timeout=2)
            raise RuntimeError(f"the forwarder on {listen} did not start")
        ports[(line[0], int(line[1]))] = int(line[2])
    return process, ports


def host_workers_start(host: WorkerHost, workers: Mapping[str, int], log_dir: Path | None) -> None:
    """Start one Celery worker per queue (`workers`: queue -> concurrency) in the host."""
    for queue, concurrency in workers.items():
        command = celery_worker_command(queue=queue, concurrency=concurrency, host=host.name)
        log = (log_dir / f"{host.name}-{queue}.log").open("ab") if log_dir else None
        host.workers[queue] = subprocess.Popen(  # noqa: S603
            ["ip", "netns", "exec", host.name, *command],  # noqa: S607
            env=host.env,
            cwd=BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        )
        if log:
            log.close()  # the worker holds its own copy


def _host_remove(host: WorkerHost) -> None:
    try:
        if not host.killed:
            # A warm shutdown first (running gradings finish), then whatever is left goes.
            for process in host.workers.values():
                if process.poll() is None:
                    process.terminate()
            for process in host.workers.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=15)
            host_kill(host)
    finally:
        try:
            if host.forwarder is not None:
                stop_process(host.forwarder, timeout=5)
        finally:
            _remove_namespace(host.name)
            _ip("link", "delete", host.veth, check=False)  # gone with the namespace, normally


@contextlib.contextmanager
def worker_hosts(
    count: int,
    *,
    env: Mapping[str, str],
    workers: Mapping[str, int],
    sandbox_uid: int | None = None,
    log_dir: Path | None = None,
) -> Iterator[list[WorkerHost]]:
    """`count` worker hosts, each running `workers` (queue -> concurrency) with this
    process's environment and `env` over it (the loopback servers they name reached through
    the host's forwarder); all removed afterwards. `sandbox_uid`: the first of a range of
    uids no one else uses; hosts on one machine share its process table, so each gets a
    part of it for its learner code (HOST_UID_STRIDE)."""
    if os.geteuid() != 0:
        raise RuntimeError("worker hosts need root (ip netns, veth pairs)")
    stale_hosts_remove()
    base_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    endpoints = server_endpoints(base_env)
    hosts: list[WorkerHost] = []
    try:
        # Two sessions choosing subnets at once would pick the same: one at a time.
        with _ALLOCATION_LOCK.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for index, subnet in enumerate(_free_subnets(count)):
                host_env = dict(base_env)
                if sandbox_uid is not None:
                    uid = sandbox_uid + HOST_UID_STRIDE * (index + 1)
                    host_env["GRADER_SANDBOX_UID"] = str(uid)
                host = WorkerHost(f"{NAMESPACE_PREFIX}{os.getpid()}-{subnet}", subnet, host_env)
                hosts.append(host)
                _network_create(host)
        for host in hosts:
            host.forwarder, ports = _forwarder_start(host.gateway, endpoints)
            host.env = env_through(host.env, ports, host.gateway)
            host_workers_start(host, workers, log_dir)
        yield hosts
    finally:
        errors = []
        for host in hosts:
            try:
                _host_remove(host)
            except Exception as error:  # the next host is removed all the same
                errors.append(error)
        if errors and sys.exc_info()[1] is None:  # else the block's own error says more
            raise errors[0]


# --- the forwarder (`python -m ops.hosts forward --listen ADDRESS --to HOST:PORT ...`) ----


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass


async def _connection(
    target: tuple[str, int], client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
) -> None:
    try:
        server_in, server_out = await asyncio.open_connection(*target)
    except OSError:
        client_out.close()
        return
    # The first side to close (a killed host's socket, a server that went away) closes the
    # other: what the broker or the database must see of a lost connection.
    both = [asyncio.create_task(_relay(client_in, server_out)),
            asyncio.create_task(_relay(server_in, client_out))]  # fmt: skip
    await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
    for writer in (server_out, client_out):
        writer.close()
    for task in both:
        task.cancel()


async def _forward(listen: str, targets: list[tuple[str, int]]) -> None:
    stop = asyncio.Event()  # SIGTERM: close quietly
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    servers = []
    for target in targets:
        server = await asyncio.start_server(functools.partial(_connection, target), listen, 0)
        port = server.sockets[0].getsockname()[1]
        print(target[0], target[1], port, flush=True)
        servers.append(server)
    await stop.wait()
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ops.hosts")
    commands = parser.add_subparsers(dest="command", required=True)
    forward = commands.add_parser("forward", help="relay TCP from ADDRESS to loopback servers")
    forward.add_argument("--listen", required=True)
    forward.add_argument("--to", action="append", required=True, help="HOST:PORT")
    args = parser.parse_args()
    targets = [(to.rsplit(":", 1)[0], int(to.rsplit(":", 1)[1])) for to in args.to]
    asyncio.run(_forward(args.listen, targets))


if __name__ == "__main__":
    main()
