from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from newsum.config import ArticleSource
from newsum.db.articles import MAX_BODY_BYTES, create_articles_table, import_articles
from newsum.errors import ImportRejected


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    return path


def _article(article_id: int, **fields: object) -> dict:
    return {
        "id": article_id,
        "title": f"Council approves budget {article_id}",
        "body": "The city council approved the budget on Monday. It grows by 4 percent.",
        "section": "politics",
        "language": "en",
        "published_at": "2026-03-01T09:00:00Z",
        **fields,
    }


def _count(engine: Engine) -> int:
    table = create_articles_table(engine, ArticleSource())
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_import_inserts_then_updates_jsonl(engine: Engine, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl", [_article(1), _article(2)])
    report = import_articles(engine, ArticleSource(), path)
    assert (report.inserted, report.updated, report.rejected) == (2, 0, [])

    _write_jsonl(path, [_article(2, title="Edited"), _article(3)])
    report = import_articles(engine, ArticleSource(), path)
    assert (report.inserted, report.updated) == (1, 1)
    assert _count(engine) == 3


def test_import_reads_csv(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        'id,title,body,section\n7,"Ponte reaberta","A ponte foi reaberta na terça, "'
        '"após três meses.",cidades\n'
    )
    report = import_articles(engine, ArticleSource(), path)
    assert report.inserted == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b'{"id": 1, "title": "x"}\n', "line 1: missing field(s): body"),
        (b'{"id": 1, "title": "x", "body": "y"}\n{"id": 2, "title": \n', "line 2: malformed JSON"),
        (b'{"id": 1, "title": "x", "body": "caf\xe9"}\n', "line 1: not valid UTF-8"),
        (
            b'{"id": "abc", "title": "x", "body": "y"}\n',
            "line 1: article id must be a positive integer, got 'abc'",
        ),
        (
            b'{"id": 5, "title": "x", "body": "y"}\n{"id": 5, "title": "z", "body": "w"}\n',
            "line 2: duplicate id 5 (first seen on line 1)",
        ),
    ],
)
def test_bad_files_are_rejected_whole_with_file_and_line(
    engine: Engine, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(ImportRejected) as error:
        import_articles(engine, ArticleSource(), path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)
    assert _count(engine) == 0


def test_a_huge_body_rejects_the_file_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "big.jsonl", [_article(1), _article(2, body="x" * (5 * 1024 * 1024))]
    )
    with pytest.raises(ImportRejected, match=r"line 2: body is 5,242,880 bytes"):
        import_articles(engine, ArticleSource(), path)
    assert _count(engine) == 0
    assert MAX_BODY_BYTES < 5 * 1024 * 1024


def test_skip_invalid_imports_the_rest_and_reports_lines(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(_article(1)) + "\nnot json\n" + json.dumps(_article(2)) + "\n")
    report = import_articles(engine, ArticleSource(), path, skip_invalid=True)
    assert report.inserted == 2
    assert [line for line, _ in report.rejected] == [2]


def test_missing_csv_columns_are_named(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,headline,text\n1,a,b\n")
    with pytest.raises(ImportRejected, match=r"line 1: missing column\(s\): title, body"):
        import_articles(engine, ArticleSource(), path)
