"""The ``newsum.summarize`` message: producers build it with this schema, workers validate
it with the same one, so the two sides cannot drift."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from newsum.config import validation_problems


class SummarizeMessage(BaseModel):
    """The payload of one ``newsum.summarize`` message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    article_id: StrictInt = Field(gt=0)
    model_version_id: StrictInt = Field(gt=0)
    force: StrictBool = False
    # Explicit only (`--override-review`): may replace a summary an editor approved or edited.
    override_review: StrictBool = False

    def as_kwargs(self) -> dict[str, Any]:
        """The message's task kwargs. The override travels only when asked: a worker of the
        previous release refuses a payload with a key it does not know, so rolling upgrades
        keep working."""
        kwargs = self.model_dump(exclude={"override_review"})
        if self.override_review:
            kwargs["override_review"] = True
        return kwargs


def parse_request(kwargs: Any) -> SummarizeMessage:
    """Validate a message's kwargs; raises ValueError saying what is wrong."""
    try:
        return SummarizeMessage.model_validate(kwargs)
    except ValidationError as exc:
        problems = validation_problems(exc, root="payload")
        raise ValueError(f"invalid summarize message {kwargs!r}: {problems}") from None
