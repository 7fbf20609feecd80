"""Fixed values of the design: not configuration, and not meant to be changed by users.

Each one is a measured or derived choice that other code relies on; the comment says why it is
what it is. What an operator may set lives in chalicelib/config.py.
"""

from __future__ import annotations

import os
from pathlib import Path

# ---- where things are ---------------------------------------------------------------------------
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where the Lambda layer puts the runtime (runner/layer.py builds it); locally, the checkout.
LAYER_ROOT = Path("/opt")
CHECKOUT_RUNTIME = PROJECT_ROOT / ".cache" / "node"
BUILD_DIR = PROJECT_ROOT / "build"

# ---- one run ------------------------------------------------------------------------------------
# Start-up, kill and clean-up time of one run beyond its time limit, generously rounded.
RUN_OVERHEAD_MS = 1000
# A run that is at its memory limit when its time is up gets this long (at most its time limit)
# for V8 to decide whether it is out of memory (chalicelib/sandbox.py).
MEMORY_VERDICT_GRACE_MS = 500
# Helper-thread CPU during that grace that means "collecting garbage" (2 ticks, 20 ms; a program
# that only loops uses none).
GC_BUSY_TICKS = 2
# V8 reserves about 560 MiB of address space that RLIMIT_DATA counts (its code range) before the
# program allocates anything; measured on Node 26.12.1, which does not start below 563 MiB.
NODE_RESERVED_DATA_MB = 640
# The main thread's stack: room for deep recursion (about 150,000 plain frames); V8 is told half of
# it, so that it throws RangeError well before the OS would kill the process.
STACK_BYTES = 32 << 20
# Tasks (processes and threads) the sandbox's user may have in all. Node needs about a dozen; child
# processes are denied anyway, this caps a fork bomb if that layer ever fails. Not enforced for root,
# which is why a root parent runs the program as ``nobody``.
NPROC_LIMIT = 256
# What Node itself may print on its own stderr (V8's fatal messages); the program's stderr is
# another pipe, capped like its stdout.
STDERR_CAP_BYTES = 64 * 1024
# How often a running program's CPU time is read (from /proc) against its CPU-time limit.
CPU_POLL_S = 0.02
# The kernel's clock ticks per second, the unit of /proc/<pid>/stat's times.
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# A warm process that failed to start is tried again after this pause.
WARM_RETRY_PAUSE_S = 1.0

# ---- requests -----------------------------------------------------------------------------------
# JSON escapes can make a character take up to six bytes (\u0000); bigger bodies are refused unread.
BODY_SIZE_FACTOR = 6
BODY_SIZE_SLACK = 4096
# A program's arguments: how many, and how long each (a shell's would be longer; a judge's
# arguments are a few words).
MAX_ARGS = 64
MAX_ARG_BYTES = 4096
# The least memory a request may ask for: Node's own start needs about this much heap.
MIN_MEMORY_MB = 32
# Submissions in one POST /submissions/batch (and ids in one GET): Judge0's batch size.
MAX_BATCH = 20
# A callback URL, as browsers bound them.
MAX_CALLBACK_URL_BYTES = 2048
# A test's name, as a judge shows it.
MAX_TEST_NAME_BYTES = 256
# The body of a submission with tests may carry, on average, this fraction of a full stdin and
# expected output per test (100 tests of 1 MiB each would be a 200 MiB request).
TEST_BODY_SHARE = 16
# ?wait=S polls the database, first soon (a quick program is done in tens of milliseconds), then
# less often, so that a long wait costs a few queries a second at most.
WAIT_FIRST_PAUSE_S = 0.02
WAIT_MAX_PAUSE_S = 0.25

# ---- the queue and the sweeper ------------------------------------------------------------------
# A Pending submission with no message yet is left alone this long: its API call may still be
# sending it.
FRESH_SUBMISSION_S = 10
# A Pending submission whose message has waited this long is sent again even though the queue
# was not recreated: the backstop for a purged queue. Long, so that a backlog is never copied.
PURGED_QUEUE_BACKSTOP_S = 3600
# The sweeper sends this many at a time: one SQS batch call.
# SQS takes at most ten messages in one SendMessageBatch.
SQS_BATCH = 10
SWEEP_CHUNK = SQS_BATCH
# The longest SQS allows a dead letter to wait: time to notice and investigate.
DLQ_RETENTION_S = 14 * 24 * 3600
# The longest visibility timeout SQS accepts (ChangeMessageVisibility), 12 hours.
MAX_VISIBILITY_S = 43200
# How much longer than the worker's timeout a received message stays invisible: AWS's advice for
# a Lambda event source (six times).
VISIBILITY_FACTOR = 6
# A local event source mapping whose poll or invocation failed waits this long before the next.
POLL_ERROR_PAUSE_S = 1.0

# ---- a deployed stage ---------------------------------------------------------------------------
# Database connections a stage leaves free beyond its functions' (migrations, an operator's psql,
# a container being replaced while the old one still holds its connection).
DB_SPARE_CONNECTIONS = 5
