"""The learner process of a Python run; runs inside its own sandbox, standard library only.

    python3 -I -S -B learner.py --wait READ_FD WRITE_FD [--preload MODULE,MODULE,...]
    python3 -I -S -B learner.py --zygote CONTROL_FD   (a worker's: see zygote() below)

Started ahead of its work (a warm start), it imports the standard modules it was given to
(those the last run's learner files imported: python.standard_imports), then reads its work
on stdin, marshalled by the worker:
{"files": {path: text}} (the learner's files and the exercise's support files: never the
tests), writes them
into its own in-memory /work, and then serves the test process's calls on the pipe pair
(python_wire.py): import the learner's modules, call their functions, read attributes, ...
What learner code prints during a call goes back with the answer (the tests' report shows it
per test). It ends when the test process closes the pipe.

Nothing here is trusted by anyone: learner code can change all of it. The test process
decides the verdict, and treats whatever comes from here as the learner's.
"""

from __future__ import annotations

import importlib
import marshal
import os
import sys
import types

# Imports cost CPU in every run's start: nothing here imports json, re, contextlib or typing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

WORKDIR = os.getcwd()
_ORIGINAL_INPUT = input
OUTPUT_CAP = 2000  # characters per message (the test process keeps 2000 a test)

if __package__:
    from grader.runners import python_wire as wire
else:  # in the sandbox: the wire module was bound beside this one
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _zachet_wire as wire  # type: ignore[no-redef]

    del sys.path[0]


class Capture:
    """Learner output between two messages (more than the cap is counted, not kept)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if type(text) is not str:
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.size <= OUTPUT_CAP:
            self.parts.append(text[: OUTPUT_CAP + 1 - self.size])
        self.size += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def take(self) -> str | None:
        if not self.parts:
            return None
        text = "".join(self.parts)
        self.parts.clear()
        self.size = 0
        return text


def location(exc: BaseException) -> str | None:
    """file:line of the innermost frame of `exc` in the work directory's files."""
    found = None
    traceback = exc.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.startswith(WORKDIR + os.sep) and not os.path.basename(filename).startswith(
            "_zachet_"
        ):
            found = f"{os.path.relpath(filename, WORKDIR)}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    if found is None and isinstance(exc, SyntaxError) and exc.filename:
        found = f"{os.path.relpath(exc.filename, WORKDIR)}:{exc.lineno or 0}"
    return found


def public_names(module: types.ModuleType) -> list[str]:
    """What `from module import *` takes."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return [str(name) for name in names]
    return [name for name in vars(module) if not name.startswith("_")]


def _import(_target: object, name: str) -> types.ModuleType:
    if type(name) is not str:
        raise TypeError("a module name is text")
    return importlib.import_module(name)


def _feed(_target: object, stdin: str, echo_input: bool) -> None:
    """Standard input for the learner's code from now on (CodeRunner's per-test stdin)."""
    if type(stdin) is not str or type(echo_input) is not bool:
        raise TypeError("standard input is text")
    import builtins
    import io

    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "replace")), "utf-8")
    builtins.input = _ORIGINAL_INPUT
    if echo_input:
        # CodeRunner's python3_w_input: what input() read is printed after its prompt.
        def echoing(prompt: object = "") -> str:
            line = _ORIGINAL_INPUT(prompt)
            print(line)
            return line

        builtins.input = echoing


def _run_program(_target: object, name: str, stdin: str, echo_input: bool) -> str:
    """Run the learner's module `name` as `__main__`, reading `stdin`; what it printed."""
    if type(name) is not str:
        raise TypeError("a module name is text")
    import io
    import runpy

    class Kept(io.BytesIO):
        def close(self) -> None:
            pass  # (a program that closes its stdout still printed what it printed)

    _feed(None, stdin, echo_input)
    printed = Kept()
    saved = sys.stdout
    sys.stdout = io.TextIOWrapper(printed, "utf-8", errors="replace", write_through=True)
    try:
        runpy.run_module(name, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise RuntimeError(f"the program exited with status {exc.code!r}") from None
    finally:
        sys.stdout = saved
    return printed.getvalue().decode("utf-8", "replace")


SERVED: dict[str, Any] = {
    "import": _import,
    "run": _run_program,
    "stdin": _feed,
    "readline": lambda _target: sys.stdin.readline(),
    "names": lambda module: public_names(module),
    "isinstance": lambda klass, instance: isinstance(instance, klass),
    "issubclass": lambda klass, subclass: issubclass(subclass, klass),
}


def write_work_file(path: str, text: str) -> None:
    full = os.path.normpath(os.path.join(WORKDIR, path))
    if not full.startswith(WORKDIR + os.sep):
        raise SystemExit(f"file name outside the work directory: {path!r}")
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as file:
        file.write(text)


def write_work_files(files: dict[str, str]) -> None:
    for path, text in files.items():
        write_work_file(path, text)


def preload(names: list[str]) -> None:
    """Import standard modules before the work arrives (sys.path has no /work yet)."""
    for name in names:
        try:  # noqa: SIM105 - (contextlib would cost an import)
            importlib.import_module(name)
        except Exception:  # noqa: S110 - imported later by learner code, or not at all
            pass


def main(read_fd: int, write_fd: int) -> None:
    message = sys.stdin.buffer.read()  # the runner's (marshalled), then end of file
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    if not message:
        return  # discarded unused
    work = marshal.loads(message)  # noqa: S302 - the worker's message, before any learner code
    files = work["files"]
    if not (
        isinstance(files, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
    ):
        raise SystemExit("bad work")
    write_work_files(files)  # (in a function: no file's text stays in a frame of ours)
    wire.share_cpu(work.get("cpu"))
    del work, files, message
    sys.path.insert(0, WORKDIR)
    sys.dont_write_bytecode = True
    capture = Capture()
    sys.stdout = sys.stderr = capture
    channel = wire.Channel(read_fd, write_fd, guarded=False, local=SERVED)
    channel.output_source = capture.take
    channel.location = location  # type: ignore[method-assign]
    try:  # noqa: SIM105 - (contextlib would cost an import)
        channel.serve_forever()
    except wire.PeerGone:
        pass  # the tests are done (or the test process is gone)


# --- the zygote -------------------------------------------------------------------------------
# A worker's learner processes are forks of one long-lived learner process per worker process
# (python_zygote.py): the interpreter, this module and the standard modules learners import are
# loaded once. Each child makes itself a sandbox of its own before it reads its work (new user,
# mount and IPC namespaces, empty /work, /tmp and /dev/shm, no capabilities): nothing one run
# leaves reaches the next, which may be another learner's.

CHILD_FDS = 5  # stdin, stdout, stderr, the pipe pair with the test process
READ_FD, WRITE_FD = 3, 4


def zygote(control_fd: int) -> None:
    """Serve the worker's requests on `control_fd`: a request carries {"cpu": [soft, hard],
    "mounts": {path: bytes}, "preload": [module, ...]}; the zygote imports the standard modules
    named (they stay loaded for every later child), the child isolates itself and runs as
    --wait does."""
    if __package__:
        from grader.runners import python_zygote
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import _zachet_zygote as python_zygote  # type: ignore[no-redef]

        del sys.path[0]
    python_zygote.prepare_isolation()

    def before_fork(request: dict) -> None:
        preload([str(name) for name in request.get("preload") or ()])

    def prepare(fds: list[int], request: dict) -> None:
        python_zygote.isolate(request["mounts"])
        python_zygote.become_child(fds, request, WORKDIR)
        if "random" in sys.modules:  # (imported ahead: each run draws its own numbers)
            sys.modules["random"].seed()

    def run() -> int:
        main(READ_FD, WRITE_FD)
        return 0

    python_zygote.serve(control_fd, CHILD_FDS, before_fork, prepare, run)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if len(arguments) == 2 and arguments[0] == "--zygote":
        zygote(int(arguments[1]))
        raise SystemExit(0)
    if arguments[4:5] and arguments[3] == "--preload":
        preload(arguments[4].split(","))
        del arguments[3:]
    if len(arguments) != 3 or arguments[0] != "--wait":
        raise SystemExit(
            "usage: learner.py --wait READ_FD WRITE_FD [--preload MODULES] (work on stdin)"
        )
    main(int(arguments[1]), int(arguments[2]))
    os._exit(0)  # (threads learner code left running end with us)
