"""Seconds per phase of a batch, for the worker's one log line per batch.

Generation fills ``prompts``, ``generate``, ``check`` and ``retry``; the worker adds its
own phases around them (reading the articles, writing the summaries). Measuring costs
two clock reads per phase, so it is always on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class PhaseTimes:
    """Wall seconds spent in each named phase, in the order the phases first ran."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Add the time spent in the ``with`` block to phase ``name`` (even if it raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def add(self, other: PhaseTimes) -> None:
        """Add every phase of ``other`` to this one."""
        for name, seconds in other.seconds.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def log_fields(self) -> str:
        """``name=seconds`` pairs for a log line, such as ``read=0.004 generate=1.912``."""
        return " ".join(f"{name}={seconds:.3f}" for name, seconds in self.seconds.items())
