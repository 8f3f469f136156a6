"""Decoding copies facts from the article: a model may write a name, figure or date only
as its article does, and a name only beside the names it stands beside there."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from newsum.modeling.constraints import SourceWords, article_words, is_fact_word, name_followers
from newsum.modeling.generation import GeneratedSummary, summarize_batch
from newsum.modeling.loading import load_for_inference, load_tokenizer

ARTICLE = (
    "Budget approved in Riverton\n"
    "The council of Riverton approved the budget on Tuesday. The mayor Ana Costa said it"
    " adds 1500 places in schools. Officials from Eastport were not convinced."
)


def test_fact_words_are_names_figures_dates_and_number_words() -> None:
    assert all(is_fact_word(w) for w in ("Riverton", "1500", "terça", "thousand", "mil"))
    assert not any(is_fact_word(w) for w in ("council", "approved", "um", "the"))


def test_the_article_offers_its_fact_words_and_any_word_capitalised() -> None:
    words = article_words(ARTICLE)
    assert {"Riverton", "Tuesday", "Ana", "Costa", "1500", "Eastport"} <= words
    assert "Council" in words  # "council" may start a sentence
    assert {"RIVERTON", "1", "500"} <= words  # a dateline; "1,500" for 1500
    assert not {"Kingsbury", "Wednesday", "2500"} & words


def test_a_name_is_followed_only_by_what_follows_it_in_the_article() -> None:
    followers = name_followers(ARTICLE)
    assert followers["Ana"] == {"Costa"}
    assert followers["Costa"] == frozenset()
    assert "The" not in followers and "Officials" not in followers  # common words


def _allowed_next(tokenizer, generated: str) -> set[str]:  # type: ignore[no-untyped-def]
    """Every whole next word the processor lets through after ``generated``."""
    ids = tokenizer(generated, add_special_tokens=False)["input_ids"]
    processor = SourceWords(tokenizer, [ARTICLE], prompt_width=0, vocab_size=len(tokenizer))
    scores = torch.zeros(1, len(tokenizer))
    kept = processor(torch.tensor([ids]), scores.clone())[0] > -float("inf")
    return {tokenizer.convert_ids_to_tokens(i).replace("▁", " ") for i in kept.nonzero()[:, 0]
            .tolist()}


def test_the_processor_masks_invented_facts_token_by_token(tiny_model_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_model_dir)
    after_mayor = _allowed_next(tokenizer, "In Riverton the mayor Ana")
    capitalised = {t.strip() for t in after_mayor if re.fullmatch(r" [A-Z]\w*", t)}
    # After "Ana" a capitalised word may only begin her surname.
    assert capitalised and all("Costa".startswith(t) for t in capitalised), capitalised
    fresh = _allowed_next(tokenizer, "In Riverton the council said")
    starts = {t.strip() for t in fresh if re.fullmatch(r" [A-Z0-9]\w*", t)}
    assert not any(word.startswith(t) and not any(
        a.startswith(t) for a in article_words(ARTICLE)) for t in starts for word in
        ("Kingsbury", "Wednesday"))
    assert " the" in fresh or " said" in fresh or len(fresh) > 100  # ordinary words are free


def test_scores_are_masked_alike_in_place_by_numpy_or_by_the_added_bias(
    tiny_model_dir: Path,
) -> None:
    # float32 scores on the CPU get their -inf from numpy; other scores (an accelerator's,
    # bfloat16, a slice) have the bias added. Either way the same tokens stay, with the
    # scores they had, and the refused ones are -inf.
    tokenizer = load_tokenizer(tiny_model_dir)
    ids = torch.tensor([tokenizer("In Riverton the mayor Ana", add_special_tokens=False)[
        "input_ids"]] * 2)
    raw = torch.randn(2, len(tokenizer), generator=torch.Generator().manual_seed(3))

    def masked(scores: torch.Tensor) -> torch.Tensor:
        processor = SourceWords(tokenizer, [ARTICLE] * 2, prompt_width=0,
                                vocab_size=len(tokenizer))
        return processor(ids, scores).float()

    by_numpy = masked(raw.clone())
    wide = torch.cat([raw, raw], dim=1).clone()
    by_bias_slice = masked(wide[:, : len(tokenizer)])
    by_bias_bf16 = masked(raw.clone().to(torch.bfloat16))
    kept = by_numpy > -float("inf")
    assert 0 < int(kept.sum()) < kept.numel()
    assert torch.equal(by_numpy[kept], raw[kept])
    assert torch.equal(by_bias_slice, by_numpy)
    assert torch.equal(by_bias_bf16 > -float("inf"), kept)
    assert torch.equal(by_bias_bf16[kept], raw.to(torch.bfloat16).float()[kept])
    # A row that holds a sentence and whose model wants a word its article lacks, by far:
    # it ends, on either path (only EOS keeps its score); the other row goes on.
    text = "The council of Riverton approved the budget on Tuesday. The"
    ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]] * 2)
    wanted = tokenizer(" yesterday", add_special_tokens=False)["input_ids"][0]
    raw[0, wanted] = 100.0

    def stopped(scores: torch.Tensor) -> torch.Tensor:
        processor = SourceWords(tokenizer, [ARTICLE] * 2, prompt_width=0,
                                vocab_size=len(tokenizer), plain=True, stop_when_refused=5.0)
        return processor(ids, scores).float() > -float("inf")

    for kept in (stopped(raw.clone()), stopped(raw.clone().to(torch.bfloat16))):
        assert kept[0].nonzero()[:, 0].tolist() == [tokenizer.eos_token_id]
        assert int(kept[1].sum()) > 1


def test_the_bare_model_under_the_constraint_names_only_what_the_article_holds(
    tiny_model_dir: Path,
) -> None:
    """The untrained foundation model invents freely; constrained, every fact word it
    writes is one of the article's."""
    loaded = load_for_inference(None, base_model=str(tiny_model_dir), precision="fp32",
                                device="cpu")
    loaded.manifest.generation.source_words = True
    articles = [
        ("Budget approved in Riverton", ARTICLE.split("\n", 1)[1]),
        ("Ponte reaberta", "A ponte de Niterói foi reaberta nesta terça-feira depois de obras"
                           " que custaram 12 milhões de reais, disse Marta Silva."),
    ]
    results = summarize_batch(loaded, articles, batch_size=2)
    for (title, body), result in zip(articles, results, strict=True):
        assert isinstance(result, GeneratedSummary), result
        allowed = article_words(f"{title}\n{body}")
        words = re.findall(r"\w+", result.text)
        if result.output_tokens >= loaded.manifest.max_new_tokens:
            words = words[:-1]  # the budget ran out inside the last word
        written = [w for w in words if is_fact_word(w)]
        assert all(w in allowed for w in written), (result.text, written)
