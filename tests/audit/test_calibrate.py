"""``newsum faithfulness calibrate``: from a labelled file and from the editors' audit trail,
with the tiny classifier, to the record every worker reads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from harness.newsroom import add_version, hold_for_review, insert_articles
from newsum.audit.calibrate import CalibrationRequest, run_calibration, score_labels
from newsum.audit.records import read_summaries
from newsum.audit.reviews import edit_changed_a_fact, labels_from_reviews
from newsum.config import Settings
from newsum.db.calibration import CalibrationResult, record_calibration, threshold_in_force
from newsum.db.editors import add_editor
from newsum.db.engine import make_engine, transaction
from newsum.db.migrate import upgrade
from newsum.db.models import Editor, FaithfulnessCalibration, ReviewAction, articles_table
from newsum.db.review import ReviewChange, apply_review, lock_summary
from newsum.errors import CalibrationUnreachable, SettingsInvalid
from newsum.modeling.faithfulness.entailment import load_entailment_model
from tests.audit.stories import BUDGET, CASES, HARBOUR, LIBRARY, STORM
from tests.audit.test_check import run_newsum


def labelled_rows() -> list[dict]:
    """Per article: its own sentences and a supported summary (faithful), and the other
    stories' summaries (unfaithful to it)."""
    rows = []
    for n, (article, supported, _) in enumerate(CASES):
        faithful = [supported, article.split(". ")[0] + "."]
        unfaithful = [other for m, (_, other, _) in enumerate(CASES) if m != n]
        rows += [{"id": f"{n}-t{i}", "article": article, "summary": s, "label": "faithful"}
                 for i, s in enumerate(faithful)]
        rows += [{"id": f"{n}-f{i}", "article": article, "summary": s, "label": "unfaithful"}
                 for i, s in enumerate(unfaithful)]
    return rows


def calibrations(engine: Engine) -> list[FaithfulnessCalibration]:
    with transaction(engine) as session:
        return list(session.scalars(select(FaithfulnessCalibration)))


def test_a_threshold_from_a_labelled_file_is_recorded_for_the_workers(
    tmp_path: Path, tiny_classifier_dir: Path
) -> None:
    rows = labelled_rows()
    data = tmp_path / "labelled.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    url = f"sqlite:///{tmp_path / 'newsroom.db'}"
    engine = make_engine(url)
    upgrade(engine)
    model = str(tiny_classifier_dir)
    env = {"NEWSUM_DATABASE_URL": url, "NEWSUM_DEVICE": "cpu",
           "NEWSUM_DATA_DIR": str(tmp_path / "data")}
    result = run_newsum("faithfulness", "calibrate", "--data", str(data), "--model", model,
                        "--target-precision", "0.97", "--entailment-only", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "| threshold | published | faithful among published |" in result.stdout
    assert "(chosen)" in result.stdout and "recorded as calibration 1" in result.stdout
    assert (tmp_path / "data" / "faithfulness-calibration.png").stat().st_size > 1000

    [row] = calibrations(engine)
    assert (row.model, row.target_precision, row.with_rules) == (model, 0.97, False)
    assert row.source == f"file labelled.jsonl ({len(rows)} labelled)"
    assert row.fingerprint == hashlib.sha256(data.read_bytes()).hexdigest()
    assert (row.labelled, row.faithful) == (len(rows), sum(r["label"] == "faithful" for r in rows))
    assert row.precision >= 0.97 and row.published > 0 and row.curve
    # Nothing unfaithful is published at the threshold, and it is as low as that allows:
    # the best-scoring summary below it is an unfaithful one.
    labels = score_labels(read_summaries(data, labelled=True),
                          load_entailment_model(model, device="cpu"), with_rules=False)
    assert all(x.faithful for x in labels if x.score >= row.threshold)
    below = max((x for x in labels if x.score < row.threshold), key=lambda x: x.score)
    assert not below.faithful
    # What workers read when they build their checker; an explicit setting wins.
    with transaction(engine) as session:
        in_force = threshold_in_force(session, model, None)
        assert in_force.value == row.threshold and "calibration 1" in in_force.source
        assert "labelled.jsonl" in in_force.source
        assert threshold_in_force(session, model, 0.3).value == 0.3
        assert threshold_in_force(session, "another/model", None).value == 0.5
    engine.dispose()


def test_an_unreachable_target_shows_the_curve_and_records_nothing(
    tmp_path: Path, tiny_classifier_dir: Path, settings_for, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each faithful summary has a twin labelled unfaithful (annotators disagreeing): at
    # any threshold at most half of what is published is faithful.
    rows = labelled_rows()
    rows += [{**r, "id": f"{r['id']}-twin", "label": "unfaithful"}
             for r in rows if r["label"] == "faithful"]
    data = tmp_path / "labelled.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    url = f"sqlite:///{tmp_path / 'newsroom.db'}"
    engine = make_engine(url)
    upgrade(engine)
    request = CalibrationRequest(data=data, from_reviews=False, target_precision=0.97,
                                 model_name=str(tiny_classifier_dir), with_rules=False,
                                 plot=tmp_path / "curve.png")
    with pytest.raises(CalibrationUnreachable, match="no threshold reaches 0.970"):
        run_calibration(request, settings_for(url, device="cpu"))
    assert "| threshold | published |" in capsys.readouterr().out
    assert (tmp_path / "curve.png").is_file()
    assert calibrations(engine) == []
    engine.dispose()


def review(engine: Engine, article_id: int, version_id: int, action: ReviewAction,
           text: str | None = None) -> None:
    """One editor action through the audit trail's own data functions."""
    with transaction(engine) as session:
        editor = session.scalars(select(Editor)).one()
        summary = lock_summary(session, article_id, version_id)
        apply_review(session, summary, ReviewChange(action=action, editor=editor, text=text,
                                                    findings=[]))


@pytest.fixture
def reviewed_newsroom(engine: Engine, settings_for) -> Settings:  # type: ignore[no-untyped-def]
    """A newsroom where an editor approved, rejected and edited summaries (both dialects)."""
    settings = settings_for(engine.url.render_as_string(hide_password=False), device="cpu")
    version = add_version(engine)
    insert_articles(engine, settings, [
        {"id": i, "title": "", "body": body}
        for i, body in enumerate([HARBOUR, STORM, LIBRARY, BUDGET, STORM, LIBRARY, HARBOUR], 1)
    ])
    hold_for_review(engine, settings, version, {
        1: ("The ferry was delayed by the tide at the harbour.", []),
        2: ("The council approved a budget that raises spending on parks.", []),
        3: ("The school library lent eight hundred books to pupils during the winter term.", []),
        4: ("The council approved a budget that raises spending on parks.", []),
        5: ("Heavy rain flooded the valley and closed the road.", []),
        6: ("The ferry left the harbour at dawn with passengers aboard.", []),
        7: ("The ferry left the harbour at dawn.", []),
    })
    with transaction(engine) as session:
        add_editor(session, "ana", "not-a-real-hash")
    review(engine, 1, version, ReviewAction.APPROVE)
    review(engine, 2, version, ReviewAction.REJECT)
    review(engine, 3, version, ReviewAction.EDIT,
           "The school library lent five hundred books to pupils during the winter term.")
    review(engine, 4, version, ReviewAction.EDIT,
           "The council approved a budget raising spending on parks.")
    review(engine, 5, version, ReviewAction.APPROVE)
    review(engine, 5, version, ReviewAction.EDIT,  # wording only: the approval stands
           "Heavy rain flooded the valley and closed the coastal road.")
    review(engine, 6, version, ReviewAction.APPROVE)
    review(engine, 6, version, ReviewAction.REJECT)  # the editor's last word counts
    review(engine, 7, version, ReviewAction.APPROVE)
    with engine.begin() as connection:  # the CMS deletes an article
        table = articles_table(settings.articles)
        connection.execute(table.delete().where(table.c.id == 7))
    return settings


def test_editors_decisions_become_labels(engine: Engine, reviewed_newsroom: Settings) -> None:
    labels = labels_from_reviews(engine, reviewed_newsroom)
    by_summary = {item.summary: item.faithful for item in labels.items}
    assert by_summary == {
        "The ferry was delayed by the tide at the harbour.": True,
        "The council approved a budget that raises spending on parks.": False,  # rejected
        "The school library lent eight hundred books to pupils during the winter term.": False,
        "Heavy rain flooded the valley and closed the road.": True,
        "The ferry left the harbour at dawn with passengers aboard.": False,
    }
    assert (labels.wording_edits, labels.deleted_articles) == (2, 1)
    assert "2 wording-only edits left out" in labels.source


def test_an_edit_is_about_a_fact_when_the_new_text_no_longer_supports_the_old() -> None:
    assert edit_changed_a_fact("Mayor Ana Lima opened 3 schools.", "The mayor opened schools.")
    assert edit_changed_a_fact("The storm hit on Friday.", "The storm hit on Monday.")
    assert not edit_changed_a_fact("Ana Lima opened 3 new schools on Friday.",
                                   "On Friday, Ana Lima opened 3 schools, all of them new.")


def test_a_threshold_from_the_audit_trail_is_recorded(
    engine: Engine, reviewed_newsroom: Settings, tiny_classifier_dir: Path, tmp_path: Path
) -> None:
    model = str(tiny_classifier_dir)
    request = CalibrationRequest(data=None, from_reviews=True, target_precision=0.97,
                                 model_name=model, with_rules=True, plot=tmp_path / "c.png")
    record_id = run_calibration(request, reviewed_newsroom, echo=lambda line: None)
    [row] = calibrations(engine)
    assert row.id == record_id
    assert (row.labelled, row.faithful) == (5, 2)
    assert row.source.startswith("editors' reviews (records ")
    assert row.precision == 1.0 and row.published == pytest.approx(2 / 5)
    with transaction(engine) as session:
        assert threshold_in_force(session, model, None).value == row.threshold


def test_the_latest_calibration_of_the_served_model_is_in_force(engine: Engine) -> None:
    def result(model: str, threshold: float) -> CalibrationResult:
        return CalibrationResult(model=model, threshold=threshold, target_precision=0.97,
                                 precision=0.98, published=0.5, with_rules=True,
                                 source="file x.jsonl (10 labelled)", fingerprint="0" * 64,
                                 labelled=10, faithful=6)

    with transaction(engine) as session:
        assert threshold_in_force(session, "nli", None).source.startswith("default")
        record_calibration(session, result("nli", 0.4))
        record_calibration(session, result("other", 0.9))
        record_calibration(session, result("nli", 0.6))
    with transaction(engine) as session:
        assert threshold_in_force(session, "nli", None).value == 0.6
        assert threshold_in_force(session, "other", None).value == 0.9
        assert threshold_in_force(session, "nli", 0.2).value == 0.2


def test_without_a_database_nothing_is_scored_unless_asked_not_to_save(
    tmp_path: Path, tiny_classifier_dir: Path, settings_for  # type: ignore[no-untyped-def]
) -> None:
    data = tmp_path / "labelled.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in labelled_rows()))
    settings = settings_for(f"sqlite:///{tmp_path / 'absent.db'}", device="cpu")
    request = CalibrationRequest(data=data, from_reviews=False, target_precision=0.9,
                                 model_name=str(tiny_classifier_dir), with_rules=False,
                                 plot=tmp_path / "c.png")
    with pytest.raises(SettingsInvalid, match="run newsum db upgrade, or pass --no-save"):
        run_calibration(request, settings)
    assert run_calibration(replace(request, save=False), settings, echo=lambda _: None) is None
    assert not (tmp_path / "absent.db").exists() and (tmp_path / "c.png").is_file()
