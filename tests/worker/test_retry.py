"""Retry backoff after a transient fault, and how pool errors reach the worker."""

from __future__ import annotations

import pytest

from newsum.worker.tasks import retry_delay


@pytest.mark.parametrize("factor", [0.5, 2.0, 1.25])
def test_delay_doubles_per_retry_up_to_the_cap_for_any_factor(factor: float) -> None:
    delays = [retry_delay(factor, n, 10.0, jitter=False) for n in range(8)]
    expected = [min(10.0, factor * 2**n) for n in range(8)]
    assert delays == pytest.approx(expected)


def test_jitter_spreads_delays_below_the_backoff() -> None:
    delays = [retry_delay(0.5, 3, 300.0) for _ in range(500)]
    assert all(0.0 <= d <= 4.0 for d in delays)
    assert len({round(d, 3) for d in delays}) > 100  # spread out, not one value


def test_pool_errors_are_unwrapped_as_billiard_reports_them() -> None:
    """billiard builds the error of a job whose process died like this; the worker must
    see a WorkerLostError (to requeue the batch), not billiard's pickling wrapper."""
    from billiard.einfo import ExceptionInfo
    from billiard.exceptions import TimeLimitExceeded, WorkerLostError

    from newsum.worker.tasks import pool_exception

    for error in (WorkerLostError("Worker exited prematurely: signal 9 (SIGKILL)"),
                  TimeLimitExceeded(60)):
        try:
            raise error
        except type(error):
            einfo = ExceptionInfo()
        assert pool_exception(einfo) is error
