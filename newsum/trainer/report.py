"""How an evaluation is shown: fixed-width tables, and the report folder it writes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsum.trainer.evaluate import EvalReport, SystemScores


def _precision(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"  # "-": the summaries named none


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"  # "-": nothing to count


def format_table(title: str, systems: Sequence[SystemScores]) -> str:
    """One table, a row per system, under ``title``."""
    width = max([10, *(len(s.name) for s in systems)])
    head = (
        f"{'system':<{width}} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-Lsum':>10} {'entity P':>9}"
        f" {'number P':>9} {'pass':>6} {'facts':>6} {'invent':>6} {'pass>T':>7}"
        f" {'F held':>7} {'words':>6} {'copied':>7}"
    )
    rows = [
        f"{s.name:<{width}} {s.rouge1 * 100:8.2f} {s.rouge2 * 100:8.2f} {s.rougeLsum * 100:10.2f}"
        f" {_precision(s.entity_precision):>9} {_precision(s.number_precision):>9}"
        f" {s.passed * 100:5.1f}% {_share(s.fact_accuracy):>6} {_share(s.invented_words):>6}"
        f" {_share(s.passed_true):>7} {_share(s.false_held):>7}"
        f" {s.mean_words:6.1f} {s.copied_trigrams * 100:6.1f}%"
        for s in systems
    ]
    note = (
        "ROUGE F1 x 100; entity/number precision; pass = share a worker would publish;"
        " facts = share true by the fact record; invent = invented words; pass>T = of"
        " those passed, share true; F held = of the false, share held"
    )
    return "\n".join([f"{title} ({note})", head, *rows])



def write_report(report: EvalReport, out_dir: Path) -> Path:
    """Write ``eval.txt`` (the table), ``eval.json`` and ``examples.md`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "eval.txt").write_text(report.table() + "\n", encoding="utf-8")
    data = {"pairs": report.pairs, "metrics": report.metrics(), "outputs": report.outputs}
    (out_dir / "eval.json").write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    lines = ["# Side-by-side examples", ""]
    for example in report.examples:
        lines += [
            f"## {example.id}: {example.title}",
            "",
            f"**reference**: {example.reference}",
            "",
        ]
        lines += [f"**{name}**: {text or '(no output)'}" for name, text in example.outputs.items()]
        lines.append("")
    (out_dir / "examples.md").write_text("\n".join(lines), encoding="utf-8")
    return out_dir

