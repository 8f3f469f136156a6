"""What an article offers a constrained decoder, and a vocabulary read as text.

The fact words of an article (names, figures, dates and number words) and what follows
each of them there; the article's plain words, for a decoder that writes only those;
and :class:`TokenTexts`, each token of a vocabulary as the text it writes ("▁" is a
space, as in Llama 2's SentencePiece vocabulary; a byte-fallback token is a boundary).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain

import numpy as np
from transformers import PreTrainedTokenizerBase

from newsum.modeling.faithfulness.dates import DATE_WORDS
from newsum.modeling.faithfulness.numbers import NUMBER_WORDS, SCALE_WORDS
from newsum.modeling.faithfulness.text import ALL_STOP_WORDS, fold_word

WORD = re.compile(r"\w+")
COMPOUND = re.compile(r"\w+(?:-\w+)*")  # "quarta-feira" whole, for the plain mode
_LEAD = re.compile(r"^\w*")
_SPACED = re.compile(r"^ (\w+)")
_FACT_WORDS = DATE_WORDS | NUMBER_WORDS


Mask = np.ndarray
"""A boolean array over the vocabulary: which tokens may come next. The constraint's masks
are numpy arrays, not tensors: an operation on one costs a fraction of a microsecond
where torch's dispatch costs a few, and a decoding step takes dozens of them per row."""


def token_ids(ids: Sequence[int]) -> np.ndarray:
    """``ids`` as an index array, through a typed array: many times cheaper than numpy
    reading a Python list element by element."""
    if not ids:
        return np.empty(0, dtype=np.int64)
    return np.frombuffer(array("q", ids), dtype=np.int64)


def _flags(values: Iterable[bool]) -> Mask:
    return np.fromiter(values, dtype=bool)


def is_fact_word(word: str) -> bool:
    """A word the article must hold: capitalised, with a leading digit, a date word, or a
    word that writes or scales a figure ("three", "mil")."""
    return word[:1].isupper() or word[:1].isdigit() or word.lower() in _FACT_WORDS


def leads_a_name(word: str) -> bool:
    """Capitalised or a figure: constrained letter by letter, not only once written."""
    return word[:1].isupper() or word[:1].isdigit()


def is_scale(word: str) -> bool:
    """A word that multiplies the figure before it: "mil", "million"."""
    return word.lower() in SCALE_WORDS


@lru_cache(maxsize=64)
def words_of(text: str, *, compounds: bool = False) -> tuple[str, ...]:
    """The words of ``text`` in order (``compounds``: a hyphenated word whole), kept: an
    article's rules read them several times, and a batch's articles recur on a retry."""
    return tuple((COMPOUND if compounds else WORD).findall(text))


def name_followers(text: str) -> dict[str, frozenset[str]]:
    """For each capitalised word of ``text`` that is a name (not a stop word, and its
    lower case never occurs in the text), the capitalised words that follow it there:
    "Daniel" -> {"Porter"}; and for each figure, the scale words that follow it there:
    "135" -> {} when the article says "135 minutos", "75" -> {"mil"} for "75 mil"."""
    lower = {w for w in words_of(text) if w.islower()}

    def is_name(word: str) -> bool:  # the faithfulness check's own stop words are not
        return word[:1].isupper() and word.lower() not in lower and (
            fold_word(word) not in ALL_STOP_WORDS
        )

    followers: dict[str, set[str]] = {}
    for first, second in spaced_pairs(text):
        if (is_name(first) and second[:1].isupper()) or (
            first[:1].isdigit() and is_scale(second)
        ):
            followers.setdefault(first, set()).add(second)
    for word in dict.fromkeys(words_of(text)):
        if is_name(word) or word[:1].isdigit():
            followers.setdefault(word, set())
    return {word: frozenset(after) for word, after in followers.items()}


# Words that may stand beside any word: they join, they do not state.
FUNCTION_WORDS = frozenset(
    ["the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "from",
     "as", "o", "os", "um", "uma", "de", "do", "da", "dos", "das", "em", "no", "na", "nos",
     "nas", "e", "ou", "por", "para", "com", "ao", "aos", "pelo", "pela", "nesta", "neste",
     "desta", "deste"]
)


# Function words after which anything may come; a day's determiner ("nesta", "on") is
# followed by what follows it in the article, so that a summary cannot skip the day.
FREE_BEFORE = FUNCTION_WORDS - {"nesta", "neste", "desta", "deste", "on"}


@lru_cache(maxsize=64)
def spaced_pairs(text: str, *, compounds: bool = False) -> tuple[tuple[str, str], ...]:
    """Every two words of ``text`` with one space between them, overlapping ("Ana Maria
    Costa" gives both pairs); with ``compounds`` a hyphenated word is one, and a word
    right after a hyphen ("-feira") begins no pair."""
    found = list((COMPOUND if compounds else WORD).finditer(text))
    return tuple(
        (first.group(), second.group())
        for first, second in zip(found, found[1:], strict=False)
        if text[first.end():second.start()] == " "
        and not (compounds and first.start() and text[first.start() - 1] == "-")
    )




def word_pairs(
    text: str, *, compounds: bool = False, figures: bool = False
) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Which words follow and which precede each word of ``text`` (one space between):
    what a figure counts ("40" -> {"novos"} for "40 novos funcionários"), the word that
    introduces it, and the content words that stand side by side (``compounds``: a
    hyphenated word counts as one, "nesta" -> {"quinta-feira"}); with ``figures``, only
    what follows and precedes the figures."""
    after: dict[str, set[str]] = {}
    before: dict[str, set[str]] = {}
    for first, second in spaced_pairs(text, compounds=compounds):
        if figures and not (first.isdigit() or second.isdigit()):
            continue
        after.setdefault(first, set()).add(second)
        # "Nesta terça-feira" opens a sentence; a summary may write it mid-sentence.
        if compounds and first.lower() != first:
            after.setdefault(first.lower(), set()).add(second)
        before.setdefault(second, set()).add(first)
    return (
        {word: frozenset(words) for word, words in after.items()},
        {word: frozenset(words) for word, words in before.items()},
    )


def article_words(text: str, *, groups: bool = True) -> frozenset[str]:
    """The fact words a summary of ``text`` may use: its own; its lower-case words
    capitalised (a sentence may start with any of them); its fact words in capitals (a
    dateline, "RIVERTON —"); and (``groups``) the groups of its long figures, so that
    15000 may be written "15,000" or "15.000" (the check reads them all alike)."""
    words = set(words_of(text))
    facts = {w for w in words.union(words_of(text, compounds=True)) if is_fact_word(w)}
    groups_of = {part for w in facts if w.isdigit() and len(w) > 3 for part in thousands(w)}
    groups_of = groups_of if groups else set()
    return frozenset(
        facts | {w.upper() for w in facts} | groups_of | {w[:1].upper() + w[1:] for w in words}
    )


def plain_words(text: str) -> frozenset[str]:
    """Every word of ``text`` as it may stand in a summary: as written, capitalised (a
    sentence start), and in lower case (a sentence start of the article, mid-sentence).
    Figures as written only: "200" is not "6200" cut short."""
    words = set(words_of(text)).union(words_of(text, compounds=True))
    return frozenset(words | {w[:1].upper() + w[1:] for w in words} | {w.lower() for w in words})


def thousands(digits: str) -> list[str]:
    """"1234567" -> ["1", "234", "567"]: a figure as its groups of three."""
    head = len(digits) % 3 or 3
    return [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]


@lru_cache(maxsize=1 << 16)
def word_prefixes(word: str) -> tuple[str, ...]:
    """Every non-empty prefix of ``word``, kept: an article's words recur at every step."""
    return tuple(word[:i] for i in range(1, len(word) + 1))


def prefixes(words: Iterable[str]) -> frozenset[str]:
    """Every non-empty prefix of every word."""
    return frozenset(chain.from_iterable(map(word_prefixes, words)))


class TokenTexts:
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
        # No token writes more than this: a longer piece of text is no token's.
        self.longest = max(len(text) for text in self.texts)
        self.leads = [_LEAD.match(text).group(0) for text in self.texts]  # type: ignore[union-attr]
        self.starts_boundary = _flags(not lead for lead in self.leads)
        self.hyphen_start = _flags(text.startswith("-") for text in self.texts)
        # Real tokens that open with a space (not the boundary stand-ins of special ids).
        self.space_start = _flags(
            text.startswith(" ") and token_id < len(pieces) and token_id not in special
            and not (pieces[token_id] or "").startswith("<0x")
            for token_id, text in enumerate(self.texts)
        )
        # The word a token starts after one space (" Porter", " Por"), and whether it is
        # capitalised: what may follow a name is what follows it in the article.
        self.spaced = [(m.group(1) if (m := _SPACED.match(text)) else "") for text in self.texts]
        self.spaced_word = _flags(bool(word) for word in self.spaced)
        self.spaced_capital = _flags(word[:1].isupper() for word in self.spaced)
        self.spaced_scale = _flags(
            word.lower() in SCALE_WORDS and text == f" {word}"
            for text, word in zip(self.texts, self.spaced, strict=True)
        )
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
        self.by_text: dict[str, list[int]] = {}
        for token_id, piece in enumerate(pieces):
            if token_id not in special and piece is not None and not piece.startswith("<0x"):
                self.by_text.setdefault(self.texts[token_id], []).append(token_id)

    def continuing_ids(self, options: Sequence[str]) -> np.ndarray:
        """The tokens (ids) whose text begins one of ``options`` (the text that must
        follow): a few among the vocabulary."""
        longest = self.longest
        return token_ids(sorted({token_id for option in options
                                 for end in range(1, min(len(option), longest) + 1)
                                 for token_id in self.by_text.get(option[:end], ())}))
