"""Run the bot (or any ``python -m MODULE``) as a separate OS process and wait on it.

One driver for everything that starts the bot as a child: the e2e tests, the benchmarks and
the sandbox. :class:`BotProcess` starts ``python -m <module> <args...>`` with exactly the
environment it is given, in a given folder, its stdout and stderr appended to a log file, and
waits on events (the process's exit, a ready condition polled every few milliseconds).

Two launchers behave the same from the outside:

``spawn``
    A fresh interpreter, ``sys.executable -m module args`` (what production does). Every
    start imports aiogram again: ~8-10 s of CPU on a small machine.
``fork``
    A child forked from a multiprocessing forkserver that imported the heavy modules
    (:data:`PRELOAD`: the bot, aiogram, SQLAlchemy, aiohttp) once; each start then costs
    milliseconds. The child makes itself look like ``python -m``: ``os.environ`` is exactly
    the given env, it ``chdir``s, fds 0/1/2 are /dev/null and the log file, signal handlers
    are the defaults of a fresh interpreter, ``sys.path`` starts with the folder and
    ``PYTHONPATH`` of the env, and the module runs through ``runpy`` as ``__main__``; its
    ``SystemExit`` code (or 1 after an uncaught exception) is the exit code.

The launcher is the ``launcher`` argument; without one, ``ADAL_PROCESS_LAUNCHER`` (``spawn``
or ``fork``) decides, and without that ``fork``. The tests and benchmarks pass none, so a run
can force real fresh interpreters with ``ADAL_PROCESS_LAUNCHER=spawn``; a caller that must
have a fresh interpreter whatever the run says (the sandbox) passes ``launcher="spawn"``.

How the fork launcher stays honest, and what it does not reproduce:

- The forkserver is a separate interpreter that multiprocessing starts with fork+exec, with
  only its own pipes, the first time a fork child is started (or :func:`start_forkserver`),
  so it holds none of the caller's threads, sockets or event loop whenever it is started;
  its children do not get the caller's sockets either. The two multiprocessing pipes the
  children are handed (the forkserver's "alive" pipe, the resource tracker's) are closed
  first thing, so the forkserver exits with the caller.
- The forkserver imports :data:`PRELOAD` with the **caller's** ``sys.path`` and environment
  as they were when it started, and keeps those modules for its lifetime: the repository
  root must be importable in the caller (it is, for pytest and ``python -m bench...``), and
  code edited after that is not seen by later children. A module that fails to import is
  skipped silently (multiprocessing does so); children then import it themselves, slowly.
- Settings read when an interpreter starts come from the forkserver, not the given env:
  ``PYTHONHASHSEED`` (all fork children share one hash seed), ``PYTHONWARNINGS``,
  ``PYTHONIOENCODING``, ``-X`` options. ``PYTHONPATH`` and ``PYTHONUNBUFFERED`` are honoured;
  the caller's ``sys.path`` entries stay after the child's own, so whatever the caller could
  import the child can.
- multiprocessing would run the caller's main module again in each child; ours skip that
  (:func:`_prepare_without_caller_main`). The few milliseconds before the child redirects
  fds 1 and 2 write (tracebacks only) to the caller's stdout/stderr of the forkserver's start.
- The forkserver is the child's parent and reaps it; the exit status comes back over a pipe
  (-9 after SIGKILL, as with spawn). :attr:`BotProcess.pid` is the child's real pid.
- The first fork start waits (in a thread) for the forkserver to preload, ~8 s; later starts
  take a few milliseconds of the event loop's thread, which also keeps multiprocessing's
  bookkeeping of children in one thread.

Processes still running when the calling interpreter exits are killed (SIGKILL).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import ctypes
import importlib
import inspect
import io
import multiprocessing
import multiprocessing.spawn
import multiprocessing.util
import os
import runpy
import signal
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any, Literal, Protocol

Launcher = Literal["spawn", "fork"]
LAUNCHERS: tuple[Launcher, ...] = ("spawn", "fork")
LAUNCHER_ENV = "ADAL_PROCESS_LAUNCHER"
DEFAULT_LAUNCHER: Launcher = "fork"
# Imported once by the forkserver. This module must be among them: the child unpickles its
# target function from here.
PRELOAD: tuple[str, ...] = (
    "bot.sandbox.process",
    "bot.__main__",
    "bot.app",
    "aiogram",
    "sqlalchemy",
    "aiosqlite",
    "aiohttp",
)
POLL_SECONDS = 0.02
LOG_TAIL_CHARS = 3000
_PR_SET_PDEATHSIG = 1

Ready = Callable[[], bool | Awaitable[bool]]


class ProcessExited(RuntimeError):
    """The process exited before it was ready."""

    def __init__(self, message: str, returncode: int) -> None:
        super().__init__(message)
        self.returncode = returncode


class StartTimeout(TimeoutError):
    """The process was not ready in time (it has been killed)."""


def resolve_launcher(launcher: str | None = None) -> Launcher:
    """The launcher argument, else ``ADAL_PROCESS_LAUNCHER``, else ``fork``."""
    choice = launcher or os.environ.get(LAUNCHER_ENV) or DEFAULT_LAUNCHER
    for known in LAUNCHERS:
        if choice == known:
            return known
    raise ValueError(f"unknown process launcher {choice!r}: use one of {', '.join(LAUNCHERS)}")


_context: ForkServerContext | None = None
_context_lock = threading.Lock()


def forkserver_context() -> ForkServerContext:
    """multiprocessing's forkserver context, with :data:`PRELOAD` set (once)."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            assert isinstance(context, ForkServerContext)
            context.set_forkserver_preload(list(PRELOAD))
            _context = context
        return _context


def start_forkserver() -> None:
    """Start the forkserver now (it preloads in the background); later calls do nothing.

    Optional: the first fork start does it anyway, but calling this early lets the ~8 s of
    preloading overlap with the caller's own set-up. It snapshots ``sys.path`` now.
    """
    forkserver_context()
    from multiprocessing import forkserver

    forkserver.ensure_running()


_warm: concurrent.futures.Future[None] | None = None


def _noop() -> None:
    pass


def _warm_up() -> None:
    """Fork one empty child and wait for it: returns once the forkserver has preloaded."""
    start_forkserver()
    probe = forkserver_context().Process(target=_noop, name=f"{_CHILD_NAME} warm-up")
    try:
        probe.start()
        probe.join()
    except (OSError, EOFError) as error:
        raise RuntimeError(
            f"the forkserver failed ({error!r}): it could not start or preload; its errors "
            f"are on this process's stderr ({LAUNCHER_ENV}=spawn avoids it)"
        ) from error
    if probe.exitcode != 0:
        raise RuntimeError(f"the forkserver's warm-up child exited with code {probe.exitcode}")
    probe.close()


async def forkserver_ready() -> None:
    """Wait (in a thread, the loop keeps running) until the forkserver can fork at once.

    Done once per interpreter, before the first fork start. After it, each start talks to
    the forkserver from the event loop's thread for the few milliseconds a fork takes, so
    that multiprocessing's bookkeeping of children is only ever touched from one thread.
    """
    global _warm
    with _context_lock:
        if _warm is None or (_warm.done() and _warm.exception() is not None):
            _warm = concurrent.futures.Future()
            thread = threading.Thread(target=_run_warm_up, args=(_warm,), daemon=True)
            thread.start()
        warm = _warm
    # Shielded: a caller's timeout must not cancel the warm-up others wait for too.
    await asyncio.shield(asyncio.wrap_future(warm))


def _run_warm_up(future: concurrent.futures.Future[None]) -> None:
    future.set_running_or_notify_cancel()
    try:
        _warm_up()
    except BaseException as error:
        future.set_exception(error)
    else:
        future.set_result(None)


class _Calls(Protocol):
    @property
    def calls(self) -> list[dict[str, Any]]: ...


def polled_since(
    emu: _Calls, mark: int | None = None, method: str = "getUpdates"
) -> Callable[[], bool]:
    """Ready once the emulator's call log has a ``method`` call after index ``mark``.

    ``mark`` is ``len(emu.calls)`` taken before the start (default: now). Each check looks
    only at the calls added since the previous one.
    """
    calls = emu.calls
    cursor = len(calls) if mark is None else mark

    def ready() -> bool:
        nonlocal cursor
        if len(calls) < cursor:
            cursor = 0
        found = any(call["method"] == method for call in calls[cursor:])
        cursor = len(calls)
        return found

    return ready


def http_ready(url: str, timeout: float = 1.0) -> Callable[[], Awaitable[bool]]:
    """Ready once ``GET url`` answers 200 (for the bot in web mode: ``/healthz``)."""

    async def ready() -> bool:
        import aiohttp

        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
                session.get(url) as response,
            ):
                return response.status == 200
        except (aiohttp.ClientError, OSError, TimeoutError):
            return False

    return ready


class BotProcess:
    """``python -m <module> <args...>`` as a child process; start, kill, stop, restart.

    ``env`` is the child's whole environment and is read at each start (the dict is kept, not
    copied). ``log_path`` is appended to: the output of every start in one file.
    """

    def __init__(
        self,
        env: dict[str, str],
        cwd: str | os.PathLike[str],
        log_path: str | os.PathLike[str],
        *,
        module: str = "bot",
        args: Sequence[str] = (),
        launcher: str | None = None,
        new_session: bool = False,
        die_with_parent: bool = False,
    ) -> None:
        self.env = env
        self.cwd = Path(cwd)
        self.log_path = Path(log_path)
        self.module = module
        self.args = list(args)
        self.launcher: Launcher = resolve_launcher(launcher)
        # new_session: own session and process group (a terminal's Ctrl+C does not reach it).
        self.new_session = new_session
        # die_with_parent: SIGTERM when the parent dies (Linux). For fork the parent is the
        # forkserver, which exits once the caller has exited.
        self.die_with_parent = die_with_parent
        self._pid: int | None = None
        self._returncode: int | None = None
        self._exit: asyncio.Future[int] | None = None
        self._spawned: asyncio.subprocess.Process | None = None
        self._forked: multiprocessing.process.BaseProcess | None = None
        self._watch: asyncio.Task[None] | None = None
        self._reader_fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else f"exit {self._returncode}"
        return f"<BotProcess -m {self.module} {self.launcher} pid={self._pid} {state}>"

    # -- state -----------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._pid is not None

    @property
    def pid(self) -> int:
        """The real pid of the child (of the latest start)."""
        if self._pid is None:
            raise RuntimeError("the process has not been started")
        return self._pid

    @property
    def returncode(self) -> int | None:
        """None while running (or never started); else the exit code, -N after signal N."""
        if self._returncode is None and self._forked is not None:
            # The forkserver may have reported the exit before the loop ran our callback.
            code = self._forked.exitcode
            if code is not None:
                self._finish(code)
        return self._returncode

    @property
    def running(self) -> bool:
        return self.started and self.returncode is None

    def log(self, tail: int | None = None) -> str:
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace")
        return text[-tail:] if tail else text

    # -- starting --------------------------------------------------------------------------

    async def start(self, ready: Ready | None = None, timeout: float = 60.0) -> None:
        """Start the child and wait until ``ready()`` is true (returns at once without one).

        ``ready`` may return a bool or an awaitable of one; it is polled every
        :data:`POLL_SECONDS` and also right away. Raises :class:`ProcessExited` if the child
        exits first and :class:`StartTimeout` (after killing it) if ``timeout`` passes; both
        carry the log's tail.
        """
        if self.running:
            raise RuntimeError(f"{self.module} is already running (pid {self._pid})")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._loop = loop
        self._exit = loop.create_future()
        self._returncode = None
        self._pid = None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.launcher == "spawn":
            await self._start_spawn()
        else:
            try:
                await asyncio.wait_for(forkserver_ready(), timeout)
            except TimeoutError:
                raise StartTimeout(
                    f"the forkserver did not finish preloading within {timeout:g} s"
                ) from None
            self._start_fork(loop)
        try:
            await self._until_ready(ready, deadline, timeout)
        except BaseException:
            # Cancelled, or the check itself failed: leave nothing running behind.
            self.send_signal(signal.SIGKILL)
            raise

    async def _until_ready(self, ready: Ready | None, deadline: float, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        exited = self._exit
        assert exited is not None
        while True:
            if ready is not None:
                result = ready()
                if inspect.isawaitable(result):
                    result = await result
            if ready is None or result:
                return
            if exited.done():
                code = exited.result()
                raise ProcessExited(
                    f"{self.module} exited with code {code} at start:\n{self.log(LOG_TAIL_CHARS)}",
                    code,
                )
            left = deadline - loop.time()
            if left <= 0:
                await self.kill()
                raise StartTimeout(
                    f"{self.module} was not ready within {timeout:g} s (killed):\n"
                    f"{self.log(LOG_TAIL_CHARS)}"
                )
            await asyncio.wait([exited], timeout=min(POLL_SECONDS, left))

    async def _start_spawn(self) -> None:
        preexec = _child_preexec(die_with_parent=self.die_with_parent)
        with self.log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                self.module,
                *self.args,
                cwd=self.cwd,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=self.new_session,
                preexec_fn=preexec,
            )
        self._spawned = process
        self._pid = process.pid
        _alive.add(self)
        self._watch = asyncio.ensure_future(self._watch_spawn(process))

    async def _watch_spawn(self, process: asyncio.subprocess.Process) -> None:
        self._finish(await process.wait())

    def _start_fork(self, loop: asyncio.AbstractEventLoop) -> None:
        context = forkserver_context()
        self.log_path.touch()
        process = context.Process(
            target=_child_main,
            args=(
                self.module,
                list(self.args),
                dict(self.env),
                str(self.cwd.resolve()),
                str(self.log_path.resolve()),
                self.new_session,
                self.die_with_parent,
            ),
            name=f"{_CHILD_NAME}: python -m {self.module}",
        )
        try:
            process.start()  # a few ms: the forkserver forks and sends back the pid
        except (OSError, EOFError) as error:
            raise RuntimeError(
                f"the forkserver could not start {self.module}: {error!r} (its errors are on "
                f"this process's stderr; {LAUNCHER_ENV}=spawn avoids it)"
            ) from error
        assert process.pid is not None
        self._forked = process
        self._pid = process.pid
        _alive.add(self)
        # The sentinel is a pipe: readable once the forkserver has written the exit status.
        self._reader_fd = process.sentinel
        loop.add_reader(process.sentinel, self._on_sentinel)

    def _on_sentinel(self) -> None:
        _ = self.returncode  # reads the status (multiprocessing's poll) and finishes

    def _finish(self, code: int) -> None:
        if self._returncode is not None:
            return
        self._returncode = code
        _alive.discard(self)
        if self._reader_fd is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._reader_fd)
        self._reader_fd = None
        if self._forked is not None:
            with contextlib.suppress(ValueError):
                self._forked.close()
            self._forked = None
        self._spawned = None
        if self._exit is not None and not self._exit.done():
            self._exit.set_result(code)

    # -- stopping --------------------------------------------------------------------------

    def send_signal(self, signum: int) -> None:
        """Signal the child if it is still running (no error if it has just exited)."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    async def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit and return the exit code; TimeoutError if it takes longer."""
        if self._exit is None:
            raise RuntimeError("the process has not been started")
        code = self.returncode
        if code is not None:
            return code
        return await asyncio.wait_for(asyncio.shield(self._exit), timeout)

    async def kill(self) -> int:
        """SIGKILL and wait for the exit: the code is -9 (or the earlier exit's code)."""
        self.send_signal(signal.SIGKILL)
        return await self.wait()

    async def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for the exit code; if that takes over ``timeout`` seconds, SIGKILL
        and raise TimeoutError (nothing is left running either way)."""
        self.send_signal(signal.SIGTERM)
        try:
            return await self.wait(timeout)
        except TimeoutError:
            await self.kill()
            raise TimeoutError(
                f"{self.module} did not stop within {timeout:g} s of SIGTERM (killed):\n"
                f"{self.log(LOG_TAIL_CHARS)}"
            ) from None


_alive: set[BotProcess] = set()


class _Emulator(_Calls, Protocol):
    @property
    def token(self) -> str: ...

    @property
    def base_url(self) -> str: ...


ROOT = Path(__file__).resolve().parents[2]
# Variables of the caller that would configure the child behind the given env's back.
_NOT_INHERITED = ("BOT_", "OPERATOR_")


def emulator_env(
    emu: _Emulator, database_url: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The child's environment for polling ``emu``: the caller's, minus its bot settings."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)},
        "BOT_TOKEN": emu.token,
        "BOT_API_URL": emu.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
        **(extra or {}),
    }


class EmulatedBot:
    """A bot (``python -m module``, the real one by default) long-polling a Bot API emulator.

    The one wrapper the e2e tests and the benchmarks share: it builds the environment
    (:func:`emulator_env`), logs to ``workdir/<module>.log`` and counts as started once the
    child polls. The fork launcher by default (milliseconds a start instead of the ~8 s of
    importing aiogram); ``ADAL_PROCESS_LAUNCHER=spawn`` runs fresh interpreters.
    """

    def __init__(
        self,
        emu: _Emulator,
        workdir: Path,
        *,
        database_url: str,
        module: str = "bot",
        extra_env: Mapping[str, str] | None = None,
        launcher: str | None = None,
        stop_timeout: float = 30.0,
    ) -> None:
        self.emu = emu
        self.module = module
        self.workdir = workdir
        self.log_path = workdir / f"{module.replace('.', '_')}.log"
        self.env = emulator_env(emu, database_url, extra_env)
        self.stop_timeout = stop_timeout
        self.driver = BotProcess(self.env, workdir, self.log_path, module=module, launcher=launcher)

    @property
    def process(self) -> BotProcess | None:
        """The process (running or exited); None before the first start."""
        return self.driver if self.driver.started else None

    @property
    def pid(self) -> int:
        """The real pid of the process (for /proc and py-spy)."""
        return self.driver.pid

    @property
    def running(self) -> bool:
        return self.driver.running

    async def start(self, timeout: float = 60.0) -> None:
        """Start and wait until the process polls the emulator for updates."""
        await self.start_when(polled_since(self.emu), timeout)

    async def start_when(self, ready: Ready, timeout: float = 60.0) -> None:
        await self.driver.start(ready, timeout)

    async def kill(self) -> None:
        await self.driver.kill()

    async def stop(self) -> int:
        return await self.driver.stop(self.stop_timeout)

    def log(self) -> str:
        return self.driver.log()


def _kill_leftovers() -> None:
    """At the caller's exit: SIGKILL children still running, so nothing outlives the run.

    Registered after multiprocessing's own exit hook, so it runs first: that hook would
    otherwise wait forever for a still running fork child.
    """
    for process in list(_alive):
        if process._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process._pid, signal.SIGKILL)
        if process._forked is not None:
            process._forked.join(5)


atexit.register(_kill_leftovers)


def _child_preexec(*, die_with_parent: bool) -> Callable[[], None]:
    """A preexec_fn for spawn. Ctrl-C's default comes back: a caller run as a background job
    ignores SIGINT, and its children would inherit that (Python then installs no handler).
    With ``die_with_parent``: SIGTERM to the child when its parent dies (Linux only)."""
    prctl: Callable[..., int] | None = None
    if die_with_parent:
        try:
            prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            prctl = None

    def prepare() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return prepare


# -- the fork child ------------------------------------------------------------------------

_CHILD_NAME = "bot.sandbox.process"
_original_prepare = multiprocessing.spawn.prepare


def _prepare_without_caller_main(data: Mapping[str, Any]) -> None:
    """multiprocessing's child preparation, minus re-importing the caller's main module.

    multiprocessing runs the caller's ``__main__`` again in each child (as ``__mp_main__``)
    in case the target lives there: the pytest script, ``bench.b1_intake``... That costs
    ~0.1 s a start, puts the caller's modules into the bot's process and breaks on a main
    module without an ``if __name__ == "__main__"`` guard. Our target lives here, so children
    of this module (recognised by their name) skip it; every other child is untouched.
    """
    if str(data.get("name", "")).startswith(_CHILD_NAME):
        data = {k: v for k, v in data.items() if not k.startswith("init_main_from_")}
    _original_prepare(data)


# Installed wherever this module is imported; it matters in the forkserver, which preloads
# this module, so that its forked children run it.
if getattr(multiprocessing.spawn.prepare, "__name__", "") != _prepare_without_caller_main.__name__:
    multiprocessing.spawn.prepare = _prepare_without_caller_main


def _child_main(
    module: str,
    args: list[str],
    env: dict[str, str],
    cwd: str,
    log_path: str,
    new_session: bool,
    die_with_parent: bool,
) -> None:
    """In the forked child: become ``python -m module args`` and exit with its code."""
    _redirect_stdio(log_path, unbuffered=bool(env.get("PYTHONUNBUFFERED")))
    _drop_multiprocessing_fds()
    _default_signals()
    if new_session:
        os.setsid()
    if die_with_parent:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    own = [cwd, *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
    sys.path[:] = own + [p for p in dict.fromkeys(sys.path) if p and p not in own]
    importlib.invalidate_caches()
    sys.argv = [module, *args]
    # A fresh `python -m` has not imported the module it runs; the forkserver may have
    # (runpy would warn), and it must run anew as __main__ anyway.
    for name in (module, f"{module}.__main__"):
        loaded = sys.modules.get(name)
        if loaded is not None and not hasattr(loaded, "__path__"):
            del sys.modules[name]
    code = 0
    interrupted = False
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        code, interrupted = 1, True
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    # What the interpreter does at exit: join non-daemon threads, atexit, flush.
    with contextlib.suppress(BaseException):
        threading._shutdown()  # type: ignore[attr-defined]
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
    if interrupted:
        # Like CPython: die of SIGINT after an uncaught KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(BaseException):
        print(code, file=sys.stderr)
    return 1


_replaced_streams: list[object] = []


def _redirect_stdio(log_path: str, *, unbuffered: bool) -> None:
    """fd 0 from /dev/null, fds 1 and 2 appended to the log; fresh sys.std* objects."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    # The forkserver's stream objects may hold buffered bytes of their own: keep them
    # referenced (never flushed into the log) and start clean ones, as a new interpreter has.
    _replaced_streams.extend([sys.stdin, sys.stdout, sys.stderr])
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    streams = {
        "stdin": open(0, encoding=encoding, closefd=False),  # noqa: SIM115
        "stdout": _text_stream(1, encoding, "strict", unbuffered, line=False),
        "stderr": _text_stream(2, encoding, "backslashreplace", unbuffered, line=True),
    }
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _text_stream(
    fd: int, encoding: str, errors: str, unbuffered: bool, line: bool
) -> io.TextIOWrapper:
    raw = io.FileIO(fd, "w", closefd=False)
    buffer: io.RawIOBase | io.BufferedWriter = raw if unbuffered else io.BufferedWriter(raw)
    return io.TextIOWrapper(
        buffer,  # type: ignore[arg-type]
        encoding=encoding,
        errors=errors,
        line_buffering=line and not unbuffered,
        write_through=unbuffered,
    )


def _drop_multiprocessing_fds() -> None:
    """Close the pipes the forkserver handed over: its "alive" pipe (so it can exit once the
    caller has) and the resource tracker's. If the child uses multiprocessing itself, it
    starts its own."""
    from multiprocessing import forkserver, resource_tracker

    server: Any = forkserver._forkserver
    tracker: Any = resource_tracker._resource_tracker
    for owner, attribute in ((server, "_forkserver_alive_fd"), (tracker, "_fd")):
        fd = getattr(owner, attribute, None)
        if isinstance(fd, int):
            with contextlib.suppress(OSError):
                os.close(fd)
            setattr(owner, attribute, None)


def _default_signals() -> None:
    """Signal dispositions and mask of a fresh interpreter."""
    for signum in signal.valid_signals():
        if signum in (signal.SIGKILL, signal.SIGSTOP):
            continue
        handler: Any = signal.SIG_DFL
        if signum == signal.SIGINT:
            handler = signal.default_int_handler
        elif signum in (signal.SIGPIPE, getattr(signal, "SIGXFSZ", None)):
            handler = signal.SIG_IGN  # CPython ignores these at start-up
        with contextlib.suppress(OSError, ValueError):
            signal.signal(signum, handler)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
