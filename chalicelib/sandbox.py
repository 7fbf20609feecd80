"""The sandbox driver: runs one program in a fresh, locked-down Node process and reads its outcome.

Layers, outermost first (SANDBOX.md says which attack each one stops):
- a new process per program, in its own session (process group), with an empty environment and a
  fresh empty working directory that is removed afterwards;
- OS limits set before ``exec``: data segment, file size, core dumps, open files;
- Node's permission model and hardening flags (no file system, network, child processes, workers,
  addons, code generation from strings, prototype poisoning of the intrinsics);
- the harness (runner/harness.js): a context with no host objects, its own console and timers;
- here: a wall-clock deadline after which the whole group is killed, a kill of the group after
  every run, and caps on every byte read back.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pwd
import re
import resource
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.constants import (
    CLOCK_TICKS,
    CPU_POLL_S,
    GC_BUSY_TICKS,
    MEMORY_VERDICT_GRACE_MS,
    NODE_RESERVED_DATA_MB,
    NPROC_LIMIT,
    STACK_BYTES,
    STDERR_CAP_BYTES,
)
from chalicelib.domain import NO_INPUT, Limits, ProgramInput, Reason, RunOutcome
from chalicelib.errors import SandboxUnavailable
from chalicelib.warm_pool import WarmPool

UNPRIVILEGED_USER = "nobody"
READ_CHUNK = 64 * 1024
# What V8 itself prints on stderr when it gives up for lack of memory, before it aborts the process
# (SIGABRT when the heap limit is reached, SIGTRAP when an allocation outside the heap fails). The
# program cannot write to stderr, and the text only counts together with one of these signals.
V8_OOM_MARKERS = (b"JavaScript heap out of memory", b"Fatal process out of memory")
V8_OOM_SIGNALS = (-signal.SIGABRT, -signal.SIGTRAP)
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# sandbox-exec's exit status when it could not set up or exec the program (see sandbox_exec.c).
LAUNCH_FAILED = 127


@dataclass
class _Capture:
    """Bytes read from one pipe, kept up to ``cap``; ``overflow`` once more arrived."""

    cap: int
    data: bytearray = field(default_factory=bytearray)
    overflow: bool = False

    def add(self, chunk: bytes) -> None:
        room = self.cap - len(self.data)
        if len(chunk) > room:
            self.overflow = True
            chunk = chunk[:max(room, 0)]
        self.data += chunk


def _text(data: bytes | bytearray | str) -> str:
    """Program text made safe to store: invalid UTF-8, lone surrogates (JSON can carry them) and
    NUL (which PostgreSQL text refuses) become U+FFFD."""
    text = LONE_SURROGATE.sub("\ufffd", data) if isinstance(data, str) else \
        bytes(data).decode("utf-8", errors="replace")
    return text.replace("\x00", "\ufffd")


class NodeSandbox:
    """Runs JavaScript programs in the pinned Node binary, one fresh process each."""

    def __init__(self, node_path: str | Path, harness_path: str | Path,
                 work_root: str | Path | None = None, exec_helper: str | Path | None = None) -> None:
        self.node_path = Path(node_path).absolute()
        self.harness_path = Path(harness_path).absolute()
        self.work_root = work_root
        # runner/sandbox_exec.c sets limits and identity, so that Python can spawn with vfork.
        # Where it is built it is mandatory: a helper named but missing is an error, never a
        # silent fallback to the pre-exec hook, which forks the whole (multi-threaded) worker and
        # runs Python in the child, where a lock another thread held can never be released.
        # Only ``exec_helper=None`` (no C compiler where the runtime was fetched) takes that path.
        self.exec_helper = Path(exec_helper).absolute() if exec_helper else None
        self.stack_bytes = _stack_bytes()
        # Lambda runs us unprivileged already; as root (a container, CI) drop to ``nobody``.
        self.run_as = _unprivileged_ids() if os.geteuid() == 0 else None
        self.pool: WarmPool | None = None
        self._warm: tuple[Limits, int] | None = None
        self._pool_lock = threading.Lock()

    def keep_warm(self, limits: Limits, size: int) -> None:
        """Keep ``size`` processes for ``limits`` started ahead of need (see WarmPool), from the
        first run on: a process that never runs a program (the API's) starts none."""
        self._warm = (limits, size) if size > 0 else None

    def check(self) -> None:
        """Raise ``SandboxUnavailable`` unless the pinned runtime is in place."""
        if not (self.node_path.is_file() and os.access(self.node_path, os.X_OK)):
            raise SandboxUnavailable(
                f"the Node runtime is missing at {self.node_path} (run `make node` locally; in "
                "Lambda, attach the node layer); no other Node is used in its place")
        if not self.harness_path.is_file():
            raise SandboxUnavailable(f"the harness is missing at {self.harness_path}")
        if self.exec_helper is not None and not os.access(self.exec_helper, os.X_OK):
            raise SandboxUnavailable(
                f"the launch helper is missing at {self.exec_helper} (run `make node`; in Lambda, "
                "attach the node layer); set SANDBOX_EXEC= to use the slower pre-exec path")

    def self_test(self) -> None:
        """Run one trivial program end to end; raise ``SandboxUnavailable`` with the reason if it
        does not come back right (for instance: the unprivileged user cannot reach the binary)."""
        try:
            outcome = self.run("20 + 22", Limits(time_ms=5000, memory_mb=64, output_bytes=1024))
        except OSError as exc:
            raise SandboxUnavailable(f"the sandbox self-test could not run: {exc}") from exc
        if outcome.result != "42":
            who = f" as uid {self.run_as[0]}" if self.run_as else ""
            raise SandboxUnavailable(
                f"the sandbox self-test failed{who}: {outcome.reason.value}: {outcome.error}")

    def command(self, limits: Limits, result_fd: int, stderr_fd: int) -> list[str]:
        """The exact command line of one run. Only the memory limit is fixed at start; the other
        limits come with the program (see ``StartedProcess.run``)."""
        context_dir = self.harness_path.with_name("context")
        return [
            str(self.node_path),
            "--permission",                        # no fs, net, child processes, workers, ...
            f"--allow-fs-read={context_dir}",      # ... but the harness may load its context code
            "--disallow-code-generation-from-strings",
            "--frozen-intrinsics",
            "--no-addons",
            "--disable-proto=delete",
            "--expose-internals",                  # the harness points V8's stack-formatting and
            "--disable-warning=internal/test/binding",  # import() hooks into the program's realm
            "--disable-warning=ExperimentalWarning",
            f"--max-old-space-size={limits.memory_mb}",
            f"--stack-size={self.stack_bytes // 2 // 1024}",
            str(self.harness_path),
            f"--result-fd={result_fd}",
            f"--stderr-fd={stderr_fd}",
            f"--memory-limit-mb={limits.memory_mb}",
        ]

    def start(self, limits: Limits) -> StartedProcess:
        """Start a Node process for one program, up to the point where it waits for the source:
        fresh directory, empty environment, limits, flags, the harness loaded.

        Raises:
            SandboxUnavailable: the runtime is missing or could not be started.
        """
        self.check()
        workdir = tempfile.mkdtemp(prefix="evaluator-run-", dir=self.work_root)
        identity: dict = {}
        if self.run_as is not None:
            uid, gid = self.run_as
            identity = {"user": uid, "group": gid, "extra_groups": []}
        result_read, result_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        settings = _limit_settings(limits, self.stack_bytes)
        command = self.command(limits, result_write, stderr_write)
        if self.exec_helper is not None:
            prefix = [str(self.exec_helper)]
            if identity:
                prefix += ["-u", str(identity["user"]), "-g", str(identity["group"])]
            for name, _, value in settings:
                prefix += ["-l", f"{name}={value}"]
            command, hook, identity = [*prefix, "--", *command], None, {}
        else:
            hook = _pre_exec(settings)
        try:
            if self.run_as is not None:
                os.chown(workdir, *self.run_as)
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=workdir, env={}, pass_fds=(result_write, stderr_write), start_new_session=True,
                preexec_fn=hook, close_fds=True, **identity,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            os.close(result_read)
            os.close(stderr_read)
            shutil.rmtree(workdir, ignore_errors=True)
            who = (f" as the unprivileged user (uid {self.run_as[0]}), which needs to reach "
                   "the binary and the harness") if self.run_as else ""
            raise SandboxUnavailable(f"could not start Node{who}: {exc}") from exc
        finally:
            os.close(result_write)
            os.close(stderr_write)
        return StartedProcess(process, workdir, result_read, stderr_read, limits)

    def run(self, code: str, limits: Limits, given: ProgramInput = NO_INPUT) -> RunOutcome:
        """Run ``code`` under ``limits`` with ``given`` stdin and arguments; a program's own
        failure is an outcome, never an exception. The process comes from the warm pool when one
        with this memory limit is ready; either way it serves this one program and is gone
        afterwards.

        Raises:
            SandboxUnavailable: the runtime is missing or could not be started.
        """
        if self.pool is None and self._warm is not None:
            with self._pool_lock:
                if self.pool is None:
                    self.pool = WarmPool(self.start, *self._warm)
        started = (self.pool.take(limits) if self.pool else None) or self.start(limits)
        return started.run(code, limits, given)

    def close(self) -> None:
        """Discard the processes kept warm (at shutdown)."""
        self._warm = None
        if self.pool is not None:
            self.pool.close()


@dataclass
class StartedProcess:
    """A Node process started for exactly one program, waiting for its source on stdin."""

    process: subprocess.Popen
    workdir: str
    result_read: int
    stderr_read: int
    limits: Limits  # the ones it was started with: only memory_mb is fixed by then

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, code: str, limits: Limits | None = None,
            given: ProgramInput = NO_INPUT) -> RunOutcome:
        """Hand the process its program, input and per-run limits, and read how it ended. The
        time limits run from here.

        A program still running at the deadline while at its memory limit gets a short grace to
        let V8 decide whether it is out of memory (a heap bomb near the limit spends its last
        seconds collecting garbage). It ends memory_limit if V8 gives up, or if it still runs
        then and V8's helper threads were collecting garbage meanwhile; else time_limit.
        """
        limits = limits or self.limits
        job = json.dumps({"code": code, "stdin": given.stdin, "args": list(given.args),
                          "output_limit": limits.output_bytes}).encode("utf-8")
        started = time.monotonic()
        limit_s = limits.time_ms / 1000
        gc_ticks_at_deadline: int | None = None

        def at_deadline() -> float | None:
            nonlocal gc_ticks_at_deadline
            if gc_ticks_at_deadline is not None or not _at_memory_limit(self.process.pid, limits):
                return None
            gc_ticks_at_deadline = _helper_cpu_ticks(self.process.pid)
            return started + limit_s + min(MEMORY_VERDICT_GRACE_MS / 1000, limit_s)

        usage = None
        try:
            try:
                reading = _Reading(self.process, self.result_read, self.stderr_read, limits)
                ended = reading.collect(job, started + limit_s, at_deadline)
                collecting = (ended == "time" and gc_ticks_at_deadline is not None and
                              _helper_cpu_ticks(self.process.pid) - gc_ticks_at_deadline
                              >= GC_BUSY_TICKS)
            finally:
                usage = _kill_group(self.process)
            wall_ms = round((time.monotonic() - started) * 1000)
            return _outcome(self.process.returncode, reading, ended, limits, wall_ms,
                            out_of_memory=collecting, usage=usage)
        finally:
            self.discard()

    def discard(self) -> None:
        """Kill it (if it still runs) and remove everything it had."""
        _kill_group(self.process)
        for fd in (self.result_read, self.stderr_read):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.workdir, ignore_errors=True)


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child, before exec: have the kernel SIGKILL it when the thread that started it
    dies, so that a worker killed mid-run leaves no program running without its time limit.
    Where prctl is refused (AWS Lambda's seccomp filter) this does nothing: the driver's kill of
    the group after every run, and Lambda's end of every process when it recycles an
    environment, stand in for it (see runner/sandbox_exec.c)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _unprivileged_ids() -> tuple[int, int]:
    entry = pwd.getpwnam(UNPRIVILEGED_USER)
    return entry.pw_uid, entry.pw_gid


def _stack_bytes() -> int:
    """STACK_BYTES, or less if the hard limit says so."""
    hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
    return STACK_BYTES if hard == resource.RLIM_INFINITY else min(STACK_BYTES, hard)


def _limit_settings(limits: Limits, stack_bytes: int) -> list[tuple[str, int, int]]:
    """The run's OS limits: (sandbox-exec's name, resource, value); soft and hard alike."""
    return [
        ("data", resource.RLIMIT_DATA, (NODE_RESERVED_DATA_MB + limits.memory_mb) << 20),
        ("fsize", resource.RLIMIT_FSIZE, 0),  # no file may grow, whatever slips past permissions
        ("core", resource.RLIMIT_CORE, 0),
        ("nofile", resource.RLIMIT_NOFILE, 64),
        ("nproc", resource.RLIMIT_NPROC, NPROC_LIMIT),
        ("stack", resource.RLIMIT_STACK, stack_bytes),
    ]


def _pre_exec(settings: list[tuple[str, int, int]]):
    """The pre-exec hook doing what sandbox-exec does, when that helper is not there."""

    def apply() -> None:
        for _, limit, value in settings:
            resource.setrlimit(limit, (value, value))
        die_with_parent()

    return apply


class _Reading:
    """One run's pipes read to their end: the program's stdout and stderr (each capped at the
    output limit), Node's own stderr, and the harness's result channel; its CPU time watched."""

    def __init__(self, process: subprocess.Popen, result_fd: int, stderr_fd: int,
                 limits: Limits) -> None:
        assert process.stdin and process.stdout and process.stderr
        self.process = process
        self.limits = limits
        self.stdout = _Capture(limits.output_bytes)
        self.stderr = _Capture(limits.output_bytes)
        self.node_stderr = _Capture(STDERR_CAP_BYTES)
        self.result_fd = result_fd
        # JSON escaping can make each byte of the result six (\u0000).
        self.result = _Capture(6 * limits.output_bytes + READ_CHUNK)
        self.pipes = {process.stdout.fileno(): self.stdout, stderr_fd: self.stderr,
                      process.stderr.fileno(): self.node_stderr, result_fd: self.result}
        self.peak_kb: int | None = None  # VmHWM, the last time it was read

    def sample(self) -> None:
        """Read the process's peak resident memory (VmHWM: of Node itself, from its exec on),
        while the process still exists."""
        peak = _status_kb(self.process.pid, b"VmHWM:")
        if peak is not None:
            self.peak_kb = max(peak, self.peak_kb or 0)

    def _drain(self) -> None:
        """Read what the pipes still hold without waiting: the harness wrote all of it before
        its result line."""
        for fd, capture in self.pipes.items():
            os.set_blocking(fd, False)
            with contextlib.suppress(BlockingIOError, OSError):
                while chunk := os.read(fd, READ_CHUNK):
                    capture.add(chunk)

    @property
    def overflowed(self) -> bool:
        return self.stdout.overflow or self.stderr.overflow

    def lines(self) -> list[dict]:
        """The harness's complete JSON lines so far (the program cannot write to this pipe)."""
        found = []
        for line in bytes(self.result.data).split(b"\n")[:-1]:
            with contextlib.suppress(ValueError):
                value = json.loads(line)
                if isinstance(value, dict):
                    found.append(value)
        return found

    def started_cpu_ms(self) -> float | None:
        """The CPU time the process had used when its program began (the harness's own start
        and context building are not the program's), or None before it began."""
        for line in self.lines():
            if line.get("started") is True and isinstance(line.get("cpu_us"), int):
                return line["cpu_us"] / 1000
        return None

    def report(self) -> dict | None:
        if self.result.overflow:
            return None
        for line in self.lines():
            if line.get("reason") in ("completed", "error", "output_limit"):
                return line
        return None

    def over_cpu(self) -> bool:
        baseline = self.started_cpu_ms()
        return (self.limits.cpu_time_ms is not None and baseline is not None and
                _cpu_ms(self.process.pid) - baseline > self.limits.cpu_time_ms)

    def collect(self, job: bytes, deadline: float, at_deadline=lambda: None) -> str | None:
        """Feed the program its job and read its streams until they close or a limit is reached.

        Returns None, "time" (the wall-clock deadline passed; ``at_deadline()`` may first return
        a later one to wait for instead), or "cpu" (the CPU-time limit). Stops reading early when
        stdout or stderr overflows its cap, and as soon as the harness has reported (it then
        waits to be killed): the run ends there. Samples the peak memory on the way and last.
        """
        try:
            return self._collect(job, deadline, at_deadline)
        finally:
            self.sample()

    def _collect(self, job: bytes, deadline: float, at_deadline) -> str | None:
        process = self.process
        stdin_fd = process.stdin.fileno()
        os.set_blocking(stdin_fd, False)
        pending = memoryview(job)
        watch_cpu = self.limits.cpu_time_ms is not None
        with selectors.DefaultSelector() as selector:
            for fd in self.pipes:
                selector.register(fd, selectors.EVENT_READ)
            selector.register(stdin_fd, selectors.EVENT_WRITE)
            open_readers = len(self.pipes)
            while open_readers:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    later = at_deadline()
                    if later is None:
                        return "time"
                    deadline, remaining = later, later - time.monotonic()
                if watch_cpu and self.over_cpu():
                    return "cpu"
                self.sample()
                for key, _ in selector.select(min(remaining, CPU_POLL_S)):
                    if key.fd == stdin_fd:
                        try:
                            pending = pending[os.write(stdin_fd, pending[:READ_CHUNK]):]
                        except BrokenPipeError:
                            pending = pending[:0]
                        if not pending:
                            selector.unregister(stdin_fd)
                            process.stdin.close()
                        continue
                    chunk = os.read(key.fd, READ_CHUNK)
                    if not chunk:
                        selector.unregister(key.fd)
                        open_readers -= 1
                        continue
                    self.pipes[key.fd].add(chunk)
                    if self.overflowed:
                        return None
                    if key.fd == self.result_fd and self.report() is not None:
                        self._drain()
                        return None
        while not _exited(process.pid, min(deadline, time.monotonic() + CPU_POLL_S)
                          if watch_cpu else deadline):
            if watch_cpu and self.over_cpu():
                return "cpu"
            if time.monotonic() >= deadline:
                later = at_deadline()
                if later is None:
                    return "time"
                deadline = later
        return None


def _status_kb(pid: int, field: bytes) -> int | None:
    """A kB figure from /proc/<pid>/status (VmHWM, VmData), or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cpu_ms(pid: int) -> float:
    """User + system time the process has used so far (all its threads), from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


def _helper_cpu_ticks(pid: int) -> int:
    """CPU time (clock ticks) used so far by every thread of the process but the main one: V8's
    worker threads, which run the garbage collector's parallel work. A program looping with its
    memory held uses none; one whose heap is full and collected over and over keeps them busy."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tasks:
        if tid == str(pid):
            continue
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            continue
    return total


def _at_memory_limit(pid: int, limits: Limits) -> bool:
    """Whether the process has less than a quarter of its memory limit left under RLIMIT_DATA,
    by the kernel's own count (VmData), read while it still runs."""
    used_kb = _status_kb(pid, b"VmData:")
    if used_kb is None:
        return False
    data_limit = (NODE_RESERVED_DATA_MB + limits.memory_mb) << 20
    return data_limit - (used_kb << 10) < (limits.memory_mb << 20) // 4


def _exited(pid: int, deadline: float) -> bool:
    """Wait until ``deadline`` for the process to exit, without reaping it: while it is an
    unreaped zombie its pid (the group's id) cannot be reused, so the group can still be killed."""
    delay = 0.0005
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.01)
    return True


def _kill_group(process: subprocess.Popen) -> resource.struct_rusage | None:
    """Kill everything the run started (its session), then reap the Node process; its resource
    usage, from the kernel, when this call reaped it. Idempotent: once reaped, the pid may belong
    to someone else, so it is not signalled again."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream and not stream.closed:
            stream.close()
    if process.returncode is not None:
        return None
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except ChildProcessError:  # reaped elsewhere (Popen.poll)
        process.wait()
        return None
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage


def _describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "did not exit"
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def _outcome(returncode: int | None, reading: _Reading, ended: str | None, limits: Limits,
             wall_ms: int, out_of_memory: bool = False,
             usage: resource.struct_rusage | None = None) -> RunOutcome:
    report = reading.report()
    cpu_ms = None
    if usage is not None:
        spent = (usage.ru_utime + usage.ru_stime) * 1000 - (reading.started_cpu_ms() or 0)
        cpu_ms = max(round(spent), 0)
    common = {
        "stdout": _text(reading.stdout.data),
        "stderr": _text(reading.stderr.data),
        "stdout_truncated": reading.stdout.overflow or (
            (report or {}).get("reason") == "output_limit" and (report or {}).get("stream") != 2),
        "stderr_truncated": reading.stderr.overflow or (
            (report or {}).get("reason") == "output_limit" and (report or {}).get("stream") == 2),
        "duration_ms": wall_ms,
        "cpu_time_ms": cpu_ms,
        "memory_kb": reading.peak_kb,
    }
    if common["stdout_truncated"] or common["stderr_truncated"]:
        which = "stdout" if common["stdout_truncated"] else "stderr"
        return RunOutcome(
            Reason.OUTPUT_LIMIT,
            error=f"Output limit exceeded: the program printed more than {limits.output_bytes} "
                  f"bytes to {which}; the output was cut off there and the program stopped.",
            **common)
    # Every reason below comes from what the process did: its exit status and signal, V8's own
    # out-of-memory exit, the harness's measurement of the memory left, the kernel's count of
    # its CPU time. Never from the program's own text, which it controls.
    node_stderr = bytes(reading.node_stderr.data)
    if out_of_memory or (returncode in V8_OOM_SIGNALS and
                         any(marker in node_stderr for marker in V8_OOM_MARKERS)):
        return RunOutcome(
            Reason.MEMORY_LIMIT,
            error=f"Memory limit exceeded: the program used more than {limits.memory_mb} MiB.",
            **common)
    if ended == "cpu":
        return RunOutcome(
            Reason.CPU_TIME_LIMIT,
            error=f"CPU time limit exceeded: the program used more than {limits.cpu_time_ms} ms "
                  "of CPU time.",
            **common)
    if ended == "time":
        return RunOutcome(
            Reason.TIME_LIMIT,
            error=f"Time limit exceeded: the program ran longer than {limits.time_ms} ms.",
            **common)
    exit_code = (report or {}).get("exit_code")
    exit_code = exit_code if isinstance(exit_code, int) and 0 <= exit_code <= 255 else None
    if report and report["reason"] == "completed":
        result = report.get("result")
        result = None if result is None else _text(str(result))
        if exit_code:
            return RunOutcome(Reason.NONZERO_EXIT, result=result, exit_code=exit_code,
                              error=f"The program exited with code {exit_code}.", **common)
        return RunOutcome(Reason.COMPLETED, result=result, exit_code=0, **common)
    if report:  # the program threw
        error = _text(str(report.get("error", "")))
        if report.get("memory_exhausted") is True:
            return RunOutcome(Reason.MEMORY_LIMIT,
                              error=f"Memory limit exceeded ({limits.memory_mb} MiB): {error}",
                              **common)
        return RunOutcome(Reason.ERROR, error=error, exit_code=1, **common)
    if returncode == LAUNCH_FAILED and node_stderr.startswith(b"sandbox-exec:"):
        raise SandboxUnavailable(f"could not launch the program: {_text(node_stderr).strip()}")
    detail = _text(node_stderr[-2000:]).strip()
    return RunOutcome(
        Reason.CRASHED,
        error=f"The Node process {_describe_exit(returncode)} without reporting a result."
              + (f"\n{detail}" if detail else ""),
        **common)
