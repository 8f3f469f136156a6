"""The request and response parts both HTTP surfaces use: an article id in a path, and a
finding of the faithfulness check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

from newsum.db.articles import MAX_ARTICLE_ID

ArticleId = Annotated[int, Path(gt=0, le=MAX_ARTICLE_ID, description="The CMS's article id.")]


class FindingView(BaseModel):
    """Something the faithfulness check found in a summary."""

    kind: str = Field(description="e.g. unsupported_name, wrong_role, unsupported_relation.")
    value: str = Field(description="The name, figure or text concerned, as the summary has it.")
    evidence: str = Field(
        default="", description="The article passage the check compared it with, if any."
    )
