# ruff: noqa: E501 - the programs under test read better unwrapped
"""sandbox_run itself: who learner code runs as, what it sees, and the limits, for real."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from grader import sandbox
from grader.sandbox import (
    Limits,
    SandboxUnavailable,
    sandbox_ids,
    sandbox_run,
    sandbox_uid_for_process,
    sandbox_workdir,
)

pytestmark = [pytest.mark.slow, pytest.mark.no_database]

PYTHON = "/usr/bin/python3"


@pytest.fixture
def workdir() -> Iterator[Path]:
    with sandbox_workdir() as path:
        yield path


def python(code: str, workdir: Path, limits: Limits = Limits(), **kwargs: object):  # noqa: B008
    return sandbox_run([PYTHON, "-I", "-S", "-c", code], workdir=workdir, limits=limits, **kwargs)  # type: ignore[arg-type]


@pytest.mark.usefixtures("need_sandbox", "no_leftover_processes")
def test_runs_as_the_sandbox_uid_with_only_the_given_environment(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZACHET_TEST_SECRET", "do-not-leak")
    result = python(
        "import os; print(os.getuid(), os.getgid(), os.getgroups(), os.getcwd());"
        "print(sorted(os.environ));"
        "print(sorted(p for p in os.listdir('/proc') if p.isdigit()));"
        "print(open('/proc/1/environ', 'rb').read())",
        workdir,
        env={"ONLY": "this"},
    )
    uid, gid = sandbox_ids()
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 0, result
    assert lines[0] == f"{uid} {gid} [] /work"
    assert lines[1] == "['LC_CTYPE', 'ONLY', 'PATH', 'PWD']"  # LC_CTYPE, PWD: Python's own
    assert lines[2] == "['1', '2']"  # a PID namespace: bwrap's init and us
    assert "do-not-leak" not in result.stdout.decode()


@pytest.mark.usefixtures("need_sandbox", "no_leftover_processes")
def test_file_size_and_private_tmp_limits(workdir: Path) -> None:
    result = python(
        "import os\n"
        "try:\n    with open('big', 'wb') as f:\n        for _ in range(1024):\n            f.write(b'x' * (1 << 20))\nexcept OSError as e:\n    print('big', e.errno)\n"
        "try:\n    open('/tmp/t', 'wb').write(b'x' * (15 << 20))\nexcept OSError as e:\n    print('tmp', e.errno)\n",
        workdir,
        Limits(memory_mb=256, file_size_mb=16),
    )
    assert b"big 27" in result.stdout  # EFBIG
    assert (workdir / "big").stat().st_size <= 16 << 20
    assert not Path("/tmp/t").exists() or Path("/tmp/t").stat().st_uid != sandbox_ids()[0]


@pytest.mark.parametrize("memory_cgroup", [True, False])
def test_private_tmpfs_share_the_memory_limit_unless_a_cgroup_counts_them(
    memory_cgroup: bool,
) -> None:
    limits = Limits(memory_mb=256)
    for work in sandbox.WorkMount:
        sizes = sandbox._tmpfs_sizes(limits, work, memory_cgroup=memory_cgroup)
        expected = {"/tmp", "/dev/shm"} | ({"/work"} if work is sandbox.WorkMount.MEMORY else set())
        assert set(sizes) == expected
        if memory_cgroup:  # their pages count in the cgroup with the processes'
            assert set(sizes.values()) == {256 << 20}
        else:  # nothing counts them: together no more than the limit
            assert sum(sizes.values()) <= 256 << 20
            assert min(sizes.values()) >= (256 << 20) // 5 - 4096  # (whole pages)


@pytest.mark.usefixtures("need_sandbox", "no_leftover_processes")
def test_without_a_memory_cgroup_the_tmpfs_mounts_are_sized_to_share_the_limit(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "GRADER_SANDBOX_CGROUP", False)
    sandbox._own_cgroups.cache_clear()
    try:
        result = sandbox.sandbox_start(
            [PYTHON, "-I", "-S", "-c",
             "import os\nfor m in ('/work', '/tmp', '/dev/shm'):\n"
             "    s = os.statvfs(m)\n    print(m, s.f_blocks * s.f_frsize)\n"],
            workdir=workdir, limits=Limits(memory_mb=256), work=sandbox.WorkMount.MEMORY,
        ).go()  # fmt: skip
    finally:
        sandbox._own_cgroups.cache_clear()
    sizes = dict(line.split() for line in result.stdout.decode().splitlines())
    assert set(sizes) == {"/work", "/tmp", "/dev/shm"}, result
    assert sum(int(size) for size in sizes.values()) <= 256 << 20


@pytest.mark.usefixtures("need_sandbox", "no_leftover_processes")
def test_limits_are_reported(workdir: Path) -> None:
    loop = python("while True: pass", workdir, Limits(cpu_seconds=1, wall_seconds=3))
    assert loop.cpu_exceeded
    assert not loop.timed_out
    assert loop.wall_seconds < 2
    assert loop.cpu_seconds >= 0.9

    sleep = python("import time; time.sleep(30)", workdir, Limits(wall_seconds=1))
    assert sleep.timed_out
    assert sleep.returncode is None
    assert sleep.wall_seconds < 2

    flood = python(
        "import os\nwhile True: os.write(2, b'x' * 65536)", workdir, Limits(output_kb=16)
    )
    assert flood.stderr_truncated
    assert len(flood.stderr) == 16 * 1024

    crash = python("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", workdir)
    assert crash.signal == 11
    assert crash.returncode == 139


@pytest.mark.usefixtures("need_sandbox", "no_leftover_processes")
def test_a_daemon_holding_the_pipes_does_not_hold_the_run(workdir: Path) -> None:
    result = python(
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\nprint('parent done')",
        workdir,
        Limits(wall_seconds=5),
    )
    assert result.returncode == 0
    assert result.wall_seconds < 2.5


def test_without_bwrap_the_sandbox_is_unavailable(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "_bwrap_path", lambda: None)
    monkeypatch.setattr(settings, "GRADER_ALLOW_UNSANDBOXED", False)
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        python("print(1)", workdir)


def test_unsandboxed_fallback_runs_with_rlimits_and_warns(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sandbox, "_bwrap_path", lambda: None)
    monkeypatch.setattr(settings, "GRADER_ALLOW_UNSANDBOXED", True)
    (workdir / "data.txt").write_text("from the work directory")
    with caplog.at_level(logging.WARNING, logger="grader.sandbox"):
        result = sandbox_run(
            [
                PYTHON,
                "-I",
                "-S",
                "-c",
                "import resource, sys; print(open(sys.argv[1]).read(), resource.getrlimit(resource.RLIMIT_NPROC)[0] > 0)",
                "/work/data.txt",
            ],
            workdir=workdir,
            limits=Limits(),
        )
    assert result.stdout.decode().startswith("from the work directory")
    assert "WITHOUT A SANDBOX" in caplog.text


def start_hog(workdir: Path, processes: int) -> sandbox.StartedSandbox:
    """A run that holds `processes` sleeping processes of its uid until discarded."""
    return sandbox.sandbox_start(
        ["/bin/sh", "-c", f"for i in $(seq {processes}); do sleep 30 & done; wait"],
        workdir=workdir,
        limits=Limits(processes=64, wall_seconds=30),
    )


def forks_ten(workdir: Path) -> int | None:
    result = sandbox_run(
        ["/bin/sh", "-c", "for i in $(seq 10); do sleep 0.1 & done; wait"],
        workdir=workdir,
        limits=Limits(processes=64),
    )
    return result.returncode


def wait_for_processes(uid: int, count: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        owned = sum(
            1 for entry in os.scandir("/proc") if entry.name.isdigit() and _owner(entry) == uid
        )
        if owned >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"uid {uid} never reached {count} processes")


def _owner(entry: os.DirEntry[str]) -> int | None:
    try:
        return entry.stat().st_uid
    except OSError:
        return None


@pytest.mark.usefixtures("need_sandbox", "no_leftover_processes")
def test_a_run_under_another_uid_keeps_its_whole_process_budget(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given one learner's run holding 60 processes of the sandbox uid
    with sandbox_workdir() as hog_dir, sandbox_workdir() as other_dir:
        hog = start_hog(hog_dir, 60)
        try:
            wait_for_processes(sandbox_ids()[0], 60)
            # then a run under the same uid cannot even start...
            with pytest.raises(SandboxUnavailable, match="Resource temporarily unavailable"):
                forks_ten(other_dir)
            # ...and a run under the next worker process's uid (grader.tasks) is unaffected
            monkeypatch.setattr(sandbox, "_pool_index", 1)  # as grader.tasks sets it
            with sandbox_workdir() as own_dir:
                assert forks_ten(own_dir) == 0
        finally:
            hog.discard()


def test_each_worker_process_has_its_own_sandbox_uid() -> None:
    assert [sandbox_uid_for_process(600000, index) for index in range(3)] == [
        600000,
        600001,
        600002,
    ]
    # (65534, nobody, the default before, keeps its mapping where it is still configured)
    uids = [sandbox_uid_for_process(65534, index) for index in range(4)]
    assert uids == [65534, 600001, 600002, 600003]
    assert [sandbox_uid_for_process(70000, index) for index in range(3)] == [70000, 70001, 70002]


@pytest.mark.usefixtures("need_sandbox", "no_leftover_processes")
def test_binds_from_a_folder_only_root_may_enter_reach_the_sandbox_and_nothing_else(
    tmp_path: Path,
) -> None:
    # Regression (issue 15): bwrap looked bind sources up as the sandbox uid, so a checkout in
    # a 0700 folder could not run any code. They are bound by root in the run's own mount
    # namespace now; the sandbox sees what it is given and nothing of the folder around it.
    private = tmp_path / "home"
    (private / "tool").mkdir(parents=True)
    private.chmod(0o700)
    (private / "tool").chmod(0o755)
    (private / "tool" / "hello.txt").write_text("hello")
    (private / "tool" / "hello.txt").chmod(0o644)
    (private / "secret.txt").write_text("the worker's secret")
    (private / "single.txt").write_text("one file")
    (private / "single.txt").chmod(0o644)
    assert not sandbox.reachable_by(str(private / "tool"), *sandbox_ids())

    with sandbox_workdir(parent=private) as workdir:  # /work itself inside the folder too
        result = python(
            "import os;"
            "print(open('/opt/tool/hello.txt').read(), open('/opt/single.txt').read());"
            f"print(os.path.exists({str(private / 'secret.txt')!r}), sorted(os.listdir('/opt')));"
            "open('/work/out.txt', 'w').write('written')",
            workdir,
            ro_binds=[
                (str(private / "tool"), "/opt/tool"),
                (str(private / "single.txt"), "/opt/single.txt"),
            ],
        )
        assert result.returncode == 0, result
        assert result.stdout.decode().splitlines() == [
            "hello one file",
            "False ['single.txt', 'tool']",
        ]
        assert (workdir / "out.txt").read_text() == "written"
    # The binds were made in the run's private namespace: the host's mount points stay empty.
    assert all(not any(p.iterdir()) for p in settings.GRADER_STAGE_DIR.iterdir() if p.is_dir())
    assert str(private) not in Path("/proc/self/mountinfo").read_text()


def test_only_sources_the_sandbox_uid_cannot_reach_are_staged() -> None:
    uid, gid = 65534, 65534
    with tempfile.TemporaryDirectory() as scratch:  # (pytest's tmp_path is in a 0700 folder)
        top = Path(scratch)
        top.chmod(0o755)
        (top / "open" / "inner").mkdir(parents=True)
        (top / "closed" / "inner").mkdir(parents=True)
        (top / "closed").chmod(0o700)
        (top / "closed" / "link").symlink_to(top / "open")
        (top / "open" / "back").symlink_to(top / "closed" / "inner")

        assert sandbox.reachable_by(str(top / "open" / "inner"), uid, gid)
        assert sandbox.reachable_by(str(top / "closed"), uid, gid)  # the folder itself: yes
        assert not sandbox.reachable_by(str(top / "closed" / "inner"), uid, gid)
        assert not sandbox.reachable_by(str(top / "closed" / "link"), uid, gid)  # as written
        assert not sandbox.reachable_by(str(top / "open" / "back"), uid, gid)  # as resolved
        assert sandbox.reachable_by(str(top / "closed" / "inner"), 0, 0)  # its owner may enter
        assert sandbox._stage_points(["/usr/bin", str(top / "open")], uid, gid) == {}
