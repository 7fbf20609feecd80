"""What the service needs of a submission store; two adapters keep it.

- chalicelib/postgres_store.py: PostgreSQL, the store of every deployment and of `make run`;
- chalicelib/memory_store.py: a dict under a lock, for the fast test tier.

Both pass the same test suite (tests/store_contract.py). Every move is one conditional update
whose guard comes from chalicelib/states.py, so whatever races (duplicate deliveries, two workers,
a late retry, the sweeper) at most one of them changes a submission, and a finished one never
changes again. A store makes no decisions and calls nothing but its database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Protocol

from chalicelib.domain import NewSubmission, RunOutcome, Submission, Verdict
from chalicelib.states import SweepRules


class SubmissionStore(Protocol):
    def create(self, new: NewSubmission) -> Submission:
        """Insert a new Pending submission, and with tests one child per test in the same
        transaction; return the submission."""

    def get(self, submission_id: uuid.UUID) -> Submission | None:
        """The submission, or None if there is none with this id."""

    def children(self, parent_id: uuid.UUID) -> list[Submission]:
        """A parent's tests, in their order (none for a submission without tests)."""

    def complete(self, parent_id: uuid.UUID, verdict: Verdict | None) -> bool:
        """The complete move: a parent none of whose tests is unfinished becomes Completed,
        with ``verdict``. False if a test is unfinished, or it was completed already."""

    def ready_parents(self, limit: int) -> list[uuid.UUID]:
        """Up to ``limit`` parents that the complete move would take (their last test finished
        but nobody completed them: the worker died in between)."""

    def record_enqueued(self, submission_id: uuid.UUID, job_id: str) -> None:
        """Remember the SQS message that now carries a submission."""

    def record_sent(self, sent: Mapping[uuid.UUID, str]) -> None:
        """record_enqueued for many (submission id -> message id), in one statement."""

    def claim(self, submission_id: uuid.UUID, lease_s: int) -> Submission | None:
        """The claim move: Running for ``lease_s``, attempts + 1. None when it is unknown,
        finished, or held by another worker's live lease."""

    def finish(self, submission_id: uuid.UUID, outcome: RunOutcome,
               verdict: Verdict | None = None) -> bool:
        """The finish move, to the outcome's status, with the judge's verdict if output was
        expected. False if someone else finished it first."""

    def release(self, submission_id: uuid.UUID, error: str, attempt: int) -> None:
        """The release move: the lease of claim number ``attempt`` ends now, with ``error``
        noted, so that the retried message can claim it at once."""

    def abandon(self, submission_id: uuid.UUID, why: str) -> bool:
        """The abandon move: Failed (infrastructure), with ``why`` and the last infrastructure
        error. False if it is finished, unknown or held by a live lease."""

    def lost_messages(self, rules: SweepRules, limit: int) -> list[Submission]:
        """Up to ``limit`` unfinished submissions whose message is (or may be) lost, least
        recently changed first. Reads only: the sweeper decides what to do with them."""

    def mark_requeued(self, submission_ids: Iterable[uuid.UUID], rules: SweepRules
                      ) -> list[uuid.UUID]:
        """The requeue move for each one whose message is still lost; returns those moved (the
        caller sends exactly these). Of two concurrent sweepers, each id goes to one."""

    def forget_requeued(self, submission_ids: Iterable[uuid.UUID]) -> None:
        """Undo ``mark_requeued`` for messages that could not be sent: they read as never sent,
        so the next sweep takes them again."""

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the store answers now."""

    def close(self) -> None:
        """Let go of connections."""
