"""Bad input to ``newsum train`` ends in one clear line and exit status 1, before any training."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _newsum(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    env["NEWSUM_CONFIG_FILE"] = str(cwd / "absent.toml")
    return subprocess.run(
        [sys.executable, "-m", "newsum", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr[-2000:]
    return errors[0]


def test_base_model_without_any_target_module_is_refused(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    done = _newsum(
        "train", "--base-model", str(tiny_model_dir), "--data-dir", str(tmp_path),
        "--output-dir", str(tmp_path / "out"), "--target-modules", "c_attn",
        cwd=tmp_path,
    )  # fmt: skip

    line = _one_line_error(done)
    assert "none of the LoRA target modules" in line
    assert "q_proj" in line  # names the layers the model does have


def test_resume_from_a_directory_that_is_not_a_checkpoint_is_refused(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "not-a-checkpoint").mkdir()
    done = _newsum(
        "train", "--base-model", str(tiny_model_dir), "--data-dir", str(tmp_path),
        "--output-dir", str(tmp_path / "out"), "--resume", str(tmp_path / "not-a-checkpoint"),
        cwd=tmp_path,
    )  # fmt: skip

    assert "is not a training checkpoint" in _one_line_error(done)
    assert not (tmp_path / "out").exists()


def test_hub_model_id_without_network_asks_for_a_local_path(tmp_path: Path) -> None:
    done = _newsum(
        "train", "--base-model", "meta-llama/Llama-2-7b-hf", "--data-dir", str(tmp_path),
        "--output-dir", str(tmp_path / "out"), cwd=tmp_path,
    )  # fmt: skip

    line = _one_line_error(done)
    assert "meta-llama/Llama-2-7b-hf" in line and "pass a local path" in line


def test_missing_training_split_is_reported(tiny_model_dir: Path, tmp_path: Path) -> None:
    done = _newsum(
        "train", "--base-model", str(tiny_model_dir), "--data-dir", str(tmp_path / "empty"),
        "--output-dir", str(tmp_path / "out"), cwd=tmp_path,
    )  # fmt: skip

    assert "newsum data prepare" in _one_line_error(done)


@pytest.mark.usefixtures("offline_hub")
def test_eval_of_a_directory_without_manifest_is_refused(tmp_path: Path) -> None:
    done = _newsum("eval", str(tmp_path), "--data-dir", str(tmp_path), cwd=tmp_path)

    assert "not a newsum adapter directory" in _one_line_error(done)
