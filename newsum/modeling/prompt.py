"""The one prompt of newsum: how an article becomes model input, for training and serving.

Pure functions over a tokenizer. The prompt is tokenised in three pieces (the text
before the article, the article, the text after it) so that the ARTICLE alone is cut
when the input is too long: news puts the key facts first, so its start is kept, and
the summary a model is trained on is never cut by a library's right-side truncation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple, TypedDict

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newsum.errors import PromptTooLong

if TYPE_CHECKING:  # the template alone is needed without transformers (the summary check)
    from transformers import PreTrainedTokenizerBase

IGNORE_INDEX = -100
"""Label of a token that carries no loss (transformers' and PyTorch's convention)."""


class PromptTemplate(BaseModel):
    """A versioned prompt; recorded in every adapter manifest so serving matches training."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(1, description="Bumped whenever the wording changes.")
    template: str = Field(
        "Summarize the news article.\n\n### Title:\n{title}\n\n### Article:\n{article}\n\n",
        description="Text around the article; holds {title} once and {article} once.",
    )
    response_prefix: str = Field(
        "### Summary:\n", description="Text after which the model writes the summary."
    )

    @field_validator("template")
    @classmethod
    def _has_placeholders(cls, value: str) -> str:
        for name in ("{title}", "{article}"):
            if value.count(name) != 1:
                raise ValueError(f"the template must hold {name} exactly once")
        if value.index("{title}") > value.index("{article}"):
            raise ValueError("{title} must come before {article}")
        return value

    def pieces(self, title: str | None) -> tuple[str, str]:
        """The fixed text before and after the article, the title filled in."""
        head, tail = self.template.split("{article}")
        return head.replace("{title}", (title or "").strip()), tail + self.response_prefix


DEFAULT_TEMPLATE = PromptTemplate()


class TokenizedExample(TypedDict):
    """One training example in the shape transformers' Trainer takes."""

    input_ids: list[int]
    labels: list[int]
    attention_mask: list[int]


def _encode(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def build_prompt_ids(
    tokenizer: PreTrainedTokenizerBase,
    template: PromptTemplate,
    title: str | None,
    body: str,
    max_input_tokens: int,
) -> list[int]:
    """Token ids of the prompt (BOS first), at most ``max_input_tokens`` long.

    Only the article is truncated, keeping its start. Raises PromptTooLong when the
    template and the title alone leave no room for the article.
    """
    head, tail, room = _frame(tokenizer, template, title, max_input_tokens)
    article = leading_tokens(tokenizer, body.strip(), room)
    return head + article + tail


def visible_article(
    tokenizer: PreTrainedTokenizerBase,
    template: PromptTemplate,
    title: str | None,
    body: str,
    max_input_tokens: int,
) -> str:
    """The title and the part of the article the prompt holds, as text: what a model that
    reads this prompt can copy from. Raises PromptTooLong as :func:`build_prompt_ids`."""
    return build_prompt(tokenizer, template, title, body, max_input_tokens).visible


class Prompt(NamedTuple):
    """A prompt for generation: its token ids and the text it shows the model."""

    ids: list[int]
    visible: str


def build_prompt(
    tokenizer: PreTrainedTokenizerBase,
    template: PromptTemplate,
    title: str | None,
    body: str,
    max_input_tokens: int,
) -> Prompt:
    """:func:`build_prompt_ids` and :func:`visible_article` of one article from one
    tokenisation of it (generation needs both). Raises PromptTooLong as they do."""
    head, tail, room = _frame(tokenizer, template, title, max_input_tokens)
    article = leading_tokens(tokenizer, body.strip(), room)
    text = tokenizer.decode(article, skip_special_tokens=True)
    if len(article) == room and text != body.strip():
        # Cut: a half sentence says half of what it means; copy from whole ones only.
        ends = [m.end() for m in re.finditer(r"[.!?…][”\"’)]*(?=\s)", text)]
        text = text[: ends[-1]] if ends else text
    return Prompt(head + article + tail, f"{title or ''}\n{text}")


def _frame(
    tokenizer: PreTrainedTokenizerBase, template: PromptTemplate, title: str | None,
    max_input_tokens: int,
) -> tuple[list[int], list[int], int]:
    """The prompt's token ids before and after the article, and the room left for it."""
    head_text, tail_text = template.pieces(title)
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    head = bos + _encode(tokenizer, head_text)
    tail = _encode(tokenizer, tail_text)
    room = max_input_tokens - len(head) - len(tail)
    if room < 1:
        raise PromptTooLong(
            f"the prompt template and title take {len(head) + len(tail)} tokens, leaving no"
            f" room for the article within max_input_tokens={max_input_tokens}; raise it"
        )
    return head, tail, room


def leading_tokens(tokenizer: PreTrainedTokenizerBase, text: str, count: int) -> list[int]:
    """The first ``count`` token ids of ``text``, without tokenizing all of a huge text.

    A 10 MB article would otherwise be tokenized whole (seconds and hundreds of MB) to
    keep its first few hundred tokens. A prefix is tokenized instead, growing until it
    yields more tokens than needed; the extra token keeps a word cut at the prefix's end
    out of the result.
    """
    chars = max(256, count * 4)
    while True:
        ids = _encode(tokenizer, text[:chars])
        if chars >= len(text) or len(ids) > count + 1:
            return ids[:count]
        chars *= 4


def build_training_example(
    tokenizer: PreTrainedTokenizerBase,
    template: PromptTemplate,
    title: str | None,
    article: str,
    summary: str,
    max_input_tokens: int,
    max_summary_tokens: int,
) -> TokenizedExample:
    """Prompt + summary + EOS, with the loss on the summary and EOS only.

    Prompt tokens are labelled -100. EOS stays in the loss so that the model learns to
    stop. A summary longer than ``max_summary_tokens`` keeps its first
    ``max_summary_tokens - 1`` tokens, then EOS, which generation's budget matches.
    """
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has no EOS token; a summary could never end")
    prompt = build_prompt_ids(tokenizer, template, title, article, max_input_tokens)
    target = _encode(tokenizer, summary.strip())[: max_summary_tokens - 1]
    target.append(tokenizer.eos_token_id)
    return TokenizedExample(
        input_ids=prompt + target,
        labels=[IGNORE_INDEX] * len(prompt) + target,
        attention_mask=[1] * (len(prompt) + len(target)),
    )
