"""What the review's page and JSON API share: the process's state plus the sign-in gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsum.web.state import ApiState

if TYPE_CHECKING:
    from newsum.review.signin_gate import SignInGate


@dataclass(frozen=True)
class ReviewState(ApiState):
    """The API's state, and the gate every sign-in passes (limits, the argon2 pool)."""

    gate: SignInGate | None = None
