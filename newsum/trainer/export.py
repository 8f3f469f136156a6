"""The adapter directory (the trainer's output and the worker's input) and merged weights.

An adapter directory holds the PEFT files (``adapter_config.json``,
``adapter_model.safetensors``), the tokenizer files, ``manifest.json`` and a model card
``README.md``. Merged weights are written only on request, into a full-precision copy
of the base: merging into 4-bit weights would round the adapter's update away.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from transformers import PreTrainedTokenizerBase

from newsum.modeling.loading import load_for_inference, resolve_device
from newsum.modeling.manifest import AdapterManifest
from newsum.trainer.data import Pair


def save_adapter(model: Any, tokenizer: PreTrainedTokenizerBase, out_dir: Path) -> Path:
    """Write the PEFT adapter (safetensors) and the tokenizer; :func:`write_metadata` adds
    the manifest and the model card once the adapter is evaluated."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(out_dir)
    return out_dir


def write_metadata(manifest: AdapterManifest, out_dir: Path) -> None:
    """Write ``manifest.json`` (the worker's contract) and the model card that reports it."""
    manifest.save(out_dir)
    write_model_card(manifest, out_dir)


def data_fingerprint(pairs: Sequence[Pair]) -> str:
    """A hash of the training pairs, to tell which data an adapter was trained on."""
    digest = hashlib.sha256()
    for pair in pairs:
        for part in (str(pair.id), pair.title or "", pair.article, pair.summary):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
    return digest.hexdigest()[:16]


def write_model_card(manifest: AdapterManifest, out_dir: Path) -> Path:
    """A README.md that says what the adapter is, how it was trained and what was measured.

    It states only measured figures: no claim about the summaries beyond the evaluation
    table, and "not evaluated" when there is none.
    """
    lora = manifest.lora
    lines = [
        "---",
        f"base_model: {manifest.base_model}",
        "library_name: peft",
        "tags: [summarization, news, qlora, newsum]",
        "---",
        "",
        "# newsum news-summarization adapter",
        "",
        f"A LoRA adapter for `{manifest.base_model}`, fine-tuned to summarise news articles.",
        "Load it with `newsum` (which reads `manifest.json`) or with",
        "`peft.PeftModel.from_pretrained`, prompting exactly as `manifest.json` records.",
        "newsum workers publish a summary only when it passes the faithfulness check",
        "(every name, figure, date and quotation found in its article, the article's",
        "language, a sane length and form); the others wait for an editor. Passing the",
        "check is not the same as being true: how often a passed summary is true is",
        "measured below where the test pairs carry fact records, and claimed nowhere else.",
        "",
        "## Training",
        "",
        f"- quantisation of the base: {manifest.quantization.method}"
        f" (double quant: {manifest.quantization.double_quant},"
        f" compute dtype: {manifest.quantization.compute_dtype})",
        f"- LoRA: r={lora.get('r')}, alpha={lora.get('alpha')}, dropout={lora.get('dropout')},"
        f" modules={', '.join(lora.get('target_modules', []))}",
        f"- prompt template version {manifest.prompt.version};"
        f" {manifest.max_input_tokens} input tokens, {manifest.max_summary_tokens} summary tokens",
        f"- training data fingerprint: {manifest.data_fingerprint}",
        f"- created {manifest.created_at:%Y-%m-%d %H:%M} UTC with "
        + ", ".join(f"{k} {v}" for k, v in manifest.library_versions.items()),
        "",
        "## Evaluation on the held-out test split",
        "",
    ]
    metrics = dict(manifest.metrics)
    by_language = metrics.pop("by_language", {})
    if not metrics:
        lines.append("Not evaluated: nothing is claimed about its summaries (`newsum eval`).")
    else:
        lines += [
            "ROUGE F1 x 100 against the reference summaries; entity and number precision:",
            "names and figures of the summaries found in their articles, over all of them",
            '(Nan et al. 2021; "-" when the summaries name none); pass: share of summaries',
            "that pass the faithfulness check, i.e. that a worker would publish. Where the",
            "pairs carry fact records: facts = share of summaries wholly true by the record",
            "(every person, role, day and figure the record's, in the record's relation, no",
            "invented word); passed true = of the summaries the check passes, the share",
            'true; false held = of the false ones, the share the check holds ("-": no',
            "record, or nothing to count).",
            "",
            *_metrics_table(metrics),
            "",
            *_truth_claim(metrics.get("adapter", {})),
        ]
        for language, systems in by_language.items():
            lines += ["", f"### {language}", "", *_metrics_table(systems)]
    path = out_dir / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _truth_claim(adapter: dict[str, Any]) -> list[str]:
    """One sentence on truth, saying exactly what was measured and nothing more."""
    if adapter.get("fact_accuracy") is None:
        return ["The test pairs carry no fact records: the truth of these summaries was not"
                " measured, only their support by the article's words."]
    claim = (
        f"By the fact records of {adapter.get('judged')} test pairs,"
        f" {adapter['fact_accuracy'] * 100:.1f}% of the adapter's summaries are true"
    )
    if adapter.get("passed_true") is not None:
        claim += f", and {adapter['passed_true'] * 100:.1f}% of those the check passes"
    return [claim + "."]


def _metrics_table(systems: dict[str, dict[str, Any]]) -> list[str]:
    def precision(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:.1f}%"

    rows = [
        "| system | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | entity P | number P | pass | facts |"
        " passed true | false held | words |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in systems.items():
        rows.append(
            f"| {name} | {m['rouge1'] * 100:.2f} | {m['rouge2'] * 100:.2f} |"
            f" {m['rougeLsum'] * 100:.2f} | {precision(m.get('entity_precision'))} |"
            f" {precision(m.get('number_precision'))} | {m.get('passed', 0) * 100:.1f}% |"
            f" {share(m.get('fact_accuracy'))} | {share(m.get('passed_true'))} |"
            f" {share(m.get('false_held'))} | {m['mean_words']:.1f} |"
        )
    return rows


def merge_adapter(
    adapter_dir: Path,
    out_dir: Path,
    *,
    precision: Literal["bf16", "fp32"] | None = None,
    base_model: str | None = None,
    device: str = "auto",
) -> Path:
    """Merge the adapter into a bf16 (GPU) / fp32 (CPU) copy of the base; save safetensors.

    ``out_dir`` then loads with ``AutoModelForCausalLM.from_pretrained`` in servers that
    know nothing of LoRA; it also gets the tokenizer and the manifest, for the prompt.
    """

    precision = precision or ("bf16" if resolve_device(device).type == "cuda" else "fp32")
    loaded = load_for_inference(
        adapter_dir, base_model=base_model, precision=precision, device=device
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    loaded.model.save_pretrained(out_dir, safe_serialization=True)
    loaded.tokenizer.save_pretrained(out_dir)
    loaded.manifest.save(out_dir)
    return out_dir
