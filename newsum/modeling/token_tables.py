"""The vocabulary indexed by the words its tokens write, built once per tokenizer.

An article's rules are a handful of words (its names, figures, days, plain words and
their prefixes); a vocabulary has 32,000 tokens (Llama 2) to 128,000 or more. So the
rules are never applied token by token: each token's words are read once, when the
tokenizer is first used, into tables indexed by word, and a mask for an article is
then built by looking up the article's own words, in time that grows with the article
and not with the vocabulary (one vectorised pass over the vocabulary aside).

:class:`WordTable` reads a token as the words it writes (the words it completes and the
one it leaves open at its end), for :meth:`~newsum.modeling.article_rules.ArticleRules.mask`;
:class:`NextTable` reads it as the word it begins, for
:meth:`~newsum.modeling.article_rules.ArticleRules.next_mask`.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Sequence

import numpy as np
from transformers import PreTrainedTokenizerBase

from newsum.modeling.faithfulness.dates import DATE_WORDS
from newsum.modeling.source_text import (
    COMPOUND,
    FUNCTION_WORDS,
    WORD,
    Mask,
    TokenTexts,
    is_fact_word,
    is_scale,
    leads_a_name,
    prefixes,
    token_ids,
    word_prefixes,
)

Index = dict[str, list[int]]
# The words whose tokens a vocabulary keeps (see :meth:`NextTable.beginning`) before it
# starts again: a few MB.
_KEPT_WORDS = 1 << 16


def _add(index: Index, word: str, token_id: int) -> None:
    index.setdefault(word, []).append(token_id)


def _merged(*indexes: Index) -> Index:
    merged: Index = {}
    for index in indexes:
        for word, ids in index.items():
            merged.setdefault(word, []).extend(ids)
    return merged


def listed(pairs: Iterable[tuple[Index, Iterable[str]]]) -> list[int]:
    """The token ids the indexes list under the words, once per listing: for each (index,
    words), every id the index lists under one of the words."""
    ids: list[int] = []
    for index, words in pairs:
        for word in words:
            found = index.get(word)
            if found is not None:
                ids += found
    return ids


def _with_all(ids: list[int], need: np.ndarray) -> Mask:
    """The tokens listed in ``ids`` as many times as ``need`` says they must be (each of
    their words allowed), and those that need none."""
    if not ids:
        return need == 0
    return np.bincount(token_ids(ids), minlength=len(need)) == need


class WordTable:
    """Each token read as text, by the words it writes: those it completes and the one
    it leaves open at its end (a word still being written).

    ``pattern`` is what a word is (``\\w+``, or with hyphens for the plain mode). The
    words are sorted by what an article's rules ask of them, so a mask is the tokens
    whose every word the article allows:

    - ``never``: tokens that complete a scale word ("million" is written only right
      after its figure, by another rule);
    - ``fact`` and ``common``: tokens by each fact word and each other word they complete
      (a token completing a word twice is listed twice);
    - ``open_date``, ``open_name`` and ``open_other``: tokens by the word they leave open,
      a date word, a capitalised word or figure, or any other;
    - ``facts_open`` and ``words_open``: how many of a token's words the rules mode must
      see allowed (fact words and open dates and names; every word).
    """

    def __init__(self, texts: Sequence[str], pattern: re.Pattern[str]) -> None:
        size = len(texts)
        self.size = size
        self.fact: Index = {}
        self.common: Index = {}
        self.open_date: Index = {}
        self.open_name: Index = {}
        self.open_other: Index = {}
        never = [False] * size
        facts_open = [0] * size
        words_open = [0] * size
        for token_id, text in enumerate(texts):
            words = pattern.findall(text)
            if not words:
                continue
            ends_open = text[-1].isalnum() or text[-1] == "_"
            for word in words[:-1] if ends_open else words:
                if is_scale(word):
                    never[token_id] = True
                elif is_fact_word(word):
                    _add(self.fact, word, token_id)
                    facts_open[token_id] += 1
                    words_open[token_id] += 1
                else:
                    _add(self.common, word, token_id)
                    words_open[token_id] += 1
            if ends_open:
                last = words[-1]
                words_open[token_id] += 1
                if last.lower() in DATE_WORDS:
                    _add(self.open_date, last, token_id)
                    facts_open[token_id] += 1
                elif leads_a_name(last):
                    _add(self.open_name, last, token_id)
                    facts_open[token_id] += 1
                else:
                    _add(self.open_other, last, token_id)
        # The plain mode asks the same of every word: one lookup each.
        self.complete = _merged(self.fact, self.common)
        self.open_any = _merged(self.open_date, self.open_name, self.open_other)
        self.never = np.array(never, dtype=bool)
        self.facts_open = np.array(facts_open, dtype=np.int64)
        self.words_open = np.array(words_open, dtype=np.int64)
        self.not_never = ~self.never

    def facts_allowed(
        self, words: Iterable[str], prefixes: Iterable[str], barred: Iterable[str]
    ) -> Mask:
        """Tokens whose fact words are all ``words``, whose open date is one of ``words``
        and open name or figure one of ``prefixes``, and that complete no ``barred`` word
        nor a scale word."""
        words = frozenset(words)
        barred = frozenset(barred)
        allowed = _with_all(listed([
            (self.fact, words - barred), (self.open_date, words), (self.open_name, prefixes),
        ]), self.facts_open)
        allowed[token_ids(listed([(self.common, barred)]))] = False
        return allowed & self.not_never

    def words_allowed(self, words: Iterable[str], prefixes: Iterable[str]) -> Mask:
        """Tokens that complete only ``words`` (none a scale word) and leave open only one
        of ``prefixes``."""
        allowed = _with_all(listed(
            [(self.complete, words), (self.open_any, prefixes)]), self.words_open)
        return allowed & self.not_never

    def completing_or_opening(self, words: Iterable[str], prefixes: Iterable[str]
                              ) -> Mask:
        """Tokens that complete one of ``words`` or leave one of ``prefixes`` open."""
        hit = np.zeros(self.size, dtype=bool)
        hit[token_ids(listed([(self.complete, words), (self.open_any, prefixes)]))] = True
        return hit


class NextTable:
    """Each token by the word it begins (its leading word run, or the word after its one
    leading space), with what kind of word that is."""

    def __init__(self, words: Sequence[str], texts: Sequence[str]) -> None:
        self.size = len(words)
        self.by_word: Index = {}
        for token_id, word in enumerate(words):
            if word:
                _add(self.by_word, word, token_id)
        self.empty = np.array([not word for word in words], dtype=bool)
        self.marks = np.array(
            [not word and bool(text.strip()) for word, text in zip(words, texts, strict=True)],
            dtype=bool,
        )
        self.digit = np.array([word[:1].isdigit() for word in words], dtype=bool)
        self.upper = np.array([word[:1].isupper() for word in words], dtype=bool)
        self.lower = np.array([word[:1].islower() for word in words], dtype=bool)
        # What may follow any word, by what comes before: a token that begins no word (a
        # mark only where no day must come), and also any capitalised word.
        self.lone = self.empty
        self.lone_bound = self.empty & ~self.marks
        self.names = self.lone | self.upper
        self.names_bound = self.lone_bound | self.upper
        # The function words go with any word: what may follow one always includes them.
        self.function_words = np.zeros(self.size, dtype=bool)
        self.function_words[token_ids(self.ids(prefixes(FUNCTION_WORDS)))] = True
        self._names_with: dict[tuple[bool, bool, bool, bool], Mask] = {}
        self._beginning: dict[str, list[int]] = {}

    def names_with(self, *, bound: bool, digit: bool, lower: bool, function_words: bool
                   ) -> Mask:
        """What may follow a word before what it adds itself: a token that begins no word
        (no mark where a day must come: ``bound``) or a capitalised word, with those that
        begin any figure, any lower-case word or a function word; made once each."""
        key = (bound, digit, lower, function_words)
        if key not in self._names_with:
            allowed = self.names_bound if bound else self.names
            for add, part in ((digit, self.digit), (lower, self.lower),
                              (function_words, self.function_words)):
                if add:
                    allowed = allowed | part
            self._names_with[key] = allowed
        return self._names_with[key]

    def ids(self, words: Iterable[str]) -> list[int]:
        """The tokens that begin with one of ``words`` (prefixes of what may follow)."""
        by_word = self.by_word
        return [token_id for word in words for token_id in by_word.get(word, ())]

    def beginning(self, words: Iterable[str]) -> list[int]:
        """The tokens that begin one of ``words``: :meth:`ids` of their prefixes, a token
        listed once per word it begins. Each word's are kept, whatever the article: the
        words of news recur."""
        known = self._beginning
        if len(known) > _KEPT_WORDS:
            known.clear()
        ids: list[int] = []
        for word in words:
            found = known.get(word)
            if found is None:
                found = known[word] = self.ids(word_prefixes(word))
            ids += found
        return ids


class Vocabulary(TokenTexts):
    """A tokenizer's tokens as text (:class:`TokenTexts`) with their word tables: by the
    whole token or by what follows its leading word run, and by words (``\\w+``) or
    hyphenated compounds (the plain mode); and by the word each token begins, alone or
    after its space."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, size: int) -> None:
        super().__init__(tokenizer, size)
        tails = [text[len(lead):] for text, lead in zip(self.texts, self.leads, strict=True)]
        self.word_tables = {
            (whole, compounds): WordTable(self.texts if whole else tails,
                                          COMPOUND if compounds else WORD)
            for whole in (True, False) for compounds in (True, False)
        }
        self.next_tables = {True: NextTable(self.spaced, self.texts),
                            False: NextTable(self.leads, self.texts)}
        self.every = np.ones(len(self.texts), dtype=bool)
        # The complements the constraint takes at every step, made once.
        self.not_space_start = ~self.space_start
        self.not_boundary = ~self.starts_boundary
        self.closing_plain = self.starts_boundary & ~self.hyphen_start
        self.not_spaced_word = ~self.spaced_word
        self.not_spaced_scale = ~self.spaced_scale
        self.not_spaced_capital = ~self.spaced_capital
        self._writing: dict[tuple[str, bool], list[int]] = {}

    def writing(self, rest: str, *, whole: bool) -> list[int]:
        """The tokens that write ``rest``'s beginning, ``rest`` or less: made of word
        characters only (``whole``: any real token), one piece of a word being written.
        Kept per piece of text, whatever the article: the words of news recur."""
        key = (rest, whole)
        found = self._writing.get(key)
        if found is None:
            if len(self._writing) > _KEPT_WORDS:
                self._writing.clear()
            pieces = self.by_text if whole else self.by_lead
            found = self._writing[key] = [
                token_id for end in range(1, min(len(rest), self.longest) + 1)
                for token_id in pieces.get(rest[:end], ())
            ]
        return found


_VOCABULARIES: weakref.WeakKeyDictionary[PreTrainedTokenizerBase, dict[tuple[int, int], Vocabulary]]
_VOCABULARIES = weakref.WeakKeyDictionary()


def vocabulary(tokenizer: PreTrainedTokenizerBase, size: int) -> Vocabulary:
    """``tokenizer``'s :class:`Vocabulary` over ``size`` rows (the model's output width,
    padded rows included): built on first use, then kept as long as the tokenizer lives."""
    built = _VOCABULARIES.setdefault(tokenizer, {})
    key = (len(tokenizer), size)
    if key not in built:
        built[key] = Vocabulary(tokenizer, size)
    return built[key]
