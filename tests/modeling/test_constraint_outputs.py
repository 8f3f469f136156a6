"""Constrained generation writes the same summaries whether the constraint's masks are
looked up in the vocabulary's word tables or its rules are applied token by token."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from newsum.modeling import generation
from newsum.modeling.article_rules import ArticleRules
from newsum.modeling.checking import summary_checker
from newsum.modeling.constraints import (
    _SENTENCE_END,
    _SENTENCE_START,
    SourceWords,
    whole_sentences,
)
from newsum.modeling.continuations import sentence_state
from newsum.modeling.generation import summarize_batch
from newsum.modeling.loading import load_for_inference
from newsum.modeling.source_text import is_fact_word, is_scale
from newsum.sandbox.corpus import generate_corpus
from tests.modeling.test_token_tables import _by_rule, _next_by_rule


class RulesByToken(ArticleRules):
    """The article's masks computed token by token from the rules themselves."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._by_rule: dict[tuple[str, bool], np.ndarray] = {}

    def mask(self, people: tuple[str, ...], *, whole: bool, mid: bool = False) -> np.ndarray:
        key = (people, whole, mid)
        if key not in self._masks:
            self._masks[key] = _by_rule(self, people, whole=whole, mid=mid)
        return self._masks[key]

    def next_mask(self, before: str, *, spaced: bool) -> np.ndarray:
        if (before, spaced) not in self._by_rule:
            self._by_rule[(before, spaced)] = _next_by_rule(self, before, spaced=spaced)
        return self._by_rule[(before, spaced)]

    def and_next(self, allowed: np.ndarray, before: str, *, spaced: bool) -> np.ndarray:
        return allowed & self.next_mask(before, spaced=spaced)


class SourceWordsByToken(SourceWords):
    """The constraint as it was written before its tables: every mask by rule, a name's
    followers and a barred name's starts one token list at a time, and the scores
    masked row by row."""

    def __init__(self, tokenizer, articles, prompt_width, vocab_size, *, plain=False,  # type: ignore[no-untyped-def]
                 relations=False, stop_when_refused=None) -> None:
        super().__init__(tokenizer, articles, prompt_width, vocab_size, plain=plain,
                         relations=relations, stop_when_refused=stop_when_refused)
        self.rows = [RulesByToken(text, self.vocab, plain=plain, relations=relations)
                     for text in articles]

    def _after_name(self, row, people, name, allowed):  # type: ignore[no-untyped-def]
        followers = row.followers.get(name)
        if followers is None:
            return allowed
        figure = name[:1].isdigit()
        if figure and row.figure_next is not None:
            followers = row.figure_next.get(name, frozenset())
            barred = self.vocab.spaced_word
        else:
            barred = self.vocab.spaced_scale if figure else self.vocab.spaced_capital
        allowed = allowed & ~barred
        fresh = row.mask(people, whole=True, mid=True)
        for word in followers:
            for end in range(1, len(word) + 1):
                ids = self.vocab.by_spaced.get(word[:end], [])
                allowed[ids] = True if figure and is_scale(word) else fresh[ids]
        return allowed

    def _name_starts(self, row, names):  # type: ignore[no-untyped-def]
        others = [w for w in row.words if w[:1].isupper() and w not in names]
        starts = np.zeros(len(self.vocab.texts), dtype=bool)
        for name in names:
            for end in range(1, len(name) + 1):
                piece = name[:end]
                if not any(w.startswith(piece) for w in others):
                    starts[self.vocab.by_spaced.get(piece, [])] = True
        return starts

    def _continuing(self, options):  # type: ignore[no-untyped-def]
        allowed = np.zeros(len(self.vocab.texts), dtype=bool)
        for option in options:
            for end in range(1, len(option) + 1):
                for token_id in self.vocab.by_text.get(option[:end], ()):
                    allowed[token_id] = True
        return allowed

    def _allowed_after(self, row, text):  # type: ignore[no-untyped-def]
        sentence = _SENTENCE_END.split(text)[-1]
        state = sentence_state(row.relations, sentence) if row.relations else None
        people = state.people if state is not None else ()
        allowed = self._word_rule_of_text(row, people, text)
        if state is not None and state.barred_names:
            allowed = allowed & ~self._name_starts(row, state.barred_names)
        if state is not None and state.options is not None:
            allowed = allowed & self._continuing(state.options)
        return allowed

    def _tail_of(self, row, text):  # type: ignore[no-untyped-def]
        word = r"(?:\w+(?:-\w*)*)?" if row.plain is not None else r"\w*"
        head = r"\w+(?:-\w+)*" if row.plain is not None else r"\w+"
        match = re.search(rf"(?:({head}) )?({word})$", text[-200:])
        if match is None:
            return "", None
        return match.group(2), match.group(1)

    def _word_rule_of_text(self, row, people, text):  # type: ignore[no-untyped-def]
        partial, before = self._tail_of(row, text)
        head = text[: len(text) - len(partial)]
        mid = bool(head.strip()) and not _SENTENCE_START.search(head)
        return self._word_rule(row, people, partial, before, mid,
                               not partial and text.endswith(" "))

    def _ends_refused(self, text, allowed, row_scores):  # type: ignore[no-untyped-def]
        """Whether the row stops here: it holds a whole sentence, and the model's
        favourite token, writing into or closing no fact word, is refused by more than
        the margin."""
        favourite = int(row_scores.argmax())
        if self.stop_when_refused is None or allowed[favourite] or not whole_sentences(text):
            return False
        piece = self.vocab.texts[favourite]
        if piece.startswith(" "):
            word = re.match(r" (\w*)", piece).group(1)  # type: ignore[union-attr]
        else:
            word = (re.search(r"[\w-]*$", text).group()  # type: ignore[union-attr]
                    + re.match(r"[\w-]*", piece).group())  # type: ignore[union-attr]
        if is_fact_word(word) or is_fact_word(word.split("-")[0]):
            return False
        best_allowed = row_scores[torch.from_numpy(allowed)].max()
        return float(row_scores.max() - best_allowed) > self.stop_when_refused

    def __call__(self, input_ids, scores):  # type: ignore[no-untyped-def]
        per_prompt = input_ids.shape[0] // len(self.rows)
        eos = self.tokenizer.eos_token_id
        for index in range(input_ids.shape[0]):
            row = self.rows[index // per_prompt]
            generated = input_ids[index, self.prompt_width:].tolist()
            text = "".join(self.vocab.texts[t] for t in generated)
            allowed = self._allowed_after(row, text)[: scores.shape[1]].copy()
            if eos is not None and eos not in generated and self._ends_refused(
                    text, allowed, scores[index]):
                allowed[:] = False
            if not allowed.any() and eos is not None:
                allowed[eos] = True
            scores[index, ~torch.from_numpy(allowed)] = -float("inf")
        return scores


@pytest.mark.usefixtures("one_thread")
def test_the_tables_write_the_same_summaries_as_the_rules(
    trained_adapter_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_for_inference(trained_adapter_dir, precision="fp32", device="cpu")
    params = loaded.manifest.generation
    assert params.source_words and params.article_words and params.relations
    assert params.stop_when_refused is not None
    items = generate_corpus(12, seed=23)
    articles = [(item.title, item.body) for item in items]
    # With the check, a held summary is written again as beam candidates: beams too.
    options = {"batch_size": 6, "checker": summary_checker(loaded.manifest),
               "languages": [item.language for item in items]}
    fast = summarize_batch(loaded, articles, **options)
    monkeypatch.setattr(generation, "SourceWords", SourceWordsByToken)
    by_rule = summarize_batch(loaded, articles, **options)
    texts = [r.text for r in fast if not isinstance(r, Exception)]
    assert len(texts) == len(articles) and all(texts)
    assert texts == [r.text for r in by_rule if not isinstance(r, Exception)]
    assert [r.candidates for r in fast] == [r.candidates for r in by_rule]
