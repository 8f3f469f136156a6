"""Faithfulness benchmark: the check on human-labelled real news summaries, per checker.

Runs ``newsum faithfulness check``'s own code (reading the file, the checkers, batched
checking) over labelled files such as ``../shared/faithfulness/*.jsonl`` (CNN/Daily Mail
and XSum articles with BART/PEGASUS summaries judged by annotators), for each checker
there is: the rules always; the entailment model and rules + entailment when a model is
given. Per origin it prints, side by side: the share of false summaries held, of true
summaries passed, balanced accuracy, faithful among published, and share published;
then the finding kinds behind false alarms (true summaries held) and the annotators'
error types of the false summaries that got through.

Usage (from the repository root):
    PYTHONPATH=. .venv/bin/python -m bench.bench_faithfulness \\
        --data ../shared/faithfulness/cliff-dev.jsonl \\
        --data ../shared/faithfulness/xsumfaith-dev.jsonl
    ... --entailment-model MoritzLaurer/DeBERTa-v3-large-mnli-fever-anli-ling-wanli
    ... --tiny-entailment .newsum/bench/tiny-classifier   # the code path, offline
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsum.audit.check import CheckerKind, build_checker, check_summaries
from newsum.audit.records import SummaryItem, read_summaries
from newsum.config import get_settings
from newsum.modeling.faithfulness.combined import merge
from newsum.modeling.faithfulness.entailment import DEFAULT_THRESHOLD, load_entailment_model
from newsum.modeling.faithfulness.verdict import Verdict
from newsum.record_files import json_lines, read_utf8

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "faithfulness"
DEFAULT_DATA = [SHARED / "cliff-dev.jsonl", SHARED / "xsumfaith-dev.jsonl"]
ORIGINS = {"cnndm": "CNN/DM", "xsum": "XSum"}
MIN_CLASS = 10  # fewer summaries of a kind than this: its share is not shown
XSUM_NOTE = (
    "XSum's summaries were written to add context the article lacks; under newsum's"
    " contract (publish only what the article supports) holding a summary that names what"
    " its article does not is right, even where annotators labelled it faithful: part of"
    " the 'false alarms' on XSum are such holds."
)


@dataclass
class Group:
    """The labelled summaries of one origin in one file, and each checker's verdicts."""

    name: str
    items: list[SummaryItem] = field(default_factory=list)
    error_types: list[list[str]] = field(default_factory=list)
    verdicts: dict[str, list[Verdict]] = field(default_factory=dict)


def load_groups(paths: list[Path]) -> list[Group]:
    """Each file's summaries (through the check's own reader) grouped by origin."""
    groups: dict[str, Group] = {}
    for path in paths:
        items = read_summaries(path, labelled=True)
        records = [r for _, r in json_lines(read_utf8(path)) if isinstance(r, dict)]
        family = "XSumFaith" if "xsumfaith" in path.name else None
        for item, record in zip(items, records, strict=True):
            origin = str(record.get("origin", "?"))
            name = f"{family or ORIGINS.get(origin, origin)} ({path.stem})"
            group = groups.setdefault(name, Group(name))
            group.items.append(item)
            group.error_types.append(list(record.get("error_types") or []))
    return sorted(groups.values(), key=lambda g: g.name)


def share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole >= MIN_CLASS else "-"


def figures_row(group: Group, checker: str) -> str:
    """One table row: the five figures of one checker on one group."""
    verdicts = group.verdicts[checker]
    true = [v for i, v in zip(group.items, verdicts, strict=True) if i.faithful]
    false = [v for i, v in zip(group.items, verdicts, strict=True) if not i.faithful]
    held_false = sum(not v.passed for v in false)
    passed_true = sum(v.passed for v in true)
    published = passed_true + (len(false) - held_false)
    balanced = (
        f"{(held_false / len(false) + passed_true / len(true)) / 2:.2f}"
        if len(true) >= MIN_CLASS and len(false) >= MIN_CLASS else "-"
    )
    precision = f"{passed_true / published:.2f}" if published and len(true) >= MIN_CLASS else "-"
    return (f"| {group.name} | {checker} | {len(true)}/{len(false)} |"
            f" {share(held_false, len(false))} | {share(passed_true, len(true))} | {balanced} |"
            f" {precision} | {share(published, len(group.items)) if true else '-'} |")


def false_alarms(group: Group, checker: str, top: int = 6) -> str:
    kinds = Counter(
        str(f.kind) for item, v in zip(group.items, group.verdicts[checker], strict=True)
        if item.faithful for f in v.findings
    )
    return ", ".join(f"{k} {n}" for k, n in kinds.most_common(top)) or "none"


def misses(group: Group, checker: str, top: int = 6) -> str:
    missed = [types for item, v, types in zip(group.items, group.verdicts[checker],
                                              group.error_types, strict=True)
              if not item.faithful and v.passed]
    counts = Counter(t for types in missed for t in types)
    listed = ", ".join(f"{k} {n}" for k, n in counts.most_common(top)) or "none"
    return f"{len(missed)} published: {listed}"


def run_checkers(groups: list[Group], model_name: str | None, threshold: float) -> list[str]:
    """Every checker over every group; returns the checkers' names, with their timings."""
    items = [item for group in groups for item in group.items]
    started = time.perf_counter()
    results = {"rules": check_summaries(build_checker(CheckerKind.RULES, None, 0.0), items)}
    timings = {"rules": time.perf_counter() - started}
    if model_name:
        settings = get_settings()
        model = load_entailment_model(model_name, device=settings.device)
        started = time.perf_counter()
        checker = build_checker(CheckerKind.ENTAILMENT, model, threshold,
                                batch_size=settings.faithfulness_batch_size)
        results["entailment"] = check_summaries(checker, items)
        timings["entailment"] = time.perf_counter() - started
        # What CombinedChecker does, from the two passes already made (no second scoring).
        results["rules+entailment"] = [
            merge([r, e]) for r, e in zip(results["rules"], results["entailment"], strict=True)
        ]
    start = 0
    for group in groups:
        for name, verdicts in results.items():
            group.verdicts[name] = verdicts[start : start + len(group.items)]
        start += len(group.items)
    return [f"{name} ({timings.get(name, 0):.1f} s)" if name in timings else name
            for name in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, action="append",
                        help="Labelled JSON lines (repeatable; default: the shared dev files).")
    parser.add_argument("--entailment-model", help="Hub id or local path of an NLI model"
                        " (default: NEWSUM_FAITHFULNESS_MODEL).")
    parser.add_argument("--tiny-entailment", type=Path, metavar="DIR",
                        help="Build (or reuse) the tests' tiny classifier in DIR and use it:"
                        " runs the entailment code path offline; its figures mean nothing.")
    parser.add_argument("--threshold", type=float, default=None,
                        help=f"Entailment threshold (default: the setting, else"
                        f" {DEFAULT_THRESHOLD}).")
    args = parser.parse_args()

    settings = get_settings()
    model_name = args.entailment_model or settings.faithfulness_model
    if args.tiny_entailment is not None:
        from harness.tiny_classifier import build_tiny_classifier

        if not (args.tiny_entailment / "config.json").is_file():
            build_tiny_classifier(args.tiny_entailment)
        model_name = str(args.tiny_entailment)
    threshold = args.threshold if args.threshold is not None else (
        settings.faithfulness_threshold if settings.faithfulness_threshold is not None
        else DEFAULT_THRESHOLD)
    groups = load_groups(args.data or DEFAULT_DATA)
    checkers = run_checkers(groups, model_name, threshold)

    print("Faithfulness check on human-labelled summaries: " + "; ".join(checkers))
    print("\n| data | checker | true/false | false held | true passed | balanced accuracy |"
          " faithful among published | published |")
    print("|---|---|---|---|---|---|---|---|")
    for group in groups:
        for name in group.verdicts:
            print(figures_row(group, name))
    print("\nFalse alarms (finding kinds on true summaries):")
    for group in groups:
        for name in group.verdicts:
            if any(item.faithful for item in group.items):
                print(f"  {group.name}, {name}: {false_alarms(group, name)}")
    print("\nMissed (error types of false summaries published):")
    for group in groups:
        for name in group.verdicts:
            print(f"  {group.name}, {name}: {misses(group, name)}")
    if not model_name:
        print("\nentailment, rules+entailment: not run, no model (pass --entailment-model"
              " ID_OR_PATH, set NEWSUM_FAITHFULNESS_MODEL, or --tiny-entailment DIR for the"
              " code path)")
    else:
        print(f"\nentailment model: {model_name}, threshold {threshold:g}")
    if args.tiny_entailment is not None:
        print("(the tests' tiny classifier: its rows show the code path, not how an NLI model"
              " does on real news)")
    print(f"\n{XSUM_NOTE}")
    print(f"'-': fewer than {MIN_CLASS} summaries of that kind in the group.")


if __name__ == "__main__":
    main()
