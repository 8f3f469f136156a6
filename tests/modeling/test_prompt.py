"""The one prompt: label masking, EOS in the loss, article-only truncation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from newsum.errors import PromptTooLong
from newsum.modeling.loading import load_tokenizer
from newsum.modeling.prompt import (
    DEFAULT_TEMPLATE,
    IGNORE_INDEX,
    PromptTemplate,
    build_prompt,
    build_prompt_ids,
    build_training_example,
    leading_tokens,
)

pytestmark = pytest.mark.usefixtures("offline_hub")

ARTICLE = (
    "The city council approved a budget of 12 million on Monday. "
    "Officials said the money goes to schools and parks. "
) * 3
SUMMARY = "The council approved a 12 million budget for schools and parks."


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    return load_tokenizer(tiny_model_dir)


def _encode(tokenizer, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def test_prompt_tokens_carry_ignore_label_and_summary_plus_eos_carry_the_loss(tokenizer) -> None:  # type: ignore[no-untyped-def]
    example = build_training_example(
        tokenizer, DEFAULT_TEMPLATE, "Budget passes", ARTICLE, SUMMARY, 512, 64
    )
    prompt = build_prompt_ids(tokenizer, DEFAULT_TEMPLATE, "Budget passes", ARTICLE, 512)
    summary = _encode(tokenizer, SUMMARY)

    assert example["input_ids"] == prompt + summary + [tokenizer.eos_token_id]
    assert example["labels"][: len(prompt)] == [IGNORE_INDEX] * len(prompt)
    assert example["labels"][len(prompt) :] == summary + [tokenizer.eos_token_id]
    assert example["attention_mask"] == [1] * len(example["input_ids"])
    assert tokenizer.pad_token_id != tokenizer.eos_token_id


def test_long_article_is_cut_from_its_end_and_the_summary_stays_whole(tokenizer) -> None:  # type: ignore[no-untyped-def]
    long_article = "Opening fact: the mayor resigned. " + "Filler sentence here. " * 400
    title = "Mayor quits"
    fixed = build_prompt_ids(tokenizer, DEFAULT_TEMPLATE, title, "", 10_000)
    budget = len(fixed) + 12
    example = build_training_example(
        tokenizer, DEFAULT_TEMPLATE, title, long_article, SUMMARY, budget, 64
    )
    labels = example["labels"]
    prompt_length = labels.count(IGNORE_INDEX)
    prompt = example["input_ids"][:prompt_length]

    assert prompt_length == budget
    assert _encode(tokenizer, long_article)[:12] == _article_ids(prompt, fixed)
    assert "Opening" in tokenizer.decode(prompt)
    assert labels[prompt_length:] == _encode(tokenizer, SUMMARY) + [tokenizer.eos_token_id]


@pytest.mark.parametrize("text", [
    ARTICLE * 40,  # ordinary prose
    "Rescue 🚒 teams ✅ — résumé naïve café; ½ ≠ ∞. " * 300,  # multi-byte characters
    "x" * 20_000,  # one endless word
    "short",
])
def test_leading_tokens_match_the_start_of_the_whole_encoding(tokenizer, text: str) -> None:  # type: ignore[no-untyped-def]
    for count in (1, 50, 400):
        assert leading_tokens(tokenizer, text, count) == _encode(tokenizer, text)[:count]


def test_a_10_mb_article_is_cut_without_tokenizing_all_of_it(tokenizer) -> None:  # type: ignore[no-untyped-def]
    class Recording:
        """The real tokenizer, noting how many characters it was asked to tokenize."""

        def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
            self.inner, self.lengths = inner, []

        def __call__(self, text: str, **kwargs):  # type: ignore[no-untyped-def]
            self.lengths.append(len(text))
            return self.inner(text, **kwargs)

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(self.inner, name)

    body = "Opening fact: the bridge reopens on Friday. " + "More detail follows here. " * 400_000
    assert len(body) > 10_000_000
    recording = Recording(tokenizer)
    ids = build_prompt_ids(recording, DEFAULT_TEMPLATE, "Bridge", body, 512)
    assert len(ids) == 512
    assert "Opening fact" in tokenizer.decode(ids)
    assert max(recording.lengths) < 20_000  # a prefix, not 10 MB


def test_a_generation_prompt_tokenises_its_article_once_for_its_ids_and_its_text(tokenizer) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    seen: list[str] = []

    def recording(text: str, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(text)
        return tokenizer(text, **kwargs)

    class Recording:
        def __call__(self, text: str, **kwargs):  # type: ignore[no-untyped-def]
            return recording(text, **kwargs)

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(tokenizer, name)

    prompt = build_prompt(Recording(), DEFAULT_TEMPLATE, "Budget passes", ARTICLE, 512)

    assert prompt.ids == build_prompt_ids(tokenizer, DEFAULT_TEMPLATE, "Budget passes",
                                          ARTICLE, 512)
    assert prompt.visible == "Budget passes\n" + ARTICLE.strip()
    assert [text for text in seen if "council" in text] == [ARTICLE.strip()]


def test_a_cut_article_shows_the_model_its_whole_sentences_only(tokenizer) -> None:  # type: ignore[no-untyped-def]
    body = "Opening fact: the mayor resigned on Monday. " + "Filler sentence goes on here. " * 60
    fixed = build_prompt_ids(tokenizer, DEFAULT_TEMPLATE, "Mayor quits", "", 10_000)
    prompt = build_prompt(tokenizer, DEFAULT_TEMPLATE, "Mayor quits", body, len(fixed) + 30)

    assert prompt.ids == build_prompt_ids(tokenizer, DEFAULT_TEMPLATE, "Mayor quits", body,
                                          len(fixed) + 30)
    title, shown = prompt.visible.split("\n", 1)
    assert title == "Mayor quits"
    assert shown.startswith("Opening fact") and shown.endswith(".")
    assert body.startswith(shown) and len(shown) < len(body.strip())
    with pytest.raises(PromptTooLong):
        build_prompt(tokenizer, DEFAULT_TEMPLATE, "A very long title " * 20, ARTICLE, 32)


def _article_ids(prompt: list[int], fixed: list[int]) -> list[int]:
    """The article's tokens inside ``prompt``, given the prompt built with an empty article."""
    for split in range(len(fixed) + 1):
        head, tail = fixed[:split], fixed[split:]
        if prompt[:split] == head and prompt[len(prompt) - len(tail) :] == tail:
            return prompt[split : len(prompt) - len(tail)]
    raise AssertionError("the prompt does not hold the template around the article")


def test_overlong_summary_keeps_its_start_and_still_ends_with_eos(tokenizer) -> None:  # type: ignore[no-untyped-def]
    summary = SUMMARY * 10
    example = build_training_example(tokenizer, DEFAULT_TEMPLATE, "T", ARTICLE, summary, 512, 16)
    target = [t for t in example["labels"] if t != IGNORE_INDEX]

    assert len(target) == 16
    assert target == _encode(tokenizer, summary)[:15] + [tokenizer.eos_token_id]


def test_prompt_that_cannot_fit_its_template_is_refused_with_advice(tokenizer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PromptTooLong, match="raise it"):
        build_prompt_ids(tokenizer, DEFAULT_TEMPLATE, "A very long title " * 20, ARTICLE, 32)


def test_template_without_an_article_placeholder_is_refused() -> None:
    with pytest.raises(ValidationError, match="article"):
        PromptTemplate(template="Title: {title}\n")


def test_tokenizer_pads_left_with_a_token_that_is_not_eos(tokenizer) -> None:  # type: ignore[no-untyped-def]
    batch = tokenizer(["short", "a much longer piece of text"], padding=True)

    assert tokenizer.padding_side == "left"
    assert tokenizer.pad_token_id not in (None, tokenizer.eos_token_id)
    assert batch["input_ids"][0][0] == tokenizer.pad_token_id
    assert batch["attention_mask"][0][0] == 0
