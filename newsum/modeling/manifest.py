"""The adapter manifest: everything a worker needs to reproduce the trainer's inference.

``manifest.json`` sits next to the PEFT files of an adapter directory. It is versioned
(``format_version``) and validated on load, so that a worker refuses an adapter it would
otherwise serve wrongly (another prompt, another base model, another token budget).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from newsum.errors import ManifestError, validation_problems
from newsum.modeling.prompt import DEFAULT_TEMPLATE, PromptTemplate

MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 4
"""Bumped when a field changes meaning or is added; older readers refuse newer manifests.
3: ``generation.article_words``, ``generation.relations``, ``generation.min_mean_logprob``
and ``generation.candidates``; 4: ``generation.stop_when_refused``."""

_LIBRARIES = ("torch", "transformers", "peft", "bitsandbytes", "accelerate")


class QuantizationSettings(BaseModel):
    """How the base model was held in memory while the adapter was trained."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["nf4", "none"] = Field("nf4", description="4-bit NF4 or full precision.")
    double_quant: bool = Field(True, description="Quantise the quantisation constants too.")
    compute_dtype: str = Field("bfloat16", description="dtype of the 4-bit matmuls.")


class GenerationParams(BaseModel):
    """Decoding settings; greedy by default so a summary is reproducible."""

    model_config = ConfigDict(extra="forbid")

    do_sample: bool = Field(False, description="Sample instead of greedy decoding.")
    num_beams: int = Field(1, ge=1, description="Beam search width (1: greedy).")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature.")
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling mass.")
    repetition_penalty: float = Field(1.0, gt=0, description="1.0 disables it.")
    no_repeat_ngram_size: int = Field(0, ge=0, description="0 disables it.")
    max_new_tokens: int | None = Field(
        None, ge=1, description="Most summary tokens; the manifest's max_summary_tokens if unset."
    )
    source_words: bool = Field(
        False,
        description="Write names, figures and dates only as the article does"
        " (newsum.modeling.constraints); adapters newsum trains set it.",
    )
    article_words: bool = Field(
        False, description="With source_words: write only words the article holds."
    )
    relations: bool = Field(
        False,
        description="With source_words: a role, predicate, day and figure only beside the"
        " name the article joins them to (newsum.modeling.relations).",
    )
    stop_when_refused: float | None = Field(
        None, gt=0,
        description="With source_words: once a summary holds a whole sentence, end it there"
        " when the constraint refuses the model's favourite next token (not part of a fact"
        " word) and it scores more than this many nats above the best one allowed"
        " (newsum.modeling.constraints); None: off.",
    )
    min_mean_logprob: float | None = Field(
        None, le=0,
        description="Hold a summary its own model gives a mean log-probability per token"
        " below this, read without the decoding constraint (newsum.modeling.retry);"
        " None: off.",
    )
    candidates: int = Field(
        1, ge=1,
        description="A summary that fails the faithfulness check is generated again as this"
        " many beam-search candidates; the first that passes is kept (1: no retry).",
    )


class AdapterManifest(BaseModel):
    """The contract between the trainer and the worker, stored as manifest.json."""

    model_config = ConfigDict(extra="forbid")

    format_version: int = Field(FORMAT_VERSION, description="Version of this file's layout.")
    base_model: str = Field(description="Hub id or local path of the base model.")
    base_model_revision: str | None = Field(None, description="Hub commit of the base model.")
    base_model_fingerprint: str | None = Field(
        None, description="Hash of the base model's architecture config (location-independent)."
    )
    quantization: QuantizationSettings = Field(default_factory=QuantizationSettings)
    prompt: PromptTemplate = Field(default_factory=lambda: DEFAULT_TEMPLATE)
    max_input_tokens: int = Field(1024, ge=8, description="Prompt token budget.")
    max_summary_tokens: int = Field(128, ge=2, description="Summary token budget, EOS included.")
    generation: GenerationParams = Field(default_factory=GenerationParams)
    lora: dict[str, Any] = Field(default_factory=dict, description="LoRA r, alpha, modules.")
    data_fingerprint: str | None = Field(None, description="Hash of the training data.")
    metrics: dict[str, Any] = Field(default_factory=dict, description="ROUGE before/after.")
    library_versions: dict[str, str] = Field(default_factory=lambda: library_versions())
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def max_new_tokens(self) -> int:
        """Tokens generation may produce: the explicit setting or the summary budget."""
        return self.generation.max_new_tokens or self.max_summary_tokens

    @classmethod
    def load(cls, adapter_dir: Path | str) -> AdapterManifest:
        """Read and validate ``adapter_dir/manifest.json``; raises ManifestError."""
        path = Path(adapter_dir) / MANIFEST_FILE
        if not path.is_file():
            raise ManifestError(
                f"{adapter_dir} has no {MANIFEST_FILE}: it is not a newsum adapter directory"
                " (export one with `newsum train`)"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"{path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ManifestError(f"{path} must hold a JSON object")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ManifestError(
                f"{path} has format_version {version!r}; this newsum reads up to"
                f" {FORMAT_VERSION}: upgrade newsum or re-export the adapter"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = validation_problems(exc, root="(root)")
            raise ManifestError(f"{path} is invalid: {problems}") from exc

    def save(self, adapter_dir: Path | str) -> Path:
        """Write manifest.json into ``adapter_dir``; returns its path."""
        path = Path(adapter_dir) / MANIFEST_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that shape an adapter's outputs."""
    import newsum  # the checkout may run uninstalled, without package metadata

    versions: dict[str, str] = {"newsum": newsum.__version__}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
