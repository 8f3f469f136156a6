"""``newsum faithfulness check``: the file formats, the checkers, and what a bad line does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsum.audit.check import (
    CheckerKind,
    ConfiguredChecker,
    check_summaries,
    configured_checker,
    run_check,
)
from newsum.audit.records import read_summaries, write_json_lines
from newsum.config import Settings
from newsum.errors import AuditDataInvalid, SettingsInvalid
from newsum.modeling.faithfulness import RuleChecker
from tests.audit.stories import CASES, HARBOUR

ROOT = Path(__file__).resolve().parents[2]


def run_newsum(*args: str, cwd: Path, env: dict[str, str] | None = None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")}
    environment.update({"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **(env or {})})
    return subprocess.run([sys.executable, "-m", "newsum", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=300)


def write_lines(path: Path, records: list[dict | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_summary_gets_one_verdict_line_in_order(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "in.jsonl", [
        {"id": "a", "article": HARBOUR, "summary": "The ferry was delayed by the tide.",
         "model": "ignored"},
        {"id": 7, "title": "Harbour", "body": HARBOUR, "language": "en",
         "summary": "The ferry left Lisbon with ninety passengers."},
    ])
    report = run_check(data, tmp_path / "out" / "verdicts.jsonl",
                       ConfiguredChecker(RuleChecker(), "rules"), progress=False)
    assert (report.checked, report.passed) == (2, 1)
    first, second = read_lines(tmp_path / "out" / "verdicts.jsonl")
    assert first == {"id": "a", "passed": True, "findings": []}
    assert second["id"] == 7 and second["passed"] is False
    assert {"kind": "unsupported_name", "value": "Lisbon", "evidence": ""} in second["findings"]
    assert "score" not in second  # the rules give no score


@pytest.mark.parametrize(("line", "problem"), [
    ('{"id": "x", "article": "Text."', "line 2: malformed JSON"),
    ('["a list"]', "line 2: each line must be a JSON object"),
    ('{"id": "x", "article": "Text."}', "line 2: needs 'summary'"),
    ('{"id": "x", "summary": "S."}', "line 2: needs 'article' (or 'title' and 'body')"),
    ('{"id": true, "article": "A.", "summary": "S."}', "line 2: 'id' must be"),
    ('{"id": "x", "article": 5, "summary": "S."}', "line 2: 'article' must be a string"),
    ('{"id": "first", "article": "A.", "summary": "S."}', "line 2: id 'first' is already on"
                                                           " line 1"),
])
def test_a_malformed_line_is_named(tmp_path: Path, line: str, problem: str) -> None:
    data = write_lines(tmp_path / "in.jsonl",
                       [{"id": "first", "article": "A.", "summary": "S."}, line])
    with pytest.raises(AuditDataInvalid, match=re.escape(f"in.jsonl: {problem}")):
        read_summaries(data)


def test_labels_are_read_only_for_calibration(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "in.jsonl", [{"id": 1, "article": "A.", "summary": "S."}])
    assert read_summaries(data)[0].faithful is None
    with pytest.raises(AuditDataInvalid, match="'label' must be one of faithful, unfaithful"):
        read_summaries(data, labelled=True)


def test_a_bad_line_is_one_error_line_and_leaves_the_output_untouched(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "in.jsonl", [
        {"id": 1, "article": HARBOUR, "summary": "The ferry was delayed."}, "{oops",
        {"id": 3, "summary": "no article"},
    ])
    out = tmp_path / "verdicts.jsonl"
    out.write_text("the previous run\n")
    result = run_newsum("faithfulness", "check", "--data", str(data), "--out", str(out),
                        cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "in.jsonl: line 2: malformed JSON" in result.stderr
    assert "(and 1 more malformed lines); nothing was checked" in result.stderr
    assert out.read_text() == "the previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "verdicts.jsonl"]


def test_a_write_that_fails_part_way_leaves_no_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "verdicts.jsonl"
    out.write_text("before\n")

    def records():
        yield {"id": 1}
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_json_lines(out, records())
    assert out.read_text() == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["verdicts.jsonl"]


def test_the_progress_bar_shows_only_when_asked_or_on_a_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    items = read_summaries(write_lines(tmp_path / "in.jsonl", [
        {"id": i, "article": HARBOUR, "summary": "The ferry was delayed."} for i in range(3)
    ]))
    check_summaries(RuleChecker(), items)  # stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""
    check_summaries(RuleChecker(), items, progress=True)
    assert "3/3" in capsys.readouterr().err


def test_the_entailment_checker_needs_a_model() -> None:
    with pytest.raises(SettingsInvalid, match="NEWSUM_FAITHFULNESS_MODEL"):
        configured_checker(Settings(), kind=CheckerKind.ENTAILMENT)
    assert configured_checker(Settings()).description == "rules"


def test_with_a_model_verdicts_carry_scores_and_evidence(
    tmp_path: Path, tiny_classifier_dir: Path
) -> None:
    records = []
    for n, (article, supported, unsupported) in enumerate(CASES):
        records += [{"id": f"{n}-true", "article": article, "summary": supported},
                    {"id": f"{n}-false", "article": article, "summary": unsupported}]
    data = write_lines(tmp_path / "in.jsonl", records)
    out = tmp_path / "verdicts.jsonl"
    env = {"NEWSUM_FAITHFULNESS_MODEL": str(tiny_classifier_dir), "NEWSUM_DEVICE": "cpu"}
    result = run_newsum("faithfulness", "check", "--data", str(data), "--out", str(out),
                        cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "checker: rules + entailment" in result.stdout
    assert "threshold 0.5: default; no database" in result.stdout
    assert not (tmp_path / "newsum.db").exists()  # looking for a calibration created nothing
    verdicts = {v["id"]: v for v in read_lines(out)}
    assert all(isinstance(v["score"], float) for v in verdicts.values())
    for n, (article, _, unsupported) in enumerate(CASES):
        held = verdicts[f"{n}-false"]
        assert not held["passed"]
        [finding] = [f for f in held["findings"] if f["kind"] == "not_entailed"]
        assert finding["value"] == unsupported and finding["evidence"] in article
        assert verdicts[f"{n}-true"]["score"] > 0.5 > held["score"]
    # The rules alone, asked for explicitly, on the same file: no scores.
    rules = run_newsum("faithfulness", "check", "--data", str(data), "--out", str(out),
                       "--checker", "rules", cwd=tmp_path, env=env)
    assert rules.returncode == 0, rules.stderr
    assert all("score" not in v for v in read_lines(out))
