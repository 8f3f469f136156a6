"""The decoding constraint's masks, looked up in the vocabulary's word tables, are exactly
the masks its rules define token by token, whatever the tokenizer."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from newsum.modeling.article_rules import FREE_BEFORE, FUNCTION_WORDS, ArticleRules
from newsum.modeling.constraints import (
    _SENTENCE_END,
    _SENTENCE_START,
    SourceWords,
    _last_sentence,
)
from newsum.modeling.continuations import _LOWER_RUN, lower_run
from newsum.modeling.source_text import prefixes, spaced_pairs
from newsum.modeling.token_tables import vocabulary
from newsum.sandbox.corpus import generate_corpus
from newsum.sandbox.tiny import train_tokenizer

ITEMS = generate_corpus(40, seed=5)
TEXTS = [f"{item.title}\n\n{item.body}" for item in ITEMS]


def _whole_words_tokenizer() -> PreTrainedTokenizerFast:
    """A tokenizer unlike the tiny model's: figures merge, and punctuation joins words."""
    learner = Tokenizer(models.BPE(unk_token="<unk>"))
    learner.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    learner.train_from_iterator(TEXTS, trainers.BpeTrainer(
        vocab_size=3000, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False))
    return PreTrainedTokenizerFast(tokenizer_object=learner, unk_token="<unk>",
                                   bos_token="<s>", eos_token="</s>")


@pytest.fixture(scope="module", params=["tiny", "whole-words"])
def tokenizer(request: pytest.FixtureRequest) -> PreTrainedTokenizerFast:
    if request.param == "tiny":
        return train_tokenizer(TEXTS, 1024)
    return _whole_words_tokenizer()


def _by_rule(rules: ArticleRules, people: tuple[str, ...], *, whole: bool, mid: bool
             ) -> np.ndarray:
    vocab = rules.vocab
    return np.array([
        rules.text_ok(people, text if whole else text[len(lead):], mid=mid)
        for text, lead in zip(vocab.texts, vocab.leads, strict=True)
    ], dtype=bool)


def _next_by_rule(rules: ArticleRules, before: str, *, spaced: bool) -> np.ndarray:
    lower, figures, every = rules.next_words(before)
    lower_starts = prefixes(lower) if lower is not None else None
    figure_starts = prefixes(figures) if figures is not None else None
    every_starts = prefixes(every) if every is not None else None
    words = rules.vocab.spaced if spaced else rules.vocab.leads
    bound = before in FUNCTION_WORDS - FREE_BEFORE and rules.pairs is not None
    return np.array([
        (not word and not (bound and text.strip()))
        or (every_starts is not None and word in every_starts)
        or (every_starts is None and (
            (word[:1].isdigit() and (figure_starts is None or word in figure_starts))
            or word[:1].isupper()
            or (word[:1].islower() and (lower_starts is None or word in lower_starts))
        ))
        for word, text in zip(words, rules.vocab.texts, strict=True)
    ], dtype=bool)


@pytest.mark.parametrize(("plain", "relations"), [(False, False), (True, False), (True, True)])
def test_masks_are_the_rules_token_by_token(
    tokenizer: PreTrainedTokenizerFast, plain: bool, relations: bool
) -> None:
    vocab = vocabulary(tokenizer, len(tokenizer) + 7)  # padded embedding rows too
    compared = 0
    for text in TEXTS[:12]:
        rules = ArticleRules(text, vocab, plain=plain, relations=relations)
        people: list[tuple[str, ...]] = [()]
        if rules.relations is not None:
            names = sorted(rules.relations.people)
            people += [(name,) for name in names] + [tuple(names[:2])]
        for group in people:
            for whole in (True, False):
                for mid in (True, False):
                    fast = rules.mask(group, whole=whole, mid=mid)
                    assert np.array_equal(fast, _by_rule(rules, group, whole=whole, mid=mid)), (
                        text[:60], group, whole, mid)
                    compared += 1
        words = sorted({w for w in text.replace(",", " ").replace(".", " ").split()})
        some = np.random.default_rng(7).random(len(vocab.texts)) > 0.5
        for before in words[:40] + ["nesta", "on", "the", "de"]:
            for spaced in (True, False):
                expected = _next_by_rule(rules, before, spaced=spaced)
                assert np.array_equal(rules.next_mask(before, spaced=spaced), expected), (
                    before, spaced)
                # As the constraint takes it: what another rule allows, less what the
                # word before rules out.
                assert np.array_equal(rules.and_next(some, before, spaced=spaced),
                                   some & expected), (before, spaced)
    assert compared >= 48


def test_a_tokenizer_has_one_vocabulary_per_process(tokenizer: PreTrainedTokenizerFast) -> None:
    assert vocabulary(tokenizer, len(tokenizer)) is vocabulary(tokenizer, len(tokenizer))
    assert vocabulary(tokenizer, len(tokenizer) + 1) is not vocabulary(tokenizer, len(tokenizer))


def test_spaced_pairs_are_the_words_one_space_apart() -> None:
    pair = re.compile(r"(?=\b(\w+) (\w+))")
    compound = re.compile(r"(?=(?<![\w-])(\w+(?:-\w+)*) (\w+(?:-\w+)*))")
    odd = "Ana Maria  Costa, -feira quarta-feira x--y z- w 12 mil _a b_ é-ó çã"
    for text in [*TEXTS, odd]:
        assert list(spaced_pairs(text)) == pair.findall(text)
        assert list(spaced_pairs(text, compounds=True)) == compound.findall(text)


def test_the_last_sentence_is_the_last_part_of_the_split() -> None:
    odd = ["", "A.", "A. ", "A.\tB", "A\nB", "A!\n", "Dr.Who. Next ", "x? y! z. w"]
    for text in [*TEXTS, *odd, *(t[:n] for t in TEXTS[:3] for n in range(0, 300, 7))]:
        assert _last_sentence(text) == _SENTENCE_END.split(text)[-1], text


def test_a_lower_case_run_is_found_where_the_whole_search_finds_it() -> None:
    odd = ["the", " the big", "The big one", "xThe big", "x\tthe big", "A b c", "o\nA dança",
           "in the new stadium", "the festival director", "The Big", "os 3 dias", "As é"]
    for text in [*odd, *(t[:n] for t in TEXTS[:4] for n in range(0, 400, 3))]:
        found, whole = lower_run(text), _LOWER_RUN.search(text)
        assert (found and found.span(), found and found.group(1)) == (
            whole and whole.span(), whole and whole.group(1)), text


@pytest.mark.parametrize("plain", [True, False])
def test_the_open_word_is_read_as_the_whole_search_reads_it(plain: bool) -> None:
    word = r"(?:\w+(?:-\w*)*)?" if plain else r"\w*"
    head = r"\w+(?:-\w+)*" if plain else r"\w+"
    whole = re.compile(rf"(?:({head}) )?({word})$")
    row = SimpleNamespace(plain=frozenset() if plain else None)
    odd = ["", " ", "a", "a ", "a b", "a  b", "quarta-", "nesta quarta-", "x -a", "x a-b-",
           "-a", "a--b c", "a- b", "é ç", "12 mil", "A, B c", "x\nab cd-"]
    for text in [*odd, *(t[:n] for t in TEXTS[:4] for n in range(0, 400, 3))]:
        found = whole.search(text[-200:])
        expected = ("", None) if found is None else (found.group(2), found.group(1))
        assert SourceWords._tail(None, row, text) == expected, text  # type: ignore[arg-type]


def test_a_sentence_start_is_seen_at_the_end_of_what_was_written() -> None:
    odd = ["A.", "A. ", "A.\n ", "A:\t", "“", "(a ", "a b", "a\n", "a \n ", "x.y", '"q" ']
    for head in [*odd, *(t[:n] for t in TEXTS[:4] for n in range(1, 400, 3))]:
        if head.strip():
            assert bool(_SENTENCE_START.search(head[len(head.rstrip()) - 1:])) == bool(
                _SENTENCE_START.search(head)), head
