"""The ``newsum`` command as a user runs it: a real process, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from newsum.db.migrate import head_revision

ROOT = Path(__file__).resolve().parents[1]


def run_newsum(*args: str, cwd: Path, env: dict[str, str] | None = None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")}
    environment.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "newsum", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_default_setup_migrates_an_embedded_sqlite_newsroom(tmp_path: Path) -> None:
    result = run_newsum("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "newsum.db").is_file()
    assert "database at revision" in result.stdout
    current = run_newsum("db", "current", cwd=tmp_path)
    assert current.stdout.startswith(f"current: {head_revision()} (head: {head_revision()})")


def test_import_then_status_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    env = {"NEWSUM_DATABASE_URL": postgres_url}
    assert run_newsum("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": 1, "title": "T", "body": "Some news."}) + "\n")
    result = run_newsum("articles", "import", str(path), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "inserted 1, updated 0, rejected 0" in result.stdout
    status = run_newsum("status", cwd=tmp_path, env=env)
    assert status.returncode == 0, status.stderr
    assert "no summaries yet" in status.stdout


def test_bad_import_is_one_line_and_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "title": "x", "body": "ok"}\n{oops\n')
    result = run_newsum("articles", "import", str(path), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "bad.jsonl: 1 invalid line(s), nothing imported: line 2: malformed JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    env = {"NEWSUM_DATABASE_URL": "postgresql+psycopg://newsum:s3cret@127.0.0.1:9/newsroom"}
    result = run_newsum("db", "upgrade", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach the database at")
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_config_prints_effective_settings_with_secrets_masked(tmp_path: Path) -> None:
    (tmp_path / "newsum.toml").write_text('queue_name = "from-file"\nbatch_size = 4\n')
    env = {
        "NEWSUM_BATCH_SIZE": "32",
        "NEWSUM_API_TOKEN": "tok-123-a-cms-token-long-enough-for-newsum",
        "NEWSUM_DATABASE_URL": "postgresql+psycopg://newsum:pw-456@db/newsroom",
        "NEWSUM_ARTICLES__BODY_COLUMN": "story_text",
    }
    result = run_newsum("config", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["queue_name"] == "from-file"
    assert shown["batch_size"] == 32  # the environment wins over the file
    assert shown["articles"]["body_column"] == "story_text"
    assert "tok-123" not in result.stdout and "pw-456" not in result.stdout
    assert shown["api_token"] == "**********"


def test_settings_that_contradict_each_other_stop_every_command_with_one_line(
    tmp_path: Path,
) -> None:
    cases = {
        # A batch may run 1200 s, but Redis would hand its messages out again after 600 s.
        "NEWSUM_VISIBILITY_TIMEOUT_S": ("600", "visibility_timeout_s (600) must exceed"),
        "NEWSUM_TASK_SOFT_TIME_LIMIT_S": ("1500", "must be below task_time_limit_s (1200)"),
        "NEWSUM_QUEUE_HIGH_WATER": ("8", "queue_high_water (8) must hold at least one batch"),
        "NEWSUM_BATCH_SIZE": ("0", "batch_size: Input should be greater than 0"),
    }
    for name, (value, expected) in cases.items():
        for command in (["status"], ["worker"], ["config"]):
            result = run_newsum(*command, cwd=tmp_path, env={name: value})
            assert result.returncode == 1, (name, command, result.stdout)
            assert result.stderr.startswith("error: invalid settings: "), result.stderr
            assert expected in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_hub_token_setting_reaches_the_hub_library_of_every_command(tmp_path: Path) -> None:
    env = {"NEWSUM_HF_TOKEN": "hf-secret-1", "NEWSUM_DATABASE_URL": f"sqlite:///{tmp_path}/n.db"}
    # `newsum config` runs the root callback like every command; the token stays masked.
    result = run_newsum("config", cwd=tmp_path, env=env)
    assert result.returncode == 0 and "hf-secret-1" not in result.stdout
    from typer.testing import CliRunner

    from newsum.cli import app

    seen = {}

    @app.command("probe-hub-token", hidden=True)
    def probe() -> None:
        seen["token"] = os.environ.get("HF_TOKEN")

    os.environ.pop("HF_TOKEN", None)
    try:
        outcome = CliRunner().invoke(app, ["probe-hub-token"], env=env)
        assert outcome.exit_code == 0, outcome.output
        assert seen["token"] == "hf-secret-1"
    finally:
        os.environ.pop("HF_TOKEN", None)


def test_a_misspelt_key_in_the_settings_file_stops_every_command_naming_the_key(
    tmp_path: Path,
) -> None:
    (tmp_path / "newsum.toml").write_text('databse_url = "sqlite:///elsewhere.db"\n')
    for command in (["status"], ["config"], ["worker"]):
        result = run_newsum(*command, cwd=tmp_path)
        assert result.returncode == 1, (command, result.stdout)
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert "unknown key(s) databse_url" in result.stderr
