"""The judge's rule: how a run's output compares with the expected output, and the verdict.

Output matches when, line by line, the texts are equal after trailing whitespace is removed from
each line and trailing empty lines are ignored (Judge0's rule): "4 \\n" matches "4", "4\\n\\n"
matches "4", but "4" does not match " 4" and "1\\n\\n2" does not match "1\\n2".
"""

from __future__ import annotations

from chalicelib.domain import Reason, RunOutcome, Verdict

VERDICT_FOR_REASON = {
    Reason.TIME_LIMIT: Verdict.TIME_LIMIT,
    Reason.CPU_TIME_LIMIT: Verdict.TIME_LIMIT,
    Reason.MEMORY_LIMIT: Verdict.MEMORY_LIMIT,
    Reason.OUTPUT_LIMIT: Verdict.OUTPUT_LIMIT,
    Reason.ERROR: Verdict.RUNTIME_ERROR,
    Reason.NONZERO_EXIT: Verdict.RUNTIME_ERROR,
    Reason.CRASHED: Verdict.RUNTIME_ERROR,
    Reason.INFRASTRUCTURE: Verdict.RUNTIME_ERROR,
}


def normalized(text: str) -> list[str]:
    """The lines that count: trailing whitespace cut from each, trailing empty lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def outputs_match(actual: str, expected: str) -> bool:
    return normalized(actual) == normalized(expected)


def verdict(outcome: RunOutcome, expected_output: str | None) -> Verdict | None:
    """The run's verdict, or None when nothing was expected."""
    if expected_output is None:
        return None
    if outcome.reason is Reason.COMPLETED:
        return Verdict.ACCEPTED if outputs_match(outcome.stdout, expected_output) \
            else Verdict.WRONG_ANSWER
    return VERDICT_FOR_REASON[outcome.reason]


def overall_verdict(verdicts: list[str | None]) -> Verdict | None:
    """A submission's verdict from its tests' (in order): accepted when every test that expected
    output is, else the first that is not; None when no test expected output."""
    judged = [Verdict(v) for v in verdicts if v is not None]
    if not judged:
        return None
    return next((v for v in judged if v is not Verdict.ACCEPTED), Verdict.ACCEPTED)
