"""Loading a tokenizer, a base model and an adapter: the same code for training and serving.

Precisions: ``nf4`` holds the base in 4-bit NormalFloat with double quantisation
(bitsandbytes; computed in bf16 on GPU, fp32 on CPU) and applies the LoRA adapter on
top; ``bf16``/``fp32`` load a full-precision copy of the base and merge the adapter into
it, which is faster to serve. An adapter is never merged into 4-bit weights: rounding the
merged sum back to 4 bits loses what the adapter learned.
"""

from __future__ import annotations

import gc
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    BitsAndBytesConfig,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from newsum.config import Precision
from newsum.errors import BaseModelMismatch, ModelNotFound, UnsafeAdapterWeights
from newsum.modeling.manifest import AdapterManifest, QuantizationSettings

ADAPTER_WEIGHTS = "adapter_model.safetensors"
PICKLE_WEIGHTS = "adapter_model.bin"
# Config keys that say where or how a model was saved, not what it is.
_NOT_IDENTITY = {
    "_name_or_path", "_commit_hash", "transformers_version", "dtype", "torch_dtype",
    "quantization_config", "use_cache", "pad_token_id", "architectures",
}  # fmt: skip


@dataclass
class LoadedModel:
    """A model ready to generate, with the tokenizer and manifest that go with it."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    manifest: AdapterManifest
    precision: Precision
    adapter_dir: Path | None = None

    @property
    def device(self) -> torch.device:
        """Where input ids must be placed (the device of the input embeddings)."""
        return self.model.get_input_embeddings().weight.device


def resolve_device(device: str = "auto") -> torch.device:
    """``auto``: this process's GPU if any (its local rank under accelerate), else CPU."""
    if device != "auto":
        return torch.device(device)
    if not torch.cuda.is_available():
        return torch.device("cpu")
    from accelerate import PartialState

    return torch.device("cuda", PartialState().local_process_index)


def compute_dtype(device: torch.device) -> torch.dtype:
    """bf16 on GPU; fp32 on CPU, where bf16 matmuls are slow and less exact."""
    return torch.bfloat16 if device.type == "cuda" else torch.float32


def quantization_settings(precision: Precision, device: torch.device) -> QuantizationSettings:
    """How ``precision`` holds the base model on ``device``, as recorded in a manifest."""
    dtype = str(compute_dtype(device)).removeprefix("torch.")
    if precision == "nf4":
        return QuantizationSettings(method="nf4", double_quant=True, compute_dtype=dtype)
    return QuantizationSettings(
        method="none", double_quant=False, compute_dtype=precision_dtype_name(precision)
    )


def precision_dtype_name(precision: Precision) -> str:
    """torch dtype name of a full precision."""
    return "bfloat16" if precision == "bf16" else "float32"


def load_pretrained(loader: Any, path_or_id: str | Path, **kwargs: Any) -> Any:
    """Call a ``from_pretrained`` and turn 'cannot find it' into ModelNotFound."""
    name = str(path_or_id)
    local = Path(name).expanduser()
    if local.exists():
        return loader(str(local), **kwargs)
    if name.startswith(("/", ".", "~")) or name.count("/") > 1:
        raise ModelNotFound(f"{name}: no such model directory")
    try:
        return loader(name, **kwargs)
    except OSError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelNotFound(
            f"cannot load {name!r}: it is not a local directory and the model hub could not"
            f" provide it ({reason}); pass a local path to the model, or connect to the"
            " internet (with HF_TOKEN set for gated models such as Llama 2)"
        ) from exc


def load_tokenizer(path_or_id: str | Path) -> PreTrainedTokenizerBase:
    """The tokenizer, with a pad token that is not EOS and padding on the left.

    Llama 2 ships no pad token. Padding with EOS would label every EOS as padding, so
    training would mask it out and the model would never learn to stop. ``<unk>`` is
    reused as pad when it exists: it is already in the vocabulary (no new embedding row,
    so the base model and its adapters keep their shapes) and a byte-level or
    SentencePiece tokenizer never emits it for real text. Otherwise ``<pad>`` is added.
    Left padding keeps every prompt's last token next to the first generated one.
    """
    tokenizer = load_pretrained(AutoTokenizer.from_pretrained, path_or_id)
    if tokenizer.pad_token is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
        if tokenizer.unk_token is not None and tokenizer.unk_token_id != tokenizer.eos_token_id:
            tokenizer.pad_token = tokenizer.unk_token
        else:
            tokenizer.add_special_tokens({"pad_token": "<pad>"})
    tokenizer.padding_side = "left"
    return tokenizer


def load_base_model(
    path_or_id: str | Path, *, precision: Precision, device: str = "auto"
) -> PreTrainedModel:
    """The base causal LM at ``precision`` on ``device`` (placed by from_pretrained)."""
    target = resolve_device(device)
    kwargs: dict[str, Any] = {"device_map": {"": target}}
    if precision == "nf4":
        kwargs["dtype"] = compute_dtype(target)
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute_dtype(target),
        )
    elif precision in ("bf16", "fp32"):
        kwargs["dtype"] = torch.bfloat16 if precision == "bf16" else torch.float32
    else:
        raise ValueError(f"unknown precision {precision!r}: use nf4, bf16 or fp32")
    return load_pretrained(AutoModelForCausalLM.from_pretrained, path_or_id, **kwargs)


def fit_embeddings(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
    """Grow the embedding matrix when the tokenizer gained a ``<pad>`` token."""
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))


def load_config(path_or_id: str | Path) -> PretrainedConfig:
    """The model's config alone (no weights); raises ModelNotFound."""
    return load_pretrained(AutoConfig.from_pretrained, path_or_id)


def base_model_fingerprint(path_or_id: str | Path) -> str:
    """A hash of the model's architecture config, the same wherever a copy is stored."""
    config = load_config(path_or_id).to_dict()
    identity = {k: v for k, v in sorted(config.items()) if k not in _NOT_IDENTITY}
    return hashlib.sha256(json.dumps(identity, default=str).encode()).hexdigest()[:16]


def base_model_revision(path_or_id: str | Path) -> str | None:
    """The hub commit a model id resolves to; None for a local directory."""
    config = load_config(path_or_id)
    return getattr(config, "_commit_hash", None)


def check_adapter_weights(adapter_dir: Path) -> None:
    """Raise unless ``adapter_dir`` holds safetensors adapter weights."""
    if (adapter_dir / ADAPTER_WEIGHTS).is_file():
        return
    if (adapter_dir / PICKLE_WEIGHTS).is_file():
        raise UnsafeAdapterWeights(
            f"{adapter_dir} holds only pickle weights ({PICKLE_WEIGHTS}), which can run code"
            f" when loaded; newsum loads {ADAPTER_WEIGHTS} only: re-save the adapter with"
            " safetensors (peft's save_pretrained does by default)"
        )
    raise ModelNotFound(f"{adapter_dir} has no {ADAPTER_WEIGHTS}: not an adapter directory")


def check_same_base(manifest: AdapterManifest, requested: str) -> None:
    """Raise BaseModelMismatch unless ``requested`` is the manifest's base model (or a copy)."""
    if requested == manifest.base_model:
        return
    fingerprint = base_model_fingerprint(requested)
    if (
        manifest.base_model_fingerprint is not None
        and fingerprint == manifest.base_model_fingerprint
    ):
        return
    raise BaseModelMismatch(
        f"the adapter was trained on {manifest.base_model!r} but base model {requested!r} was"
        f" requested, and they differ; use {manifest.base_model!r} (or a local copy of it)"
    )


def load_for_inference(
    adapter_dir: Path | str | None,
    *,
    base_model: str | None = None,
    precision: Precision = "nf4",
    device: str = "auto",
    manifest: AdapterManifest | None = None,
) -> LoadedModel:
    """Base model + adapter in eval mode, with the adapter's tokenizer and manifest.

    ``manifest`` stands in for the directory's ``manifest.json`` (the trainer evaluates an
    adapter before it writes the file, with metrics, once). With no adapter, the base
    model alone (``base_model`` required) and a default manifest.
    ``base_model`` overrides the manifest's only with the same model stored elsewhere;
    raises BaseModelMismatch, ManifestError, UnsafeAdapterWeights or ModelNotFound.
    """
    if adapter_dir is None:
        if base_model is None:
            raise ValueError("load_for_inference needs an adapter directory or a base model")
        tokenizer = load_tokenizer(base_model)
        model = load_base_model(base_model, precision=precision, device=device)
        fit_embeddings(model, tokenizer)
        manifest = AdapterManifest(
            base_model=str(base_model),
            quantization=quantization_settings(precision, resolve_device(device)),
        )
        return LoadedModel(model.eval(), tokenizer, manifest, precision)

    from peft import PeftModel

    adapter_dir = Path(adapter_dir)
    manifest = manifest or AdapterManifest.load(adapter_dir)
    check_adapter_weights(adapter_dir)
    base = str(base_model) if base_model is not None else manifest.base_model
    check_same_base(manifest, base)
    has_tokenizer = (adapter_dir / "tokenizer_config.json").is_file()
    tokenizer = load_tokenizer(adapter_dir if has_tokenizer else base)
    model = load_base_model(base, precision=precision, device=device)
    fit_embeddings(model, tokenizer)
    model = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=False)
    if precision != "nf4":
        model = model.merge_and_unload()
    return LoadedModel(model.eval(), tokenizer, manifest, precision, adapter_dir)


def release_memory() -> None:
    """Free what a dropped model held: Python garbage, and CUDA's cached blocks."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
