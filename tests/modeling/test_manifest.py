"""The adapter manifest: round trip and clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsum.errors import ManifestError
from newsum.modeling.manifest import FORMAT_VERSION, AdapterManifest, GenerationParams
from newsum.modeling.prompt import PromptTemplate


def _manifest() -> AdapterManifest:
    return AdapterManifest(
        base_model="/models/tiny",
        base_model_fingerprint="abc123",
        prompt=PromptTemplate(version=2, template="T: {title}\nA: {article}\n"),
        max_input_tokens=300,
        max_summary_tokens=40,
        generation=GenerationParams(no_repeat_ngram_size=3),
        metrics={"adapter": {"rougeLsum": 0.41}},
        data_fingerprint="f00d",
    )


def test_manifest_round_trips_through_its_json_file(tmp_path: Path) -> None:
    manifest = _manifest()
    manifest.save(tmp_path)

    loaded = AdapterManifest.load(tmp_path)

    assert loaded == manifest
    assert loaded.format_version == FORMAT_VERSION
    assert loaded.max_new_tokens == 40
    assert {"torch", "transformers", "peft", "bitsandbytes"} <= set(loaded.library_versions)


def test_directory_without_manifest_is_refused_as_not_an_adapter(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not a newsum adapter directory"):
        AdapterManifest.load(tmp_path)


def test_manifest_that_is_not_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ManifestError, match="not valid JSON"):
        AdapterManifest.load(tmp_path)


def test_manifest_from_a_newer_format_is_refused_with_advice(tmp_path: Path) -> None:
    data = json.loads(_manifest().model_dump_json())
    data["format_version"] = FORMAT_VERSION + 1
    (tmp_path / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ManifestError, match="upgrade newsum"):
        AdapterManifest.load(tmp_path)


def test_manifest_with_a_bad_field_names_the_field(tmp_path: Path) -> None:
    data = json.loads(_manifest().model_dump_json())
    data["max_summary_tokens"] = "many"
    del data["base_model"]
    (tmp_path / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ManifestError, match="max_summary_tokens") as caught:
        AdapterManifest.load(tmp_path)
    assert "base_model" in str(caught.value)
