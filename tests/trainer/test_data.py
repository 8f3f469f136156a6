"""Training data: loading with a column mapping, cleaning with counts, hash-based splits."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsum.config import ArticleSource, Settings
from newsum.db.articles import import_articles
from newsum.db.engine import make_engine
from newsum.errors import DataInvalid, DataSourceUnavailable
from newsum.sandbox.corpus import NewsItem, fact_record, generate_corpus, write_articles_jsonl
from newsum.trainer.data import (
    SPLITS,
    Pair,
    SplitFractions,
    clean_pairs,
    clean_text,
    load_split,
    prepare,
    split_pairs,
)
from newsum.trainer.sources import (
    ColumnMapping,
    load_pairs_from_database,
    load_pairs_from_file,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CMS_MAPPING = ColumnMapping(article="body", summary="summary", id="id", title="title")


def newsroom_records(items: list[NewsItem]) -> list[dict[str, object]]:
    """The items as flat records; the fact record as JSON text, as a CSV cell holds it."""
    return [{"id": i.id, "title": i.title, "body": i.body, "summary": i.summary,
             "language": i.language, "facts": json.dumps(fact_record(i.facts).as_dict())}
            for i in items]


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsum", *args], cwd=cwd, capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": os.environ.get("PATH", "/usr/bin"),
             "NEWSUM_CONFIG_FILE": str(cwd / "absent.toml"), **env},
        timeout=300,
    )


def test_jsonl_csv_and_parquet_load_the_same_pairs_through_a_mapping(tmp_path: Path) -> None:
    items = generate_corpus(10, seed=11)
    records = newsroom_records(items)
    jsonl = write_articles_jsonl(items, tmp_path / "a.jsonl")
    with (tmp_path / "a.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "a.parquet")
    loaded = [load_pairs_from_file(tmp_path / name, CMS_MAPPING)
              for name in (jsonl.name, "a.csv", "a.parquet")]
    assert loaded[0] == loaded[1] == loaded[2]
    assert loaded[0][3] == Pair(id="4", title=items[3].title, article=items[3].body,
                                summary=items[3].summary, language=items[3].language,
                                facts=fact_record(items[3].facts))


def test_missing_id_column_gives_stable_ids_from_the_article_text(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl"
    path.write_text('{"article": "A long enough article.", "summary": "Short."}\n')
    first = load_pairs_from_file(path)
    assert first == load_pairs_from_file(path)
    assert len(first[0].id) == 16 and first[0].title == ""


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jsonl", b"  \n", "the file is empty"),
        ("empty.csv", b"", "the file is empty"),
        ("latin1.jsonl", b'{"article": "ok", "summary": "s"}\n{"article": "caf\xe9"}\n',
         "line 2: not valid UTF-8"),
        ("nocol.csv", b"id,body,summary\n1,text,sum\n", "missing column(s) article"),
        ("nocol.jsonl", b'{"article": "x", "summary": "y"}\n{"body": "x", "summary": "y"}\n',
         "line 2: missing field(s) article"),
        ("broken.jsonl", b'{"article": "x", "summary": "y"}\n{"article": \n', "line 2: malformed"),
        ("notes.txt", b"hello", "unknown file type"),
    ],
)
def test_bad_files_raise_an_error_naming_the_file_and_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataInvalid) as raised:
        load_pairs_from_file(path)
    assert f"{name}: " in str(raised.value) and message in str(raised.value)


def test_parquet_without_the_mapped_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": 1, "text": "x", "summary": "y"}]), path)
    with pytest.raises(DataInvalid, match=r"a.parquet: missing column\(s\) article"):
        load_pairs_from_file(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataInvalid, match="nowhere.csv: no such file"):
        load_pairs_from_file(tmp_path / "nowhere.csv")


def test_pairs_come_from_newsroom_articles_that_have_a_summary(
    database_url: str, tmp_path: Path
) -> None:
    items = generate_corpus(8, seed=12)
    path = write_articles_jsonl(items, tmp_path / "a.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    without_summary = json.loads(lines[2]) | {"summary": None}
    lines[2] = json.dumps(without_summary, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Settings(database_url=database_url,
                        articles=ArticleSource(summary_column="editor_summary"))
    engine = make_engine(database_url)
    import_articles(engine, settings.articles, path)
    engine.dispose()
    pairs = load_pairs_from_database(settings)
    assert [p.id for p in pairs] == [str(i.id) for i in items if i.id != 3]
    assert pairs[0] == Pair(id="1", title=items[0].title, article=items[0].body,
                            summary=items[0].summary, language=items[0].language)


def test_database_without_a_summary_column_setting_is_a_clear_error(sqlite_url: str) -> None:
    with pytest.raises(DataSourceUnavailable, match="summary_column"):
        load_pairs_from_database(Settings(database_url=sqlite_url))


def test_database_without_the_article_table_is_a_clear_error(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url,
                        articles=ArticleSource(summary_column="editor_summary"))
    with pytest.raises(DataSourceUnavailable, match="'articles' does not exist"):
        load_pairs_from_database(settings)


def test_clean_text_strips_html_and_entities_and_keeps_paragraphs() -> None:
    raw = ("<p>Prefeita&nbsp;de <b>São   Lourenço</b> &amp; vice</p><script>x=1</script>"
           "<p>\tSecond\n paragraph &eacute; here.</p>")
    assert clean_text(raw) == "Prefeita de São Lourenço & vice\n\nSecond\nparagraph é here."


def test_cleaning_drops_bad_pairs_and_counts_each_reason() -> None:
    article = "The council approved the budget on Monday after a long debate."
    pairs = [
        Pair("1", "t", article, "Budget approved."),
        Pair("2", "t", "<p>  </p>", "Nothing."),
        Pair("3", "t", article, "  "),
        Pair("4", "t", f"<i>{article}</i>", "Budget  approved."),  # same text once cleaned
        Pair("1", "t", "Another article entirely, long enough.", "Other."),
        Pair("5", "t", "Short.", "A summary longer than its article."),
        Pair("6", "t", "An article &amp; more text here.", "More text."),
    ]
    kept, report = clean_pairs(pairs)
    assert [p.id for p in kept] == ["1", "6"]
    assert kept[1].article == "An article & more text here."
    assert (report.total, report.kept, report.dropped) == (7, 2, 5)
    assert (report.empty, report.duplicate, report.duplicate_id,
            report.summary_not_shorter) == (2, 1, 1, 1)


def test_pairs_whose_reference_names_what_the_article_lacks_are_dropped_or_counted() -> None:
    article = (
        "The council of Riverton approved the budget on Monday. It adds 1,500 places in"
        " schools, the mayor Ana Costa said."
    )
    faithful = Pair("1", "Budget", article, "Riverton approved a budget that adds 1500 places.")
    invented = [
        Pair("2", "Budget", article, "Kingsbury approved a budget that adds 1500 places."),
        Pair("3", "Budget", article, "Riverton approved a budget that adds 2,500 places."),
        Pair("4", "Budget", article, "Riverton approved the budget on Friday."),
    ]
    kept, report = clean_pairs([faithful, *invented])
    assert [p.id for p in kept] == ["1"]
    assert (report.unsupported_reference, report.dropped) == (3, 3)

    kept, report = clean_pairs([faithful, *invented], drop_unsupported=False)
    assert [p.id for p in kept] == ["1", "2", "3", "4"]
    assert (report.unsupported_reference, report.dropped) == (3, 0)


def test_split_is_deterministic_and_no_article_is_in_two_splits() -> None:
    pairs = [Pair(str(i), "", f"article {i} text", "s") for i in range(2000)]
    fractions = SplitFractions(train=0.7, validation=0.2, test=0.1)
    first = split_pairs(pairs, fractions)
    assert first == split_pairs(list(reversed(pairs))[::-1], fractions)
    ids = [{p.id for p in first[name]} for name in SPLITS]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert sum(len(s) for s in ids) == 2000
    assert 1300 < len(ids[0]) < 1500 and 320 < len(ids[1]) < 480 and 130 < len(ids[2]) < 270
    # more data later never moves an article that was already placed
    grown = split_pairs(pairs + [Pair(str(i), "", "x y", "s") for i in range(2000, 2500)],
                        fractions)
    for name in SPLITS:
        assert {p.id for p in grown[name]} >= ids[SPLITS.index(name)]


def test_split_fractions_must_add_up_to_one() -> None:
    with pytest.raises(DataInvalid, match="add up to 1"):
        SplitFractions(train=0.8, validation=0.3, test=0.1)


def test_prepare_writes_splits_and_a_report_that_load_split_reads_back(tmp_path: Path) -> None:
    items = generate_corpus(200, seed=13)
    pairs = [Pair(str(i.id), i.title, i.body, i.summary) for i in items]
    pairs.append(pairs[0])
    prepared = prepare(pairs, tmp_path / "data", source="corpus", fractions=SplitFractions())
    report = json.loads((tmp_path / "data" / "data_report.json").read_text())
    assert report == asdict(prepared)
    assert report["cleaning"]["duplicate"] == 1 and report["cleaning"]["kept"] == 200
    loaded = {name: load_split(tmp_path / "data" / f"{name}.jsonl") for name in SPLITS}
    assert sum(len(v) for v in loaded.values()) == 200
    assert {name: len(v) for name, v in loaded.items()} == report["sizes"]
    assert sorted((p for v in loaded.values() for p in v), key=lambda p: int(p.id)) == pairs[:200]
    again = prepare(pairs, tmp_path / "again", source="corpus", fractions=SplitFractions())
    assert again.fingerprint == prepared.fingerprint


def test_load_split_names_the_line_of_a_malformed_record(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text('{"id": "1", "title": "", "article": "a", "summary": "s"}\n{"id": "2"}\n')
    with pytest.raises(DataInvalid, match="train.jsonl: line 2"):
        load_split(path)


def test_data_cli_prepares_a_mapped_file_and_reports_token_lengths(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    write_articles_jsonl(generate_corpus(60, seed=14), tmp_path / "cms.jsonl")
    prepared = run_cli("data", "prepare", "cms.jsonl", "--article-column", "body",
                       "--out", "data", "--train", "0.6", "--validation", "0.2",
                       "--test", "0.2", cwd=tmp_path)
    assert prepared.returncode == 0, prepared.stderr
    assert "read 60, dropped 0" in prepared.stdout
    assert len(load_split(tmp_path / "data" / "test.jsonl")) > 0
    report = run_cli("data", "report", "data", "--tokenizer", str(tiny_model_dir), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    rows = [line.split() for line in report.stdout.splitlines()[1:]]
    assert [row[0] for row in rows] == ["train", "train", "validation", "validation",
                                        "test", "test"]
    article_p50, summary_p50 = int(rows[0][3]), int(rows[1][3])
    assert article_p50 > 2 * summary_p50 > 0


def test_data_cli_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "cms.csv").write_text("id,body\n1,text\n")
    result = run_cli("data", "prepare", "cms.csv", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: cms.csv: missing column(s) article, summary (found: id, body);"
        " name the right ones with --article-column / --summary-column"
    ]


def test_hub_dataset_without_network_says_to_pass_a_local_file(tmp_path: Path) -> None:
    result = run_cli("data", "prepare", "cnn_dailymail", "--hf-config", "3.0.0",
                     "--summary-column", "highlights", cwd=tmp_path, HF_HUB_OFFLINE="1",
                     HF_HOME=str(tmp_path / "hf"))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot load dataset 'cnn_dailymail' from the Hugging Face hub")
    assert "pass a local JSONL, CSV or Parquet file" in last


def test_fact_records_travel_from_the_articles_file_into_the_prepared_splits(
    tmp_path: Path,
) -> None:
    items = generate_corpus(40, seed=3)
    pairs = load_pairs_from_file(write_articles_jsonl(items, tmp_path / "a.jsonl"), CMS_MAPPING)
    prepare(pairs, tmp_path / "data", source="corpus", fractions=SplitFractions())

    loaded = [pair for name in SPLITS for pair in load_split(tmp_path / "data" / f"{name}.jsonl")]
    by_id = {item.id: item for item in items}
    assert len(loaded) == 40
    assert all(pair.facts == fact_record(by_id[int(pair.id)].facts) for pair in loaded)


def test_real_data_without_fact_records_prepares_as_before(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps(
        {"id": 1, "body": "The council approved the budget on Monday. More follows.",
         "summary": "The council approved the budget."}) + "\n", encoding="utf-8")
    prepare(load_pairs_from_file(tmp_path / "a.jsonl", CMS_MAPPING), tmp_path / "data",
            source="real", fractions=SplitFractions(train=1.0, validation=0.0, test=0.0))

    line = json.loads((tmp_path / "data" / "train.jsonl").read_text(encoding="utf-8"))
    assert "facts" not in line
    assert load_split(tmp_path / "data" / "train.jsonl")[0].facts is None


def test_a_malformed_fact_record_names_its_file_and_record(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": 1, "body": "Text.", "summary": "S.",
                                "facts": {"person": "nobody"}}) + "\n", encoding="utf-8")
    with pytest.raises(DataInvalid, match=r"a\.jsonl: record 1: not a fact record"):
        load_pairs_from_file(path, CMS_MAPPING)
