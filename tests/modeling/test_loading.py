"""Loading base models and adapters, and the refusals a user can act on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoConfig, AutoModelForCausalLM, LlamaForCausalLM

from newsum.errors import BaseModelMismatch, ModelNotFound, UnsafeAdapterWeights
from newsum.modeling.loading import base_model_fingerprint, load_for_inference, load_tokenizer
from newsum.modeling.manifest import AdapterManifest

pytestmark = pytest.mark.usefixtures("offline_hub")


def _save_adapter(base_dir: Path, out: Path, *, safetensors: bool = True) -> Path:
    """A small untrained LoRA adapter over ``base_dir`` with its manifest."""
    torch.manual_seed(0)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base_dir),
        LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"),
    )
    model.save_pretrained(out, safe_serialization=safetensors)
    load_tokenizer(base_dir).save_pretrained(out)
    AdapterManifest(
        base_model=str(base_dir), base_model_fingerprint=base_model_fingerprint(base_dir)
    ).save(out)
    return out


def test_base_model_loads_in_nf4_with_4bit_linear_layers(tiny_model_dir: Path) -> None:
    loaded = load_for_inference(None, base_model=str(tiny_model_dir), precision="nf4", device="cpu")
    layer = loaded.model.model.layers[0].self_attn.q_proj

    assert type(layer).__name__ == "Linear4bit"
    assert loaded.device.type == "cpu"
    assert loaded.manifest.quantization.method == "nf4"
    assert loaded.manifest.quantization.compute_dtype == "float32"


def test_adapter_loads_over_nf4_and_merges_for_full_precision(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    adapter = _save_adapter(tiny_model_dir, tmp_path / "adapter")

    quantized = load_for_inference(adapter, precision="nf4", device="cpu")
    merged = load_for_inference(adapter, precision="fp32", device="cpu")

    assert type(quantized.model).__name__ == "PeftModelForCausalLM"
    assert isinstance(merged.model, LlamaForCausalLM)
    assert merged.model.dtype == torch.float32


def test_adapter_with_only_pickle_weights_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    adapter = _save_adapter(tiny_model_dir, tmp_path / "adapter", safetensors=False)
    assert (adapter / "adapter_model.bin").is_file()

    with pytest.raises(UnsafeAdapterWeights, match="safetensors"):
        load_for_inference(adapter, device="cpu")


def test_adapter_refuses_a_different_base_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    adapter = _save_adapter(tiny_model_dir, tmp_path / "adapter")
    config = AutoConfig.from_pretrained(tiny_model_dir)
    config.num_hidden_layers = 1
    LlamaForCausalLM(config).save_pretrained(tmp_path / "other")

    with pytest.raises(BaseModelMismatch, match="was trained on"):
        load_for_inference(adapter, base_model=str(tmp_path / "other"), device="cpu")


def test_adapter_accepts_a_copy_of_its_base_model_elsewhere(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    adapter = _save_adapter(tiny_model_dir, tmp_path / "adapter")
    copy = shutil.copytree(tiny_model_dir, tmp_path / "copy")

    loaded = load_for_inference(adapter, base_model=str(copy), precision="fp32", device="cpu")

    assert isinstance(loaded.model, LlamaForCausalLM)


def test_hub_id_without_network_asks_for_a_local_path() -> None:
    with pytest.raises(ModelNotFound, match="pass a local path"):
        load_for_inference(None, base_model="meta-llama/Llama-2-7b-hf", device="cpu")


def test_missing_local_model_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="no such model directory"):
        load_tokenizer(tmp_path / "absent")
