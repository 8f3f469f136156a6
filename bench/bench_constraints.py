"""What the decoding constraint and the check cost at a real model's vocabulary size.

    PYTHONPATH=. .venv/bin/python -m bench.bench_constraints [--tokenizer DIR] [--articles N]
        [--vocab-size N] [--json]

With ``--tokenizer`` any Hugging Face tokenizer directory (Llama 2's 32,000 tokens,
Llama 3's 128,000, ...); without it, the tiny model's own tokenizer, trained here on the
project's corpus. ``--vocab-size`` pads the masks to a wider output layer (a model's
embedding rows past its tokenizer's), which shows what a step costs by width alone.
The articles are the project's synthetic news, several reports of a day joined into
one article of news length (about 600 words, several people with their roles, days and
figures), with the summary the corpus gives the first of them. It measures, in the
modes the demo's adapter decodes with (plain words and relations, and its stop when the
model's favourite is refused):

- the vocabulary tables' one-time build (per tokenizer, per process);
- the per-article set-up of :class:`~newsum.modeling.constraints.SourceWords`, tables
  already built: its construction for a batch of 16 and its first step;
- one decoding step for 16 rows, replaying the reference summaries token by token so
  every position a real decoding meets is met (inside a name, right after a name, in
  free text), with the step time per kind of position (that of the batch's first row;
  the others stand where their own summaries are); the rules an article builds the
  first time a position needs them are in the step that needs them;
- the faithfulness check of one summary, the article's index built once per article.

Times are the CPU time of the measuring thread, torch on one thread: the cost itself,
whatever else the machine runs (on an idle machine it is the wall time).

Set-up and step are the median over the batches of the batch's mean. ``--json`` prints
one line: vocab, vocab_build_ms, setup_ms_per_article, step_ms,
check_ms_per_summary (and the per-position step times).

With ``--adapter`` (the demo's, whose manifest decodes with the constraint) it also
times generation itself, wall clock on the CPU, the same articles with the manifest's
constraint and with it switched off, in alternating rounds: the constraint's cost is the
share of throughput it takes (``constraint_cost``, target <= 0.15).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

ROWS = 16
# The constraint and the check run on the CPU in the calling thread: their cost is that
# thread's CPU time (torch held to one thread), which other load on the machine leaves
# as it is, where wall time would count the time others took.
_clock = time.thread_time
_NAME_TAIL = re.compile(r"(?:^|\s)[A-ZÀ-Ý]\w*$")
_AFTER_NAME = re.compile(r"(?:^|\s)[A-ZÀ-Ý]\w* $")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", type=Path,
                        help="Tokenizer directory (default: the tiny model's, trained here).")
    parser.add_argument("--articles", type=int, default=4 * ROWS,
                        help=f"Articles to measure, in batches of {ROWS} (the median batch"
                             " is reported).")
    parser.add_argument("--words", type=int, default=600, help="About how long an article is.")
    parser.add_argument("--max-input-tokens", type=int, default=1024,
                        help="The prompt budget: how much of an article the decoder copies from.")
    parser.add_argument("--vocab-size", type=int,
                        help="Rows of the model's output layer, padded past the tokenizer's"
                             " (default: the tokenizer's size): what a step's masks span.")
    parser.add_argument("--json", action="store_true", help="Print one JSON line.")
    parser.add_argument("--adapter", type=Path,
                        help="An adapter (the demo's: .newsum/demo/adapters/*) to time"
                             " generation with its constraint and without, side by side.")
    parser.add_argument("--precision", default="fp32", choices=["nf4", "bf16", "fp32"])
    parser.add_argument("--repeats", type=int, default=3,
                        help="Timed rounds of each way (alternating; the median is kept).")
    return parser.parse_args()


def load_tokenizer(directory: Path | None):  # type: ignore[no-untyped-def]
    if directory is not None:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(directory))
    from newsum.sandbox.corpus import generate_corpus
    from newsum.sandbox.recipe import RECIPE
    from newsum.sandbox.tiny import TinyModelSpec, train_tokenizer

    texts = [f"{item.title}\n\n{item.body}\n{item.summary}"
             for item in generate_corpus(RECIPE.articles, seed=RECIPE.seed)]
    return train_tokenizer(texts, TinyModelSpec().vocab_size)


def news_articles(count: int, words: int) -> list[tuple[str, str, str, str]]:
    """(title, body, summary, language): reports of one language joined to ``words``."""
    from newsum.sandbox.corpus import generate_corpus

    items = generate_corpus(count * 12, seed=11)
    out: list[tuple[str, str, str, str]] = []
    for language in ("en", "pt-BR"):
        pool = [item for item in items if item.language == language]
        while pool and len(out) < count * (1 if language == "pt-BR" else 0.5):
            first, body = pool.pop(0), []
            body.append(first.body)
            while pool and sum(len(b.split()) for b in body) < words:
                body.append(pool.pop(0).body)
            out.append((first.title, "\n\n".join(body), first.summary, language))
    return out[:count]


def kind_of(text: str, following: str) -> str:
    """Where a step stands: inside a name (the text ends in a capitalised word the next
    token goes on with), right after one (it ends in one, or in one and a space, and the
    next token begins something else), or in free text."""
    if _NAME_TAIL.search(text):
        return "inside a name" if following[:1].isalnum() else "after a name"
    if _AFTER_NAME.search(text):
        return "after a name"
    return "free text"


def throughput(adapter: Path, precision: str, repeats: int, count: int) -> dict[str, float]:
    """Articles/s of ``adapter``'s generation with its constraint and without."""
    from newsum.modeling.generation import summarize_batch
    from newsum.modeling.loading import load_for_inference
    from newsum.sandbox.corpus import generate_corpus

    loaded = load_for_inference(adapter, precision=precision, device="cpu")
    constrained = loaded.manifest.generation
    if not constrained.source_words:
        raise SystemExit(f"{adapter}: its manifest decodes without the constraint")
    free = constrained.model_copy(
        update={"source_words": False, "article_words": False, "relations": False})
    pairs = [(item.title, item.body) for item in generate_corpus(count, seed=29)]
    summarize_batch(loaded, pairs[:ROWS], batch_size=ROWS)  # untimed warm-up
    rates: dict[str, list[float]] = {"with": [], "without": []}
    for round_ in range(repeats):
        ways = [("with", constrained), ("without", free)]
        for name, params in ways if round_ % 2 == 0 else reversed(ways):
            loaded.manifest.generation = params
            started = time.perf_counter()
            summarize_batch(loaded, pairs, batch_size=ROWS)
            rates[name].append(len(pairs) / (time.perf_counter() - started))
    loaded.manifest.generation = constrained
    with_, without = statistics.median(rates["with"]), statistics.median(rates["without"])
    return {"articles_per_s_with": round(with_, 2), "articles_per_s_without": round(without, 2),
            "constraint_cost": round(1 - with_ / without, 3)}


def main() -> None:
    args = parse_args()
    tokenizer = load_tokenizer(args.tokenizer)
    result = run(tokenizer, news_articles(args.articles, args.words), args.max_input_tokens,
                 args.vocab_size)
    if args.adapter is not None:
        result |= throughput(args.adapter, args.precision, args.repeats, args.articles)
    if args.json:
        print(json.dumps(result))
        return
    print(f"vocabulary: {len(tokenizer):,} tokens, masks {result['vocab']:,} wide;"
          f" {args.articles} articles of ~{args.words} words, batches of {ROWS}")
    print(f"{'vocabulary tables, built once':<44}{result['vocab_build_ms']:>10.1f} ms")
    print(f"{'set-up per article':<44}{result['setup_ms_per_article']:>10.2f} ms"
          "   (target <= 10)")
    print(f"{f'one step, {ROWS} rows':<44}{result['step_ms']:>10.2f} ms   (target <= 3)")
    for kind, value in result["step_ms_by_position"].items():  # type: ignore[union-attr]
        print(f"{'  ' + kind:<44}{value:>10.2f} ms")
    print(f"{'check per summary':<44}{result['check_ms_per_summary']:>10.2f} ms"
          "   (target <= 5)")
    print(f"{'article index per article':<44}{result['index_ms_per_article']:>10.2f} ms")
    if args.adapter is not None:
        print(f"generation of {args.articles} articles by {args.adapter}, {args.precision} on the"
              f" CPU, batches of {ROWS} (median of {args.repeats} alternating rounds):")
        print(f"{'  with the constraint':<44}{result['articles_per_s_with']:>10.2f} articles/s")
        print(f"{'  without it':<44}{result['articles_per_s_without']:>10.2f} articles/s")
        print(f"{'  share of throughput it costs':<44}{result['constraint_cost']:>10.1%}"
              "   (target <= 15%)")


def run(tokenizer, articles, max_input_tokens: int,  # type: ignore[no-untyped-def]
        vocab_size: int | None = None) -> dict[str, object]:
    from newsum.modeling.constraints import SourceWords, vocabulary
    from newsum.modeling.faithfulness import ArticleText, RuleChecker
    from newsum.modeling.faithfulness.checker import index_article
    from newsum.modeling.prompt import DEFAULT_TEMPLATE, visible_article
    from newsum.sandbox.recipe import STOP_WHEN_REFUSED

    torch.set_num_threads(1)
    size = max(vocab_size or 0, len(tokenizer))
    started = _clock()
    vocabulary(tokenizer, size)
    vocab_build_ms = (_clock() - started) * 1000

    sources = [visible_article(tokenizer, DEFAULT_TEMPLATE, title, body, max_input_tokens)
               for title, body, _, _ in articles]
    summaries = [tokenizer(summary, add_special_tokens=False)["input_ids"]
                 for _, _, summary, _ in articles]
    setup_ms: list[float] = []
    step_ms: list[float] = []  # the mean step of each batch
    steps: dict[str, list[float]] = {}
    for start in range(0, len(articles), ROWS):
        batch = list(range(start, min(start + ROWS, len(articles))))
        width = 8  # a stand-in prompt: the constraint reads only what follows it
        started = _clock()
        processor = SourceWords(tokenizer, [sources[i] for i in batch], width, size,
                                plain=True, relations=True, stop_when_refused=STOP_WHEN_REFUSED)
        scores = torch.zeros(len(batch), size)
        prompt = torch.full((len(batch), width), tokenizer.pad_token_id or 0)
        processor(prompt, scores)
        setup_ms.append((_clock() - started) * 1000 / len(batch))
        longest = max(len(summaries[i]) for i in batch)
        eos = tokenizer.eos_token_id
        rows = torch.tensor([summaries[i] + [eos] * (longest - len(summaries[i]))
                             for i in batch])
        batch_steps: list[float] = []
        for step in range(1, longest):
            input_ids = torch.cat([prompt, rows[:, :step]], dim=1)
            written = tokenizer.decode(summaries[batch[0]][:step])
            following = tokenizer.decode(summaries[batch[0]][: step + 1])[len(written):]
            kind = kind_of(written, following)
            # The model's favourite is the token the summary goes on with.
            scores = torch.zeros(len(batch), size)
            scores[torch.arange(len(batch)), rows[:, step]] = 1.0
            started = _clock()
            processor(input_ids, scores)
            batch_steps.append((_clock() - started) * 1000)
            steps.setdefault(kind, []).append(batch_steps[-1])
        step_ms.append(statistics.mean(batch_steps))

    checker = RuleChecker()
    index_ms: list[float] = []
    check_ms: list[float] = []
    for title, body, summary, language in articles:
        text = ArticleText(title, body, language)
        started = _clock()
        index_article(text)  # once per article, as a batch does
        index_ms.append((_clock() - started) * 1000)
        started = _clock()
        checker.check(text, summary)
        check_ms.append((_clock() - started) * 1000)
    return {
        "vocab": size,
        "vocab_build_ms": round(vocab_build_ms, 1),
        "setup_ms_per_article": round(statistics.median(setup_ms), 3),
        "step_ms": round(statistics.median(step_ms), 3),
        "check_ms_per_summary": round(statistics.mean(check_ms), 3),
        "index_ms_per_article": round(statistics.mean(index_ms), 3),
        "step_ms_by_position": {kind: round(statistics.mean(values), 3)
                                for kind, values in sorted(steps.items())},
    }


if __name__ == "__main__":
    main()
