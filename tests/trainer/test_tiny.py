"""The tiny foundation model: Llama 2 token conventions, loadable by Auto classes, trained."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from newsum.sandbox.corpus import NewsItem

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_tokenizer_uses_llama2_special_token_ids_and_has_no_pad(tiny_model_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert (tokenizer.unk_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id) == (0, 1, 2)
    assert tokenizer.convert_ids_to_tokens([0, 1, 2]) == ["<unk>", "<s>", "</s>"]
    assert tokenizer.pad_token is None
    ids = tokenizer("Uma notícia")["input_ids"]
    assert ids[0] == 1 and ids[-1] != 2
    assert 1000 <= len(tokenizer) <= 4096


@pytest.mark.parametrize(
    "text",
    [
        "Em São Lourenço, a reitora inaugurou a usina nesta terça-feira.",
        "Ação, coração e opinião: “três mil” pessoas às 9h — Águas Claras.",
        "Rare letters still round-trip: Ærøskøbing, Łódź, 漢字 and ü.",
    ],
)
def test_tokenizer_round_trips_text_with_accents(tiny_model_dir: Path, text: str) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    ids = tokenizer(text)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == text


def test_portuguese_accented_words_are_single_tokens_not_bytes(tiny_model_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokens = tokenizer.tokenize("ação")
    assert not any(token.startswith("<0x") for token in tokens)


def test_tiny_model_loads_with_auto_classes_and_has_no_pad(tiny_model_dir: Path) -> None:
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert model.config.model_type == "llama"
    assert model.config.pad_token_id is None
    assert (model.config.bos_token_id, model.config.eos_token_id) == (1, 2)
    assert model.config.hidden_size % 64 == 0
    assert (tiny_model_dir / "model.safetensors").is_file()
    assert not list(tiny_model_dir.glob("*.bin"))


def test_tiny_model_continues_text_with_corpus_words(
    tiny_model_dir: Path, tiny_corpus: list[NewsItem]
) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    item = next(i for i in tiny_corpus if i.language == "pt-BR")
    prompt = item.body[:60]
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=30, do_sample=False)
    continuation = tokenizer.decode(output[0, inputs["input_ids"].shape[1]:],
                                    skip_special_tokens=True)
    corpus_words = {w for i in tiny_corpus for w in i.body.split()}
    words = continuation.split()
    assert len(words) >= 5
    assert sum(w in corpus_words for w in words) / len(words) > 0.5


def test_pretraining_lowered_the_loss_clearly(tiny_model_dir: Path) -> None:
    info = json.loads((tiny_model_dir / "build_info.json").read_text())
    assert info["losses"][0] == info["first_loss"]
    assert info["final_loss"] < 0.5 * info["first_loss"]
    assert info["parameters"] < 2_000_000


def test_tiny_model_scores_corpus_text_better_than_shuffled_text(
    tiny_model_dir: Path, tiny_corpus: list[NewsItem]
) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    ids = tokenizer(tiny_corpus[0].body, return_tensors="pt")["input_ids"]
    shuffled = torch.cat([ids[:, :1], ids[:, 1:][:, torch.randperm(ids.shape[1] - 1,
                          generator=torch.Generator().manual_seed(0))]], dim=1)
    with torch.no_grad():
        real = model(input_ids=ids, labels=ids).loss.item()
        noise = model(input_ids=shuffled, labels=shuffled).loss.item()
    assert real < noise - 1.0


def test_build_tiny_cli_writes_a_loadable_model(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    result = subprocess.run(
        [sys.executable, "-m", "newsum", "model", "build-tiny", "--out", str(out),
         "--articles", "40", "--steps", "4"],
        capture_output=True, text=True, env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin",
                                             "OMP_NUM_THREADS": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "parameters" in result.stdout
    assert AutoTokenizer.from_pretrained(out).bos_token_id == 1
    assert AutoModelForCausalLM.from_pretrained(out).config.num_hidden_layers >= 2
