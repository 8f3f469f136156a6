"""Scoring pieces of the evaluation: lead-3, copy rate, ROUGE, and the eval command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsum.trainer.data import Pair
from newsum.trainer.evaluate import copied_trigrams, lead3, score_system, sentences

REPO = Path(__file__).resolve().parents[2]
ARTICLE = "First fact here. Second fact there! Third one? Fourth is background. Fifth."


def test_lead3_keeps_the_first_three_sentences() -> None:
    assert lead3(ARTICLE) == "First fact here. Second fact there! Third one?"
    assert sentences("One. Two.") == ["One.", "Two."]


def test_copy_rate_counts_summary_trigrams_found_in_the_article() -> None:
    assert copied_trigrams("first fact here", ARTICLE) == 1.0
    assert copied_trigrams("first fact here and nothing else", ARTICLE) == 0.25
    assert copied_trigrams("two words", ARTICLE) == 0.0


def test_rouge_is_perfect_for_the_reference_and_low_for_unrelated_text() -> None:
    pairs = [Pair("1", "t", ARTICLE, "The mayor resigned on Monday. A vote follows.")]

    perfect = score_system("ref", [pairs[0].summary], pairs)
    unrelated = score_system("x", ["Rain is expected tomorrow."], pairs)

    assert perfect.rouge1 == perfect.rouge2 == perfect.rougeLsum == 1.0
    assert unrelated.rougeLsum < 0.2
    assert perfect.mean_words == 8


@pytest.mark.slow
def test_eval_command_prints_three_systems_and_writes_its_report(
    trained_adapter_dir: Path, prepared_data_dir: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    env["NEWSUM_CONFIG_FILE"] = str(tmp_path / "absent.toml")
    command = [
        sys.executable, "-m", "newsum", "eval", str(trained_adapter_dir),
        "--data-dir", str(prepared_data_dir), "--max-articles", "4", "--device", "cpu",
        "--out", str(tmp_path / "report"),
    ]  # fmt: skip

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split()[0] for line in done.stdout.splitlines()]
    assert {"lead-3", "base", "adapter"} <= set(rows)
    report = json.loads((tmp_path / "report" / "eval.json").read_text(encoding="utf-8"))
    assert report["pairs"] == 4
    assert set(report["metrics"]) == {"lead-3", "base", "adapter"}
    assert (tmp_path / "report" / "examples.md").is_file()
    assert "ROUGE-Lsum" in (tmp_path / "report" / "eval.txt").read_text(encoding="utf-8")


def test_fact_accuracy_and_the_checks_quality_come_from_the_fact_records() -> None:
    from newsum.sandbox.corpus import fact_record, generate_corpus

    items = generate_corpus(4, seed=9)
    pairs = [Pair(str(i.id), i.title, i.body, i.summary, i.language, facts=fact_record(i.facts))
             for i in items]
    # Two references (true), one with the other person put in (false, the check passes
    # it: the words are all the article's) and one with an invented word (false, held).
    swapped = items[2].summary.replace(items[2].facts.name, items[2].facts.other_name)
    invented = items[3].summary.replace(items[3].facts.event.what.split()[0], "blorped")
    scores = score_system("x", [pairs[0].summary, pairs[1].summary, swapped, invented], pairs,
                          passed=[True, True, True, False])

    assert (scores.judged, scores.fact_accuracy) == (4, 0.5)
    assert scores.passed == 0.75 and scores.passed_true == round(2 / 3, 4)
    assert scores.false_held == 0.5
    assert 0 < scores.invented_words < 0.1
    unjudged = score_system("x", ["Anything."], [Pair("1", "t", ARTICLE, "Ref.")])
    assert unjudged.fact_accuracy is None and unjudged.judged == 0
