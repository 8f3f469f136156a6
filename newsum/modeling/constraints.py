"""Decoding that copies names, figures and dates from the article instead of inventing them.

A summary may rephrase anything, but a word that names something - one that starts with
a capital letter or a digit, a weekday or month, a number word or scale - is a fact, and
the faithfulness check holds a summary whose facts its article lacks. :class:`SourceWords` lets the
model write such a word only if the article holds it (or, for a capitalised word, holds
it in lower case: the start of a sentence), token by token: a logits processor masks
every token that would begin or continue a word the article does not have. It is a
copy mechanism laid over any causal LM at decoding time; the manifest records whether an
adapter uses it (``generation.source_words``), so the worker reproduces the trainer's
evaluation exactly.

Two stronger modes, each recorded in the manifest too:

- ``plain``: every word is one of the article's (``generation.article_words``), so that
  a small model cannot glue fragments into a word no language has ("quintafeira");
- ``relations``: a role, a predicate, a day and a figure stand only beside the name the
  article joins them to (``generation.relations``, see :mod:`newsum.modeling.relations`),
  and a figure is followed by what it counts there.

Tokens are read as text (see :class:`~newsum.modeling.source_text.TokenTexts`), so the
rules hold whatever the tokenizer's merges.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from transformers import LogitsProcessor, PreTrainedTokenizerBase

from newsum.modeling.article_rules import ArticleRules, Limits
from newsum.modeling.continuations import sentence_state
from newsum.modeling.source_text import (
    TokenTexts,
    article_words,
    is_fact_word,
    is_scale,
    leads_a_name,
    name_followers,
)

__all__ = ["SourceWords", "article_words", "is_fact_word", "is_scale", "name_followers"]

_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")
# Where a sentence may begin: the summary's start, after . ! ? :, a line, or a quote.
_SENTENCE_START = re.compile(r"(?:[.!?:]|\n|[“\"(])\s*$")


class SourceWords(LogitsProcessor):
    """Masks tokens that would write a fact word the row's article does not hold.

    ``articles`` are the rows' article texts (title and body), ``prompt_width`` the
    (left-padded) prompt length: what follows it is the generated summary. ``plain`` and
    ``relations`` switch on the stronger modes of the module docstring.
    """

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, articles: Sequence[str], prompt_width: int,
        vocab_size: int, *, plain: bool = False, relations: bool = False,
    ) -> None:
        self.tokenizer = tokenizer
        self.prompt_width = prompt_width
        self.vocab = TokenTexts(tokenizer, vocab_size)
        self.rows = [ArticleRules(text, self.vocab, plain=plain, relations=relations)
                     for text in articles]

    def _tail(self, row: ArticleRules, text: str) -> tuple[str, str | None]:
        """The word the generated text ends inside ('' if none; in plain mode a hyphen
        keeps it open: "quarta-"), and the word just before it with one space between
        (None if there is none)."""
        word = r"(?:\w+(?:-\w*)*)?" if row.plain is not None else r"\w*"
        head = r"\w+(?:-\w+)*" if row.plain is not None else r"\w+"
        match = re.search(rf"(?:({head}) )?({word})$", text[-200:])
        if match is None:
            return "", None
        return match.group(2), match.group(1)

    def _after_name(
        self, row: ArticleRules, people: tuple[str, ...], name: str, allowed: torch.Tensor
    ) -> torch.Tensor:
        """``allowed``, less the capitalised words that do not follow ``name`` in the
        article (another person's surname, say), or after a figure, less the scale words
        (in relations mode: any word) that do not follow it there."""
        followers = row.followers.get(name)
        if followers is None:  # not a name: a capitalised common word...
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
                # A whole scale word is refused by the plain rule: allow it here, once.
                allowed[ids] = True if figure and is_scale(word) else fresh[ids]
        return allowed

    def _closable(self, row: ArticleRules, limits: Limits, word: str, before: str | None) -> bool:
        """Whether the generated text may end ``word`` here: a scale word only after a
        figure it follows in the article, any other fact word if the article holds it
        (and the sentence's people allow it)."""
        if is_scale(word):
            return before is not None and word in row.followers.get(before, ())
        if (row.plain is not None and word not in row.plain) or word in limits.barred:
            return False
        return not is_fact_word(word) or word in limits.words

    def _candidates(
        self, row: ArticleRules, limits: Limits, partial: str, before: str | None
    ) -> frozenset[str] | list[str]:
        """The words the one being written may still become."""
        if leads_a_name(partial):
            if before is not None and partial[:1].isupper():
                return row.followers.get(before, limits.words - limits.barred)
            return limits.words - limits.barred
        assert row.plain is not None
        lower, _, every = row.next_words(before) if before else (None, None, None)
        lower = every if every is not None else lower  # after a figure: what it counts
        return [w for w in row.plain if w.startswith(partial)
                and (lower is None or w in lower) and self._closable(row, limits, w, before)]

    def _allowed(self, row: ArticleRules, generated: list[int]) -> torch.Tensor:
        text = "".join(self.vocab.texts[t] for t in generated)
        sentence = _SENTENCE_END.split(text)[-1]
        state = sentence_state(row.relations, sentence) if row.relations else None
        people = state.people if state is not None else ()
        allowed = self._word_rule(row, people, text)
        if state is not None and state.barred_names:
            allowed = allowed & ~self._name_starts(row, state.barred_names)
        if state is not None and state.options is not None:
            # A name or a role was just written: what follows must be what the article
            # joins to it.
            # When the words cannot go where the relation demands, the summary ends here.
            allowed = allowed & self.vocab.continuing(state.options)
        return allowed

    def _word_rule(self, row: ArticleRules, people: tuple[str, ...], text: str) -> torch.Tensor:
        partial, before = self._tail(row, text)
        head = text[: len(text) - len(partial)]
        mid = bool(head.strip()) and not _SENTENCE_START.search(head)
        fresh = row.mask(people, whole=True, mid=mid)
        if not partial:
            if text.endswith(" "):  # one space between words, not two
                fresh = fresh & ~self.vocab.space_start
            return fresh & row.next_mask(before, spaced=False) if before else fresh
        limits = row.limited(people, mid=mid)
        tails = row.mask(people, whole=False, mid=True)
        if not leads_a_name(partial) and row.plain is None:
            # A lower-case word goes on freely; it may end only as a word the article
            # allows ("tri" may become "trigo", but not end as "tri" the article lacks).
            if self._closable(row, limits, partial, before):
                return tails
            return tails & ~self.vocab.starts_boundary
        # Inside a name, a figure (or, in plain mode, any word): a boundary may close it
        # only if the article holds it whole, and a token may extend it only along one of
        # the article's words (one that follows the name before it, when there is one).
        candidates = self._candidates(row, limits, partial, before)
        closing = self.vocab.starts_boundary & fresh
        if row.plain is not None:  # a hyphen goes on with the word: "quarta-feira"
            closing = closing & ~self.vocab.hyphen_start
        if partial in candidates:
            allowed = self._after_name(row, people, partial, closing) & row.next_mask(
                partial.rsplit("-", 1)[-1], spaced=True
            )
        else:
            allowed = torch.zeros(len(self.vocab.texts), dtype=torch.bool)
        pieces = self.vocab.by_text if row.plain is not None else self.vocab.by_lead
        for word in candidates:
            if len(word) <= len(partial) or not word.startswith(partial):
                continue
            rest = word[len(partial):]
            for end in range(1, len(rest) + 1):
                allowed[pieces.get(rest[:end], [])] = True
            # A token that finishes the word and goes on past it (", " ...).
            closing = self.vocab.by_lead_open.get(rest, [])
            allowed[closing] = allowed[closing] | tails[closing]
        return allowed

    def _name_starts(self, row: ArticleRules, names: frozenset[str]) -> torch.Tensor:
        """Tokens that begin one of ``names`` after a space and no other capitalised word
        of the article (a barred name must not take a place name with it)."""
        others = [w for w in row.words if w[:1].isupper() and w not in names]
        starts = torch.zeros(len(self.vocab.texts), dtype=torch.bool)
        for name in names:
            for end in range(1, len(name) + 1):
                piece = name[:end]
                if not any(w.startswith(piece) for w in others):
                    starts[self.vocab.by_spaced.get(piece, [])] = True
        return starts

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        rows = input_ids.shape[0]
        per_prompt = rows // len(self.rows)  # beams or returned sequences per article
        for index in range(rows):
            row = self.rows[index // per_prompt]
            allowed = self._allowed(row, input_ids[index, self.prompt_width:].tolist())
            allowed = allowed[: scores.shape[1]].clone()
            if not allowed.any() and self.tokenizer.eos_token_id is not None:
                allowed[self.tokenizer.eos_token_id] = True  # nothing fits: stop here
            scores[index, ~allowed.to(scores.device)] = -float("inf")
        return scores
