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

Tokens are read as text ("▁" is a space, as in Llama 2's SentencePiece vocabulary), so
the rule holds whatever the tokenizer's merges; a byte-fallback token counts as a word
boundary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from transformers import LogitsProcessor, PreTrainedTokenizerBase

from newsum.modeling.faithfulness.dates import DATE_WORDS
from newsum.modeling.faithfulness.numbers import NUMBER_WORDS, SCALE_WORDS
from newsum.modeling.faithfulness.text import ALL_STOP_WORDS, fold_word

_WORD = re.compile(r"\w+")
_LEAD = re.compile(r"^\w*")
_SPACED = re.compile(r"^ (\w+)")
# Two words with one space between them, overlapping ("Ana Maria Costa").
_PAIR = re.compile(r"(?=\b(\w+) (\w+))")


_FACT_WORDS = DATE_WORDS | NUMBER_WORDS


def is_fact_word(word: str) -> bool:
    """A word the article must hold: capitalised, with a leading digit, a date word, or a
    word that writes or scales a figure ("three", "mil")."""
    return word[:1].isupper() or word[:1].isdigit() or word.lower() in _FACT_WORDS


def _leads_a_name(word: str) -> bool:
    """Capitalised or a figure: constrained letter by letter, not only once written."""
    return word[:1].isupper() or word[:1].isdigit()


def is_scale(word: str) -> bool:
    """A word that multiplies the figure before it: "mil", "million"."""
    return word.lower() in SCALE_WORDS


def name_followers(text: str) -> dict[str, frozenset[str]]:
    """For each capitalised word of ``text`` that is a name (not a stop word, and its
    lower case never occurs in the text), the capitalised words that follow it there:
    "Daniel" -> {"Porter"}; and for each figure, the scale words that follow it there:
    "135" -> {} when the article says "135 minutos", "75" -> {"mil"} for "75 mil"."""
    lower = {w for w in _WORD.findall(text) if w.islower()}

    def is_name(word: str) -> bool:  # the faithfulness check's own stop words are not
        return word[:1].isupper() and word.lower() not in lower and (
            fold_word(word) not in ALL_STOP_WORDS
        )

    followers: dict[str, set[str]] = {}
    for first, second in _PAIR.findall(text):
        if (is_name(first) and second[:1].isupper()) or (
            first[:1].isdigit() and is_scale(second)
        ):
            followers.setdefault(first, set()).add(second)
    for word in _WORD.findall(text):
        if is_name(word) or word[:1].isdigit():
            followers.setdefault(word, set())
    return {word: frozenset(after) for word, after in followers.items()}


def article_words(text: str) -> frozenset[str]:
    """The fact words a summary of ``text`` may use: its own; its lower-case words
    capitalised (a sentence may start with any of them); its fact words in capitals (a
    dateline, "RIVERTON —"); and the groups of its long figures, so that 15000 may be
    written "15,000" or "15.000" (the check reads them all alike)."""
    words = set(_WORD.findall(text))
    facts = {w for w in words if is_fact_word(w)}
    groups = {
        part
        for w in facts
        if w.isdigit() and len(w) > 3
        for part in _thousands(w)
    }
    return frozenset(
        facts | {w.upper() for w in facts} | groups | {w[:1].upper() + w[1:] for w in words}
    )


def _thousands(digits: str) -> list[str]:
    """"1234567" -> ["1", "234", "567"]: a figure as its groups of three."""
    head = len(digits) % 3 or 3
    return [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]


class _Vocabulary:
    """Each token's text, split into its leading word run and the rest."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, size: int) -> None:
        special = set(tokenizer.all_special_ids)
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        self.texts: list[str] = []
        for token_id, piece in enumerate(pieces):
            if token_id in special or piece is None or piece.startswith("<0x"):
                self.texts.append(" ")  # a boundary: special or a raw byte
            else:
                self.texts.append(piece.replace("▁", " "))
        self.texts += [" "] * (size - len(self.texts))  # padded embedding rows
        self.leads = [_LEAD.match(text).group(0) for text in self.texts]  # type: ignore[union-attr]
        self.starts_boundary = torch.tensor([not lead for lead in self.leads])
        # The word a token starts after one space (" Porter", " Por"), and whether it is
        # capitalised: what may follow a name is what follows it in the article.
        self.spaced = [(m.group(1) if (m := _SPACED.match(text)) else "") for text in self.texts]
        self.spaced_capital = torch.tensor([word[:1].isupper() for word in self.spaced])
        self.spaced_scale = torch.tensor([
            word.lower() in SCALE_WORDS and text == f" {word}"
            for text, word in zip(self.texts, self.spaced, strict=True)
        ])
        self.by_spaced: dict[str, list[int]] = {}
        for token_id, word in enumerate(self.spaced):
            if word:
                self.by_spaced.setdefault(word, []).append(token_id)
        # Tokens by their leading word run: those made of word characters only, and those
        # that go on past it (a space, punctuation...).
        self.by_lead: dict[str, list[int]] = {}
        self.by_lead_open: dict[str, list[int]] = {}
        for token_id, (text, lead) in enumerate(zip(self.texts, self.leads, strict=True)):
            if lead:
                table = self.by_lead if lead == text else self.by_lead_open
                table.setdefault(lead, []).append(token_id)


class SourceWords(LogitsProcessor):
    """Masks tokens that would write a fact word the row's article does not hold.

    ``articles`` are the rows' article texts (title and body), ``prompt_width`` the
    (left-padded) prompt length: what follows it is the generated summary.
    """

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, articles: Sequence[str], prompt_width: int,
        vocab_size: int,
    ) -> None:
        self.tokenizer = tokenizer
        self.prompt_width = prompt_width
        self.vocab = _Vocabulary(tokenizer, vocab_size)
        self.words = [article_words(text) for text in articles]
        self.followers = [name_followers(text) for text in articles]
        self.prefixes = [
            frozenset(w[:i] for w in words for i in range(1, len(w) + 1)) for words in self.words
        ]
        # Per row: tokens allowed after a word boundary, and tokens whose text after their
        # leading word run is allowed (what matters once that run extends a word).
        self.fresh = [self._mask(row, whole=True) for row in range(len(articles))]
        self.tails = [self._mask(row, whole=False) for row in range(len(articles))]

    def _text_ok(self, row: int, text: str) -> bool:
        """Whether ``text`` written after a boundary keeps every fact word the article's.

        A word still open at the end is judged when it closes, except a capitalised one
        or a figure, which must already be on its way to one of the article's words.
        """
        words = _WORD.findall(text)
        if not words:
            return True
        ends_open = bool(text) and (text[-1].isalnum() or text[-1] == "_")
        complete = words[:-1] if ends_open else words
        if any(
            (is_fact_word(w) and w not in self.words[row]) or is_scale(w) for w in complete
        ):
            return False  # a scale word is written only right after its figure
        last = words[-1]
        return not ends_open or not _leads_a_name(last) or last in self.prefixes[row]

    def _mask(self, row: int, *, whole: bool) -> torch.Tensor:
        texts = self.vocab.texts
        if whole:
            allowed = [self._text_ok(row, text) for text in texts]
        else:
            allowed = [
                self._text_ok(row, text[len(lead):])
                for text, lead in zip(texts, self.vocab.leads, strict=True)
            ]
        return torch.tensor(allowed, dtype=torch.bool)

    def _tail(self, generated: list[int]) -> tuple[str, str | None]:
        """The word the generated text ends inside ('' if none), and the name just before
        it with one space between (None if there is none)."""
        text = "".join(self.vocab.texts[t] for t in generated[-16:])
        match = re.search(r"(?:(\w+) )?(\w*)$", text)
        assert match is not None  # the pattern matches the empty tail
        return match.group(2), match.group(1)

    def _after_name(self, row: int, name: str, allowed: torch.Tensor) -> torch.Tensor:
        """``allowed``, less the capitalised words that do not follow ``name`` in the
        article (another person's surname, say), or after a figure, less the scale words
        that do not follow it there."""
        followers = self.followers[row].get(name)
        if followers is None:  # not a name: a capitalised common word...
            return allowed
        figure = name[:1].isdigit()
        allowed = allowed & ~(self.vocab.spaced_scale if figure else self.vocab.spaced_capital)
        for word in followers:
            for end in range(1, len(word) + 1):
                ids = self.vocab.by_spaced.get(word[:end], [])
                # A whole scale word is refused by the plain rule: allow it here, once.
                allowed[ids] = True if figure else self.fresh[row][ids]
        return allowed

    def _closable(self, row: int, word: str, before: str | None) -> bool:
        """Whether the generated text may end ``word`` here: a scale word only after a
        figure it follows in the article, any other fact word if the article holds it."""
        if is_scale(word):
            return before is not None and word in self.followers[row].get(before, ())
        return not is_fact_word(word) or word in self.words[row]

    def _allowed(self, row: int, generated: list[int]) -> torch.Tensor:
        partial, before = self._tail(generated)
        if not partial:
            return self.fresh[row]
        if not _leads_a_name(partial):
            # A lower-case word goes on freely; it may end only as a word the article
            # allows ("tri" may become "trigo", but not end as "tri" the article lacks).
            if self._closable(row, partial, before):
                return self.tails[row]
            return self.tails[row] & ~self.vocab.starts_boundary
        # Inside a name or a figure: a boundary may close it only if the article holds it
        # whole, and a token may extend it only along one of the article's words (one
        # that follows the name before it, when there is one).
        candidates = self.words[row]
        if before is not None and partial[:1].isupper():
            candidates = self.followers[row].get(before, candidates)
        if partial in candidates:
            allowed = self._after_name(
                row, partial, self.vocab.starts_boundary & self.fresh[row]
            )
        else:
            allowed = torch.zeros(len(self.vocab.texts), dtype=torch.bool)
        for word in candidates:
            if len(word) <= len(partial) or not word.startswith(partial):
                continue
            rest = word[len(partial):]
            for end in range(1, len(rest) + 1):
                allowed[self.vocab.by_lead.get(rest[:end], [])] = True
            # A token that finishes the word and goes on past it (", " ...).
            closing = self.vocab.by_lead_open.get(rest, [])
            allowed[closing] = allowed[closing] | self.tails[row][closing]
        return allowed

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        rows = input_ids.shape[0]
        per_prompt = rows // len(self.words)  # beams or returned sequences per article
        for index in range(rows):
            row = index // per_prompt
            allowed = self._allowed(row, input_ids[index, self.prompt_width:].tolist())
            allowed = allowed[: scores.shape[1]].clone()
            if not allowed.any() and self.tokenizer.eos_token_id is not None:
                allowed[self.tokenizer.eos_token_id] = True  # nothing fits: stop here
            scores[index, ~allowed.to(scores.device)] = -float("inf")
        return scores
