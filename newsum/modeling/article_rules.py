"""One article's rules for the constrained decoder, and the masks built from them.

Which fact words the article offers (all, or those its sentences give the people a
summary sentence names), which words may follow which (a figure only after a word that
introduces it there; in plain mode two content words side by side only where the article
has them so), and each rule as a mask over the vocabulary, cached per article.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from newsum.modeling.continuations import barred_predicates
from newsum.modeling.faithfulness.dates import DATE_WORDS
from newsum.modeling.relations import ArticleRelations
from newsum.modeling.source_text import (
    COMPOUND,
    FREE_BEFORE,
    FUNCTION_WORDS,
    WORD,
    Mask,
    article_words,
    is_fact_word,
    is_scale,
    leads_a_name,
    name_followers,
    plain_words,
    prefixes,
    thousands,
    token_ids,
    word_pairs,
    words_of,
)
from newsum.modeling.token_tables import Vocabulary


@dataclass(frozen=True)
class Limits:
    """The fact words allowed beside a sentence's people and the predicates barred there,
    and (plain mode) every word allowed there; with the prefixes of each, on demand."""

    words: frozenset[str]
    plain_words: frozenset[str] | None
    barred: frozenset[str] = frozenset()  # predicates only other people have

    @cached_property
    def prefixes(self) -> frozenset[str]:
        return prefixes(self.words)

    @cached_property
    def plain_prefixes(self) -> frozenset[str] | None:
        return prefixes(self.plain_words) if self.plain_words is not None else None


def _starting(words: list[str], partial: str) -> list[str]:
    """The words of sorted ``words`` that begin with ``partial``."""
    start = bisect.bisect_left(words, partial)
    stop = start
    while stop < len(words) and words[stop].startswith(partial):
        stop += 1
    return words[start:stop]


def is_barred(word: str, limits: Limits) -> bool:
    return (is_fact_word(word) and word not in limits.words) or is_scale(word) or (
        word in limits.barred
    )


class ArticleRules:
    """One article's rules and the masks built from them, cached by the people the
    summary's current sentence names (they limit its days and figures)."""

    def __init__(self, text: str, vocab: Vocabulary, *, plain: bool, relations: bool) -> None:
        self.vocab = vocab
        self.words = article_words(text, groups=not plain)
        self.followers = name_followers(text)
        # The days and figures among them: what a sentence's people limit.
        self._dates = frozenset(w for w in self.words if w.lower() in DATE_WORDS)
        self._figures = frozenset(w for w in self.words if w.isdigit())
        # Relations: a figure only after a word that introduces it in the article, and
        # followed by what it counts there.
        self.figure_next: dict[str, frozenset[str]] | None = None
        self.figure_before: dict[str, frozenset[str]] | None = None
        self._introduces: dict[str, frozenset[str]] = {}  # the figures a word introduces
        if relations:
            after, before = word_pairs(text, figures=True)
            self.figure_next = {w: a for w, a in after.items() if w.isdigit()}
            self.figure_before = {w: b for w, b in before.items() if w.isdigit()}
            introduced: dict[str, set[str]] = {}
            for figure, words in self.figure_before.items():
                for word in words:
                    introduced.setdefault(word, set()).add(figure)
            self._introduces = {w: frozenset(f) for w, f in introduced.items()}
        # Plain: two content words side by side only where the article has them so.
        self.pairs = word_pairs(text, compounds=True)[0] if plain else None
        self._next: dict[tuple[str, bool], tuple[Mask, np.ndarray]] = {}
        self.plain = plain_words(text) if plain else None
        self._plain_sorted = sorted(self.plain) if self.plain is not None else []
        self._words_sorted = sorted(self.words)
        self._plain_facts = frozenset(w for w in self.plain or () if is_fact_word(w))
        self._plain_common = (self.plain or frozenset()) - self._plain_facts
        self.plain_scales = frozenset(w for w in self.plain or () if is_scale(w))
        self._sorted_plain: dict[bool, list[str]] = {}
        self._next_words: dict[
            str, tuple[frozenset[str] | None, frozenset[str] | None, frozenset[str] | None]
        ] = {}
        # SourceWords' memos: what may follow a state, the masks states start from, what
        # continues a relation and what starts a barred name (token ids).
        self.allowed: dict[tuple[object, ...], Mask] = {}
        self.bases: dict[tuple[object, ...], Mask] = {}
        self.continuing: dict[tuple[str, ...], Mask] = {}
        self.name_starts: dict[frozenset[str], Mask] = {}
        self.relations = ArticleRelations(text) if relations else None
        self._limited: dict[tuple[tuple[str, ...], bool], Limits] = {}
        self._masks: dict[tuple[tuple[str, ...], bool, bool], Mask] = {}
        # Common words capitalised: a sentence may start with them, nothing else may.
        written = set(words_of(text, compounds=True)).union(words_of(text))
        self.capitalised = frozenset(
            w[:1].upper() + w[1:] for w in written if w[:1].islower()
        ) - written

    def plain_starting(self, partial: str) -> list[str]:
        """The plain words that begin with ``partial``, in sorted order."""
        return _starting(self._plain_sorted, partial)

    def words_starting(self, partial: str) -> list[str]:
        """The fact words (:attr:`words`) that begin with ``partial``, in sorted order."""
        return _starting(self._words_sorted, partial)

    def limited(self, people: tuple[str, ...], *, mid: bool = False) -> Limits:
        """What may be written beside ``people`` (all the article's facts when none);
        ``mid``: inside a sentence, where (plain mode) a common word is not capitalised."""
        if (people, mid) not in self._limited:
            words = self.words
            if people and self.relations is not None:
                named = [self.relations.people[name] for name in people]
                days = {d for p in named for d in p.days}
                figures = {f for p in named for f in p.figures}
                figures |= {g for f in figures if len(f) > 3 for g in thousands(f)}
                words = words - frozenset(
                    w for w in self._dates if w.lower().split("-")[0] not in days
                ) - (self._figures - figures)
            barred = barred_predicates(self.relations, people) if self.relations else frozenset()
            plain = None
            if self.plain is not None:
                barred = barred | (self.capitalised if mid else frozenset())
                plain = (self._plain_common | (self._plain_facts & words)) - barred
            self._limited[(people, mid)] = Limits(words, plain, barred)
        return self._limited[(people, mid)]

    def text_ok(self, people: tuple[str, ...], text: str, *, mid: bool = False) -> bool:
        """Whether ``text`` written after a boundary keeps every fact word the article's.

        A word still open at the end is judged when it closes, except a capitalised one
        or a figure, which must already be on its way to one of the article's words (and,
        in plain mode, any word on its way to one of the article's).
        """
        words = (COMPOUND if self.plain is not None else WORD).findall(text)
        if not words:
            return True
        limits = self.limited(people, mid=mid)
        ends_open = bool(text) and (text[-1].isalnum() or text[-1] == "_")
        complete = words[:-1] if ends_open else words
        for word in complete:
            if is_barred(word, limits):
                return False  # a scale word is written only right after its figure
            if self.plain is not None and word not in self.plain:
                return False
        last = words[-1]
        if not ends_open:
            return True
        if limits.plain_prefixes is not None:
            return last in limits.plain_prefixes
        if last.lower() in DATE_WORDS and last not in limits.words:
            return False  # "quinta" when the day is another: not even to glue on "feira"
        return not leads_a_name(last) or last in limits.prefixes

    def next_words(
        self, before: str
    ) -> tuple[frozenset[str] | None, frozenset[str] | None, frozenset[str] | None]:
        """What may follow ``before`` (None: anything): lower-case words, figures, and (after
        a figure) every word, which is what the figure counts."""
        known = self._next_words.get(before)
        if known is None:
            known = self._next_words[before] = self._words_after(before)
        return known

    def _words_after(
        self, before: str
    ) -> tuple[frozenset[str] | None, frozenset[str] | None, frozenset[str] | None]:
        if before[:1].isdigit() and self.figure_next is not None:
            return None, frozenset(), self.figure_next.get(before, frozenset())
        lower = None
        if self.pairs is not None and before.islower() and before not in FREE_BEFORE:
            lower = self.pairs.get(before, frozenset())
            if before not in FUNCTION_WORDS:  # a day's determiner takes only its day
                lower |= FUNCTION_WORDS
        figures = None
        if self.figure_before is not None:
            figures = self._introduces.get(before, frozenset())
        return lower, figures, None

    def next_mask(self, before: str, *, spaced: bool) -> Mask:
        """Tokens that may begin the word after ``before`` (``spaced``: with its space):
        one that begins no word (a mark, a space), or one that begins a word which may
        follow ``before`` - after a figure, what it counts; else any capitalised word,
        a figure the article puts after it, a lower-case word that may follow it."""
        base, starts = self.next_parts(before, spaced=spaced)
        allowed = base.copy()
        allowed[starts] = True
        return allowed

    def and_next(self, allowed: Mask, before: str, *, spaced: bool) -> Mask:
        """``allowed & next_mask(before)``, from the mask's shared part and its few ids."""
        base, starts = self.next_parts(before, spaced=spaced)
        kept = allowed & base
        kept[starts] = allowed[starts]
        return kept

    def next_parts(self, before: str, *, spaced: bool) -> tuple[Mask, np.ndarray]:
        """:meth:`next_mask` as the part many words share (a vocabulary table) and the
        token ids ``before`` adds to it, kept per word."""
        key = (before, spaced)
        if key not in self._next:
            lower, figures, every = self.next_words(before)
            table = self.vocab.next_tables[spaced]
            # A day's determiner is followed by its day, not by a mark: "nesta terça-feira".
            bound = before in FUNCTION_WORDS - FREE_BEFORE and self.pairs is not None
            if every is not None:
                base = table.lone_bound if bound else table.lone
                words: list[str] | frozenset[str] = every
            else:
                words = list(figures) if figures is not None else []
                function_words = lower is not None and FUNCTION_WORDS <= lower
                if lower is not None:
                    if function_words:  # their share is the same for every word
                        lower = lower - FUNCTION_WORDS
                    words = [*words, *(w for w in lower if w[:1].islower())]
                base = table.names_with(bound=bound, digit=figures is None,
                                        lower=lower is None, function_words=function_words)
            self._next[key] = (base, token_ids(table.beginning(words)))
        return self._next[key]

    def mask(self, people: tuple[str, ...], *, whole: bool, mid: bool = False) -> Mask:
        """Tokens allowed after a boundary (``whole``), or whose text after their leading
        word run is allowed (what matters once that run extends a word): those for which
        :meth:`text_ok` holds, found through the vocabulary's word tables.

        In plain mode the mask beside no one is built first; a sentence's people only
        take words away from it (the days and figures of others, their predicates), so
        their mask is that one less the tokens of the words taken away.
        """
        key = (people, whole, mid)
        if key not in self._masks:
            limits = self.limited(people, mid=mid)
            table = self.vocab.word_tables[(whole, self.plain is not None)]
            if limits.plain_words is None:
                allowed = table.facts_allowed(limits.words, limits.prefixes, limits.barred)
            elif not people:
                assert limits.plain_prefixes is not None
                allowed = table.words_allowed(limits.plain_words, limits.plain_prefixes)
            else:
                allowed = self.mask((), whole=whole, mid=mid)
                removed = self.limited((), mid=mid).plain_words - limits.plain_words  # type: ignore[operator]
                if removed:
                    allowed = allowed & ~table.completing_or_opening(
                        removed, self._lost_prefixes(removed, mid))
            self._masks[key] = allowed
        return self._masks[key]

    def _lost_prefixes(self, removed: frozenset[str], mid: bool) -> list[str]:
        """The prefixes of ``removed`` words that no other word allowed beside no one
        has: what a word left open may no longer become."""
        if mid not in self._sorted_plain:
            self._sorted_plain[mid] = sorted(self.limited((), mid=mid).plain_words or ())
        words = self._sorted_plain[mid]
        lost = []
        for prefix in prefixes(removed):
            # The words with this prefix stand together in sorted order: is one of them
            # not removed?
            i = bisect.bisect_left(words, prefix)
            while i < len(words) and words[i] in removed:
                i += 1
            if not (i < len(words) and words[i].startswith(prefix)):
                lost.append(prefix)
        return lost
