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

And one way to stop (``generation.stop_when_refused``): once a summary holds a whole
sentence, it ends there when the constraint refuses the model's next word by a wide
margin. A model that wants to go on with a sentence its article does not support (one
it learnt from other articles) otherwise writes what the constraint leaves it, words it
does not mean ("O a em (presidente da ..."), until the token budget runs out: a false
sentence, and the batch's slowest row. A refused fact word (a name, figure or day the
model got wrong) is what the constraint is for and never stops a summary.

Tokens are read as text (see :class:`~newsum.modeling.source_text.TokenTexts`), so the
rules hold whatever the tokenizer's merges; the vocabulary's tables are built once per
tokenizer and an article's masks are looked up in them by the article's own words
(:mod:`newsum.modeling.token_tables`), so set-up grows with the article, not the vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import torch
from transformers import LogitsProcessor, PreTrainedTokenizerBase

from newsum.modeling.article_rules import ArticleRules, Limits
from newsum.modeling.continuations import SentenceReader
from newsum.modeling.source_text import (
    Mask,
    article_words,
    is_fact_word,
    is_scale,
    leads_a_name,
    name_followers,
    prefixes,
    token_ids,
)
from newsum.modeling.token_tables import vocabulary

__all__ = [
    "SourceWords", "article_words", "is_fact_word", "is_scale", "name_followers", "vocabulary",
    "whole_sentences",
]

# The last two words and the space between them, read backwards from the end.
_TAIL_REGION = re.compile(r"[\w-]*(?: [\w-]+)?")
# The word before (and one space) and the word being written, at the end; in plain mode
# a hyphen keeps a word open ("quarta-").
_TAIL_PLAIN = re.compile(r"(?:(\w+(?:-\w+)*) )?((?:\w+(?:-\w*)*)?)$")
_TAIL_WORDS = re.compile(r"(?:(\w+) )?(\w*)$")
_MINUS_INF_BITS = -8388608  # 0xFF800000, the bits of a float32 -inf, as an int32
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")
# Where a sentence may begin: the summary's start, after . ! ? :, a line, or a quote.
_SENTENCE_START = re.compile(r"(?:[.!?:]|\n|[“\"(])\s*$")


# A sentence end read backwards: a newline, or . ! ? before a space.
_SENTENCE_END_REVERSED = re.compile(r"\n|(?<=\s)[.!?]")
# The end of a whole sentence in a summary: a mark, any closing quotes, then a space or
# the end.
_WHOLE_END = re.compile(r"[.!?…][”\"’)]*(?=\s|$)")
# The word a text ends inside, hyphens included ("quarta-"), and a token's first run.
_OPEN_WORD = re.compile(r"[\w-]*$")
_LEADING_WORD = re.compile(r"[\w-]*")


def whole_sentences(text: str) -> str:
    """``text`` up to the end of its last whole sentence ('' when it has none)."""
    ends = [m.end() for m in _WHOLE_END.finditer(text)]
    return text[: ends[-1]] if ends else ""


def _last_sentence(text: str) -> str:
    """What follows the last sentence end of ``text`` (all of it if none), as the last
    part of ``_SENTENCE_END.split(text)``; found from the end, not by splitting it all."""
    end = _SENTENCE_END_REVERSED.search(text[::-1])
    return text if end is None else text[len(text) - end.start():]


class SourceWords(LogitsProcessor):
    """Masks tokens that would write a fact word the row's article does not hold.

    ``articles`` are the rows' article texts (title and body), ``prompt_width`` the
    (left-padded) prompt length: what follows it is the generated summary. ``plain`` and
    ``relations`` switch on the stronger modes of the module docstring;
    ``stop_when_refused`` (nats) the stop it describes: a row that holds a whole sentence
    ends when the model's favourite token, not part of a fact word, is refused and scores
    more than this above the best token allowed.
    """

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, articles: Sequence[str], prompt_width: int,
        vocab_size: int, *, plain: bool = False, relations: bool = False,
        stop_when_refused: float | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.prompt_width = prompt_width
        self.stop_when_refused = stop_when_refused
        self.vocab = vocabulary(tokenizer, vocab_size)
        self.rows = [ArticleRules(text, self.vocab, plain=plain, relations=relations)
                     for text in articles]
        for row in self.rows:
            # The masks every summary meets, beside no one: after a boundary at its
            # start and mid-sentence, and a word's tail.
            for whole, mid in ((True, False), (True, True), (False, True)):
                row.mask((), whole=whole, mid=mid)
        self._texts: dict[int, tuple[list[int], str]] = {}
        self._readers: dict[int, SentenceReader] = {}  # each row's, by its index
        self._buffers: dict[tuple[object, ...], torch.Tensor] = {}
        self._stacks: dict[tuple[object, ...], Mask] = {}
        # Masks remembered per article: about 4 MB of them each, whatever the vocabulary.
        self._memo_size = max(16, 2**22 // len(self.vocab.texts))

    def _tail(self, row: ArticleRules, text: str) -> tuple[str, str | None]:
        """The word the generated text ends inside ('' if none; in plain mode a hyphen
        keeps it open: "quarta-"), and the word just before it with one space between
        (None if there is none)."""
        pattern = _TAIL_PLAIN if row.plain is not None else _TAIL_WORDS
        # Only the last two words can match (``$`` also before a final newline): search
        # from where they begin, and most often the match is all of that.
        tail = text[-200:]
        body = tail[:-1] if tail.endswith("\n") else tail
        region = _TAIL_REGION.match(body[::-1])
        window = tail[len(body) - region.end():]  # type: ignore[union-attr]
        match = pattern.fullmatch(window) or pattern.search(window)
        if match is None:
            return "", None
        return match.group(2), match.group(1)

    def _after_name(
        self, row: ArticleRules, people: tuple[str, ...], name: str, allowed: Mask
    ) -> Mask:
        """``allowed``, less the capitalised words that do not follow ``name`` in the
        article (another person's surname, say), or after a figure, less the scale words
        (in relations mode: any word) that do not follow it there."""
        followers = row.followers.get(name)
        if followers is None:  # not a name: a capitalised common word...
            return allowed
        figure = name[:1].isdigit()
        if figure and row.figure_next is not None:
            followers = row.figure_next.get(name, frozenset())
            kept = self.vocab.not_spaced_word
        else:
            kept = self.vocab.not_spaced_scale if figure else (
                self.vocab.not_spaced_capital)
        allowed = allowed & kept
        # Each prefix of a follower is allowed as the plain rule allows it, or (a whole
        # scale word, which that rule refuses) outright; a later follower's word rewrites
        # what an earlier one set for the same tokens.
        outright: dict[int, bool] = {}
        for word in followers:
            scale = figure and is_scale(word)
            for end in range(1, min(len(word), self.vocab.longest) + 1):
                for token_id in self.vocab.by_spaced.get(word[:end], ()):
                    outright[token_id] = scale
        if outright:
            fresh = row.mask(people, whole=True, mid=True)
            as_fresh = token_ids([token_id for token_id, scale in outright.items() if not scale])
            allowed[as_fresh] = fresh[as_fresh]
            allowed[token_ids([token_id for token_id, scale in outright.items() if scale])] = True
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
            if before is not None and partial[:1].isupper() and before in row.followers:
                return row.followers[before]
            return [w for w in row.words_starting(partial)
                    if w in limits.words and w not in limits.barred]
        assert row.plain is not None
        lower, _, every = row.next_words(before) if before else (None, None, None)
        lower = every if every is not None else lower  # after a figure: what it counts
        # :meth:`_closable` for a plain word: a scale word after a figure it follows,
        # any other if the sentence allows it.
        scales, allowed = row.plain_scales, limits.plain_words
        assert allowed is not None
        followers = row.followers.get(before, ()) if before is not None else ()
        return [w for w in row.plain_starting(partial)
                if (lower is None or w in lower)
                and (w in followers if w in scales else w in allowed)]

    def _next(self, index: int, row: ArticleRules, text: str) -> Mask:
        """The tokens that may follow ``text`` (row ``index``'s, see :meth:`_allowed`),
        remembered by the state of the text they depend on."""
        state = None
        if row.relations is not None:
            reader = self._readers.get(index)
            if reader is None or reader.relations is not row.relations:
                reader = self._readers[index] = SentenceReader(row.relations)
            state = reader.state(_last_sentence(text))
        people = state.people if state is not None else ()
        partial, before = self._tail(row, text)
        head = text[: len(text) - len(partial)]
        # The sentence-start marks stand at the end of ``head``, before its spaces only.
        mid = bool(head.strip()) and not _SENTENCE_START.search(head[len(head.rstrip()) - 1:])
        spaced = not partial and text.endswith(" ")
        barred = state.barred_names if state is not None else frozenset()
        options = tuple(state.options) if state is not None and state.options is not None else None
        # Beams of one article, and a summary coming back to where it was, ask again.
        key = (people, partial, before, mid, spaced, barred, options)
        known = row.allowed.get(key)
        if known is None:
            known = self._allowed(row, people, partial, before, mid, spaced, barred, options)
            if len(row.allowed) >= self._memo_size:
                row.allowed.clear()
            row.allowed[key] = known
        return known

    def _allowed(
        self, row: ArticleRules, people: tuple[str, ...], partial: str, before: str | None,
        mid: bool, spaced: bool, barred: frozenset[str], options: tuple[str, ...] | None,
    ) -> Mask:
        """What may come next: the word rules, less the barred names' first tokens, and
        only what continues one of ``options`` when the relations demand one."""
        allowed = self._word_rule(row, people, partial, before, mid, spaced)
        if options is not None:
            # A name or a role was just written: what follows must be what the article
            # joins to it, a few tokens, kept by index (when none of them may go where
            # the relation demands, the summary ends here).
            ids = row.continuing.get(options)
            if ids is None:
                ids = row.continuing[options] = self.vocab.continuing_ids(options)
            kept = np.zeros(len(self.vocab.texts), dtype=bool)
            kept[ids] = allowed[ids]
            allowed = kept
        if barred:
            starts = row.name_starts.get(barred)
            if starts is None:
                starts = row.name_starts[barred] = self._name_starts(row, barred)
            if options is None:
                allowed = allowed.copy()  # a mask the article's memos hold
            allowed[starts] = False
        return allowed

    def _word_rule(
        self, row: ArticleRules, people: tuple[str, ...], partial: str, before: str | None,
        mid: bool, spaced: bool,
    ) -> Mask:
        """What the word rules allow after ``before`` and the open word ``partial`` (with
        ``spaced``: after one space already), ``mid``-sentence, beside ``people``."""
        fresh = row.mask(people, whole=True, mid=mid)
        if not partial:
            if spaced:  # one space between words, not two
                fresh = self._base(row, ("spaced", people, mid),
                                   lambda: fresh & self.vocab.not_space_start)
            return row.and_next(fresh, before, spaced=False) if before else fresh
        limits = row.limited(people, mid=mid)
        tails = row.mask(people, whole=False, mid=True)
        if not leads_a_name(partial) and row.plain is None:
            # A lower-case word goes on freely; it may end only as a word the article
            # allows ("tri" may become "trigo", but not end as "tri" the article lacks).
            if self._closable(row, limits, partial, before):
                return tails
            return tails & self.vocab.not_boundary
        # Inside a name, a figure (or, in plain mode, any word): a boundary may close it
        # only if the article holds it whole, and a token may extend it only along one of
        # the article's words (one that follows the name before it, when there is one).
        candidates = self._candidates(row, limits, partial, before)
        if partial in candidates:
            # A boundary may close it (in plain mode not a hyphen, which goes on with the
            # word: "quarta-feira").
            closing = self._base(row, ("closing", people, mid), lambda: fresh & (
                self.vocab.closing_plain if row.plain is not None else self.vocab.starts_boundary))
            allowed = row.and_next(self._after_name(row, people, partial, closing),
                                   partial.rsplit("-", 1)[-1], spaced=True)
        else:
            allowed = np.zeros(len(self.vocab.texts), dtype=bool)
        whole = row.plain is not None
        extending: list[int] = []
        finishing: list[int] = []
        for word in candidates:
            if len(word) <= len(partial) or not word.startswith(partial):
                continue
            rest = word[len(partial):]
            extending += self.vocab.writing(rest, whole=whole)
            # A token that finishes the word and goes on past it (", " ...).
            finishing += self.vocab.by_lead_open.get(rest, ())
        allowed[token_ids(extending)] = True
        if finishing:
            ends = token_ids(finishing)
            allowed[ends] = allowed[ends] | tails[ends]
        return allowed

    @staticmethod
    def _base(row: ArticleRules, key: tuple[object, ...],
              make: Callable[[], Mask]) -> Mask:
        """A mask many states of ``row`` start from, made once."""
        known = row.bases.get(key)
        if known is None:
            known = row.bases[key] = make()
        return known

    def _name_starts(self, row: ArticleRules, names: frozenset[str]) -> np.ndarray:
        """The tokens (ids) that begin one of ``names`` after a space and no other
        capitalised word of the article (a barred name must not take a place name with
        it); the caller keeps them per article."""
        others = prefixes(frozenset(
            w for w in row.words if w[:1].isupper() and w not in names))
        pieces = [name[:end] for name in names
                  for end in range(1, min(len(name), self.vocab.longest) + 1)]
        return token_ids(sorted({token_id for piece in pieces if piece not in others
                                 for token_id in self.vocab.by_spaced.get(piece, ())}))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        rows = input_ids.shape[0]
        per_prompt = rows // len(self.rows)  # beams or returned sequences per article
        generated = input_ids[:, self.prompt_width:].tolist()
        eos = self.tokenizer.eos_token_id
        # A row past its end writes nothing more (the search pads it): any token.
        texts = [None if eos in generated[index] else self._text(index, generated[index])
                 for index in range(rows)]
        width = scores.shape[1]
        masks = [
            self.vocab.every[:width] if text is None
            else self._next(index, self.rows[index // per_prompt], text)[:width]
            for index, text in enumerate(texts)
        ]
        # The rows the stop may end: those that hold a whole sentence.
        holding = set() if eos is None or self.stop_when_refused is None else {
            index for index, text in enumerate(texts)
            if text is not None and _WHOLE_END.search(text)}
        if scores.device.type == "cpu" and scores.dtype == torch.float32 and (
            scores.is_contiguous() and not scores.requires_grad  # numpy may write into it
        ):
            return self._masked_rows(scores, texts, masks, holding, eos)
        ending = set()
        if holding:
            order = sorted(holding)
            chosen = scores[order].argmax(dim=1).tolist()
            ending = {index for index, favourite in zip(order, chosen, strict=True)
                      if self._ends(texts[index], masks[index], scores[index], favourite)}
        if eos is not None:  # nothing fits: the summary stops here
            ending.update(i for i, mask in enumerate(masks) if not mask.any())
        refused = self._refusals(masks)
        for index in ending:
            refused[index] = True
            refused[index, eos] = False
        return scores.add_(self._bias(refused, scores.device).to(scores.dtype))

    def _ends(self, text: str | None, mask: Mask, row_scores: torch.Tensor, favourite: int
              ) -> bool:
        """Whether a row that holds a whole sentence ends now (see ``stop_when_refused``):
        its model's ``favourite`` token is not one its ``mask`` allows, writes no fact
        word, and scores (``row_scores``) more than ``stop_when_refused`` above the best
        token allowed."""
        assert text is not None and self.stop_when_refused is not None
        if mask[favourite]:
            return False
        piece = self.vocab.texts[favourite]
        word = self.vocab.spaced[favourite] or (
            _OPEN_WORD.search(text).group(0) + _LEADING_WORD.match(piece).group(0))  # type: ignore[union-attr]
        if is_fact_word(word) or is_fact_word(word.split("-")[0]):
            return False  # a fact the model got wrong: the constraint's own business
        out = torch.from_numpy(~mask).to(row_scores.device)
        margin = row_scores[favourite] - row_scores.masked_fill(out, -float("inf")).max()
        return float(margin) > self.stop_when_refused

    def _refusals(self, masks: list[Mask]) -> Mask:
        """What the rows' masks refuse, as one array: each mask inverted into its row of
        a buffer kept from step to step (one pass over each, not a copy and a pass)."""
        shape = (len(masks), len(masks[0]))
        buffer = self._stacks.get(shape)
        if buffer is None:
            buffer = self._stacks[shape] = np.empty(shape, dtype=bool)
        for row, mask in zip(buffer, masks, strict=True):
            np.logical_not(mask, out=row)
        return buffer

    def _masked_rows(self, scores: torch.Tensor, texts: Sequence[str | None],
                     masks: Sequence[Mask], holding: set[int], eos: int | None
                     ) -> torch.Tensor:
        """``scores`` (float32 on the CPU), -inf where the rows' ``masks`` refuse, and
        everywhere but ``eos`` in a row that ends now (:meth:`_ends`, for the rows
        ``holding`` a sentence, or nothing fits). Row by row, while the cache holds it:
        the model's favourite read, then numpy writes the -inf straight into the scores
        through a row-wide buffer, no arithmetic, and nothing for a row past its end.
        (On an accelerator a bias is added instead, see :meth:`_bias`.)"""
        values = scores.numpy()
        refused = self._stacks.get(("row", values.shape[1]))
        if refused is None:
            refused = self._stacks[("row", values.shape[1])] = np.empty(
                values.shape[1], dtype=bool)
        for index, (row, mask) in enumerate(zip(values, masks, strict=True)):
            if texts[index] is None:
                continue  # a row past its end: any token
            if (index in holding and self._ends(texts[index], mask, scores[index],
                                                int(row.argmax()))) or (
                eos is not None and not mask.any()
            ):
                last = row[eos]
                row.fill(-np.inf)
                row[eos] = last
            else:
                np.logical_not(mask, out=refused)
                np.copyto(row, -np.inf, where=refused)
        return scores

    def _bias(self, refused: Mask, device: torch.device) -> torch.Tensor:
        """-inf where ``refused``, 0 elsewhere, as float32 on ``device``: adding it masks
        the scores several times more cheaply than a masked fill, and the accelerator
        gets the mask, a quarter of the bytes. It is written in place into a buffer kept
        from step to step: a fresh tensor of a batch's width costs the memory's first
        touch at every step, more than the arithmetic."""
        key = (tuple(refused.shape), str(device))
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = torch.empty(
                refused.shape, dtype=torch.int32, device=device)
        buffer.copy_(torch.from_numpy(refused))  # 1 where refused, 0 elsewhere
        return buffer.neg_().bitwise_and_(_MINUS_INF_BITS).view(torch.float32)

    def _text(self, index: int, generated: list[int]) -> str:
        """What row ``index`` has generated, as text; extended by the step's token when
        the row goes on from where it was at the last step (beams may reorder rows)."""
        known = self._texts.get(index)
        if known is not None and len(generated) == len(known[0]) + 1 and (
            generated[:-1] == known[0]
        ):
            text = known[1] + self.vocab.texts[generated[-1]]
        else:
            text = "".join(self.vocab.texts[t] for t in generated)
        self._texts[index] = (generated, text)
        return text
