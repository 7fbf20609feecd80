"""The service's failures, one small class each.

``ClientError`` subclasses are the caller's mistakes and carry their HTTP status; app.py turns them
into ``{"error": message}`` in one place. ``InfrastructureError`` subclasses are ours: a worker that
meets one leaves the message to be retried, and the API answers 503. ``Misconfigured`` is neither:
the service cannot work as configured (a bad variable or secret, a refused permission or
password), retrying will not help, and it must be loud: a cold start fails, the API answers 500
and a worker's invocation fails, so that the messages wait in their queues until it is fixed.
"""

from __future__ import annotations


class ClientError(Exception):
    """A request the caller must change; never retried."""

    status_code = 400


class BadRequest(ClientError):
    """The request is malformed or breaks a rule of the API."""

    status_code = 400


class NotFound(ClientError):
    """No submission has this id."""

    status_code = 404


class PayloadTooLarge(ClientError):
    """The program is larger than the configured cap."""

    status_code = 413


class InfrastructureError(Exception):
    """Something of ours failed (database, queue, runtime); the work may succeed if retried."""

    status_code = 503


class StoreUnavailable(InfrastructureError):
    """The database could not be reached or refused the statement."""


class QueueUnavailable(InfrastructureError):
    """SQS could not be reached or refused the call."""


class SandboxUnavailable(InfrastructureError):
    """The Node runtime could not be started (missing binary, no resources)."""


class Misconfigured(Exception):
    """The service cannot work as configured; it needs its operator, not a retry."""

    status_code = 500
