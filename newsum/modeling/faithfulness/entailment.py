"""Does the article entail each sentence of the summary? A trained model's answer.

Rules see names and figures; a sentence that puts the article's own words in a relation
the article does not state needs a model that reads both. Any Hugging Face
sequence-classification NLI or fact-checking model serves (by hub id or local path),
scored in the style of SummaC-ZS (Laban et al., 2022):

- the article is cut into chunks of whole sentences, each overlapping the next by about
  half, so a fact stated across a chunk boundary is whole in some chunk;
- each summary sentence is scored against every chunk: the model's probability of its
  entailment label;
- a sentence's support is its best chunk (max), the summary's its weakest sentence (min).

Below the threshold, the summary gets a ``not_entailed`` finding per weak sentence,
whose evidence is the chunk that supported it best (what an editor should compare it
with). The verdict carries the summary's score either way.

torch and transformers are imported when a model is loaded, not with this module, so
the rule check stays cheap to import for processes that never load a model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newsum.errors import EntailmentModelInvalid
from newsum.modeling.faithfulness.verdict import ArticleText, Finding, FindingKind, Verdict

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
# About 270 tokens of English news: with the sentence, well inside a 512-token model.
DEFAULT_CHUNK_WORDS = 200
# Label names that mean "the premise supports the hypothesis", across NLI (MNLI, XNLI,
# ANLI: "entailment"), fact verification (VitaminC: "SUPPORTS") and consistency models.
ENTAILMENT_LABELS = ("entail", "support", "consistent", "faithful")
_NEGATED = ("not", "non", "no_", "no ", "un")

# A sentence ends at . ! ? or … (closing quotes and brackets stay with it) before a
# space and a capital, a digit or an opening quote; a line break always ends one.
_SENTENCE_END = re.compile(r"(?<=[.!?…])(?P<close>[\"'”’»)\]]*)\s+(?=[\"'“‘«(\[]?\w)")
_OPENING = "\"'“‘«(["
# A full stop after these is an abbreviation, not the end of a sentence.
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "sra", "srs", "st", "jr", "gen", "gov", "sen",
    "rep", "lt", "col", "capt", "sgt", "rev", "vs", "no", "nº", "inc", "ltd", "co", "corp",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "av",
})


def split_sentences(text: str) -> list[str]:
    """The text's sentences in order, stripped ("J. Smith", "Mr. Lee", "U.S. troops" and a
    lower-case continuation do not end one)."""
    sentences: list[str] = []
    for paragraph in text.splitlines():
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            following = paragraph[match.end() :].lstrip(_OPENING)[:1]
            candidate = paragraph[start : match.end("close")]
            if not (following.isupper() or following.isdigit()) or _abbreviated(candidate):
                continue
            sentences.append(candidate.strip())
            start = match.end()
        sentences.append(paragraph[start:].strip())
    return [s for s in sentences if any(c.isalnum() for c in s)]


def _abbreviated(candidate: str) -> bool:
    """Whether the full stop ending ``candidate`` closes an initial or an abbreviation."""
    if not candidate.endswith("."):
        return False
    words = candidate[:-1].rsplit(maxsplit=1)
    word = words[-1] if words else ""
    return (len(word) == 1 and word.isupper()) or "." in word or word.lower() in _ABBREVIATIONS


def article_chunks(text: str, chunk_words: int = DEFAULT_CHUNK_WORDS) -> list[str]:
    """Overlapping chunks of whole sentences, each at most ``chunk_words`` words.

    A sentence longer than that is a chunk of its own (the tokenizer truncates it).
    Each chunk after the first starts about half-way through the one before.
    """
    if chunk_words < 1:
        raise ValueError("chunk_words must be at least 1")
    sentences = split_sentences(text)
    lengths = [len(s.split()) for s in sentences]
    chunks: list[str] = []
    start = 0
    while start < len(sentences):
        end, words = start, 0
        while end < len(sentences) and (end == start or words + lengths[end] <= chunk_words):
            words += lengths[end]
            end += 1
        chunks.append(" ".join(sentences[start:end]))
        if end == len(sentences):
            break
        half, covered, start_next = words / 2, 0, start
        while start_next < end - 1 and covered < half:
            covered += lengths[start_next]
            start_next += 1
        start = max(start_next, start + 1)
    return chunks


def entailment_label(id2label: dict[int, str]) -> int:
    """The index of the label meaning "entailed"; raises EntailmentModelInvalid.

    A two-label model with generic names (``LABEL_0``/``LABEL_1``, as fact-checkers such as
    MiniCheck ship) reads 1 as supported.
    """
    for index, name in sorted(id2label.items()):
        folded = name.strip().lower()
        if folded.startswith(ENTAILMENT_LABELS) and not folded.startswith(_NEGATED):
            return int(index)
    if len(id2label) == 2 and all(n.upper().startswith("LABEL_") for n in id2label.values()):
        return 1
    raise EntailmentModelInvalid(
        f"none of the model's labels {sorted(id2label.values())} means entailment (expected"
        f" one starting with {', '.join(ENTAILMENT_LABELS)}): use an NLI or fact-checking model"
    )


@dataclass
class EntailmentModel:
    """A loaded classifier and how to read it: the tokenizer, the entailment label, the device."""

    name: str
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    entailment_index: int
    max_length: int

    @property
    def device(self) -> torch.device:
        """Where input ids go (the device of the model's parameters)."""
        return next(self.model.parameters()).device

    def score_pairs(
        self, pairs: Sequence[tuple[str, str]], batch_size: int = 32
    ) -> list[float]:
        """P(entailment) of each (premise, hypothesis) pair, in order, ``batch_size`` at a time.

        Pairs are sorted by length first, so that a batch pads to similar lengths.
        """
        import torch

        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        scores = [0.0] * len(pairs)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                encoded = self.tokenizer(
                    [pairs[i][0] for i in batch], [pairs[i][1] for i in batch],
                    truncation="longest_first", max_length=self.max_length, padding=True,
                    return_tensors="pt",
                ).to(self.device)
                logits = self.model(**encoded).logits.float()
                entailed = logits.softmax(dim=-1)[:, self.entailment_index]
                for i, score in zip(batch, entailed.tolist(), strict=True):
                    scores[i] = score
        return scores


def load_entailment_model(name_or_path: str, *, device: str = "auto") -> EntailmentModel:
    """Load a sequence-classification model for inference on ``device``.

    Raises ModelNotFound (no such directory, or the hub cannot provide it) and
    EntailmentModelInvalid (not a sequence classifier, or no label means entailment).
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    from newsum.modeling.loading import compute_dtype, load_pretrained, resolve_device

    config = load_pretrained(AutoConfig.from_pretrained, name_or_path)
    architectures = config.architectures or []
    if not any(a.endswith("ForSequenceClassification") for a in architectures):
        # Loading anything else would put a random classification head on top of it.
        raise EntailmentModelInvalid(
            f"{name_or_path} is a {', '.join(architectures) or 'model of unknown kind'}, not a"
            " sequence classifier: use an NLI or fact-checking model"
        )
    index = entailment_label(dict(config.id2label))
    target = resolve_device(device)
    tokenizer = load_pretrained(AutoTokenizer.from_pretrained, name_or_path)
    model = load_pretrained(
        AutoModelForSequenceClassification.from_pretrained, name_or_path,
        dtype=compute_dtype(target),
    )
    if tokenizer.pad_token is None:
        # Padding is masked out; any token the tokenizer already has will do.
        tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
    model.to(target).eval()
    return EntailmentModel(
        name=name_or_path, model=model, tokenizer=tokenizer, entailment_index=index,
        max_length=_max_length(tokenizer, config),
    )


def _max_length(tokenizer: Any, config: Any) -> int:
    """The longest input the model takes: the tokenizer's limit, capped by its positions."""
    limits = [tokenizer.model_max_length, getattr(config, "max_position_embeddings", None), 512]
    return min(int(limit) for limit in limits if isinstance(limit, int) and limit > 0)


@dataclass(frozen=True)
class SentenceSupport:
    """One summary sentence, its best score over the article's chunks, and that chunk."""

    sentence: str
    score: float
    chunk: str


@dataclass(frozen=True)
class EntailmentChecker:
    """A ``FaithfulnessChecker``: every summary sentence must be entailed by some chunk."""

    model: EntailmentModel
    threshold: float = DEFAULT_THRESHOLD
    chunk_words: int = DEFAULT_CHUNK_WORDS
    batch_size: int = 32

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"the threshold is a probability, not {self.threshold}")

    def check(self, article: ArticleText, summary: str) -> Verdict:
        """The verdict on ``summary``: its score, and a finding per sentence below threshold."""
        return self.check_batch([(article, summary)])[0]

    def check_batch(self, items: Sequence[tuple[ArticleText, str]]) -> list[Verdict]:
        """Verdicts for many summaries, every (chunk, sentence) pair scored in shared batches."""
        return [self.verdict(s) for s in self.support(items)]

    def support(self, items: Sequence[tuple[ArticleText, str]]) -> list[list[SentenceSupport]]:
        """For each summary, each sentence's best chunk and score (one model pass for all)."""
        chunk_cache: dict[str, list[str]] = {}
        pairs: list[tuple[str, str]] = []
        layout: list[list[tuple[str, list[int]]]] = []
        for article, summary in items:
            text = article.text
            if text not in chunk_cache:
                chunk_cache[text] = article_chunks(text, self.chunk_words) or [text]
            chunks = chunk_cache[text]
            sentences = []
            for sentence in split_sentences(summary):
                sentences.append((sentence, list(range(len(pairs), len(pairs) + len(chunks)))))
                pairs.extend((chunk, sentence) for chunk in chunks)
            layout.append(sentences)
        scores = self.model.score_pairs(pairs, self.batch_size) if pairs else []
        return [
            [_best(sentence, [(scores[i], pairs[i][0]) for i in indices])
             for sentence, indices in sentences]
            for sentences in layout
        ]

    def verdict(self, support: list[SentenceSupport]) -> Verdict:
        """Min over sentences of their max over chunks; weak sentences become findings."""
        if not support:
            return Verdict.of([Finding(FindingKind.EMPTY, "")])
        return Verdict.of(
            [Finding(FindingKind.NOT_ENTAILED, s.sentence, evidence=s.chunk)
             for s in support if s.score < self.threshold],
            score=min(s.score for s in support),
        )


def _best(sentence: str, scored: list[tuple[float, str]]) -> SentenceSupport:
    score, chunk = max(scored, key=lambda pair: pair[0])
    # Rounded as stored, so that a threshold read off stored scores judges them the same.
    return SentenceSupport(sentence=sentence, score=round(score, 6), chunk=chunk)
