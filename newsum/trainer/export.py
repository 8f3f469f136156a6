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

from newsum.modeling.loading import load_for_inference
from newsum.modeling.manifest import AdapterManifest
from newsum.trainer.data import Pair


def save_adapter(
    model: Any, tokenizer: PreTrainedTokenizerBase, manifest: AdapterManifest, out_dir: Path
) -> Path:
    """Write the PEFT adapter (safetensors), tokenizer, manifest and model card."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(out_dir)
    manifest.save(out_dir)
    write_model_card(manifest, out_dir)
    return out_dir


def data_fingerprint(pairs: Sequence[Pair]) -> str:
    """A hash of the training pairs, to tell which data an adapter was trained on."""
    digest = hashlib.sha256()
    for pair in pairs:
        for part in (str(pair.id), pair.title or "", pair.article, pair.summary):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
    return digest.hexdigest()[:16]


def write_model_card(manifest: AdapterManifest, out_dir: Path) -> Path:
    """A README.md that says what the adapter is, how it was trained and how it scores."""
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
        f"A LoRA adapter for `{manifest.base_model}` that writes short, faithful summaries",
        "of news articles. Load it with `newsum` (which reads `manifest.json`) or with",
        "`peft.PeftModel.from_pretrained`, prompting exactly as `manifest.json` records.",
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
        "## Evaluation (ROUGE F1 x 100 on the test split)",
        "",
    ]
    if manifest.metrics:
        lines += ["| system | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | words | copied trigrams |"]
        lines += ["|---|---|---|---|---|---|"]
        for name, m in manifest.metrics.items():
            lines.append(
                f"| {name} | {m['rouge1'] * 100:.2f} | {m['rouge2'] * 100:.2f} |"
                f" {m['rougeLsum'] * 100:.2f} | {m['mean_words']:.1f} |"
                f" {m['copied_trigrams'] * 100:.1f}% |"
            )
    else:
        lines.append("Not evaluated yet (`newsum eval`).")
    path = out_dir / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


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
    from newsum.modeling.loading import resolve_device

    precision = precision or ("bf16" if resolve_device(device).type == "cuda" else "fp32")
    loaded = load_for_inference(
        adapter_dir, base_model=base_model, precision=precision, device=device
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    loaded.model.save_pretrained(out_dir, safe_serialization=True)
    loaded.tokenizer.save_pretrained(out_dir)
    loaded.manifest.save(out_dir)
    return out_dir
