"""The entailment checker: chunks, labels, and the tiny classifier through from_pretrained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsum.errors import EntailmentModelInvalid, ModelNotFound
from newsum.modeling.faithfulness import ArticleText, Finding, FindingKind, RuleChecker, Verdict
from newsum.modeling.faithfulness.combined import CombinedChecker, check_batch
from newsum.modeling.faithfulness.entailment import (
    EntailmentChecker,
    EntailmentModel,
    article_chunks,
    entailment_label,
    load_entailment_model,
    split_sentences,
)

HARBOUR = ("The ferry left the harbour at dawn with sixty passengers aboard. Fishermen at the"
           " harbour said the ferry was delayed by the tide.")
STORM = ("Heavy rain flooded the valley and closed the coastal road. The storm brought down"
         " power lines across the valley.")
BUDGET = ("The council approved a budget that raises spending on parks. The mayor signed the"
          " budget and promised more funds for parks.")
ARTICLE = ArticleText("", "\n".join([HARBOUR, STORM, BUDGET]), "en")
FROM_THE_HARBOUR = "Crews unloaded nets and crates from the ferry on the quay."
FROM_THE_STORM = "Forecasters warned of strong winds over the valley tonight."
NOT_IN_THE_ARTICLE = "Nurses at the hospital treated twelve patients in the heart unit."


@pytest.fixture(scope="module")
def classifier(tiny_classifier_dir: Path) -> EntailmentModel:
    return load_entailment_model(str(tiny_classifier_dir), device="cpu")


def test_sentences_end_at_full_stops_but_not_after_initials_or_titles() -> None:
    text = ("Mr. Lee met J. K. Rowling in the U.S. capital. She said: \"It went well.\" "
            "Talks resume on 3 May.\nA new paragraph starts here. it continues in lower case.")
    assert split_sentences(text) == [
        "Mr. Lee met J. K. Rowling in the U.S. capital.",
        "She said: \"It went well.\"",
        "Talks resume on 3 May.",
        "A new paragraph starts here. it continues in lower case.",
    ]


def test_chunks_hold_whole_sentences_and_overlap_by_about_half() -> None:
    sentences = [f"Sentence number {word} has exactly six words." for word in
                 ("one", "two", "three", "four", "five", "six", "seven")]
    chunks = article_chunks(" ".join(sentences), chunk_words=14)
    assert chunks[0] == " ".join(sentences[:2])
    assert chunks[1] == " ".join(sentences[1:3])  # starts half-way through the one before
    assert all(len(chunk.split()) <= 14 for chunk in chunks)
    assert chunks[-1].endswith(sentences[-1])
    assert {s for s in sentences if not any(s in chunk for chunk in chunks)} == set()


def test_a_sentence_longer_than_a_chunk_is_a_chunk_of_its_own() -> None:
    long = "Long " + " ".join(["word"] * 30) + "."
    assert article_chunks(f"Short one here. {long} Another short one.", chunk_words=10) == [
        "Short one here.", long, "Another short one."
    ]


@pytest.mark.parametrize(("labels", "index"), [
    ({0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"}, 0),
    ({0: "contradiction", 1: "neutral", 2: "entailment"}, 2),
    ({0: "not_entailment", 1: "entailment"}, 1),
    ({0: "SUPPORTS", 1: "REFUTES", 2: "NOT ENOUGH INFO"}, 0),
    ({0: "LABEL_0", 1: "LABEL_1"}, 1),
])
def test_the_entailment_label_is_found_by_name(labels: dict[int, str], index: int) -> None:
    assert entailment_label(labels) == index


def test_a_model_without_an_entailment_label_is_refused() -> None:
    with pytest.raises(EntailmentModelInvalid, match="means entailment"):
        entailment_label({0: "positive", 1: "negative", 2: "mixed"})


def test_a_model_that_is_not_a_sequence_classifier_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(
        {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64}
    ))
    with pytest.raises(EntailmentModelInvalid, match="not a sequence classifier"):
        load_entailment_model(str(tmp_path), device="cpu")


def test_a_missing_model_directory_is_model_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound):
        load_entailment_model(str(tmp_path / "absent"), device="cpu")


def test_the_tiny_classifier_separates_entailed_from_not(classifier: EntailmentModel) -> None:
    entailed, not_entailed = classifier.score_pairs(
        [(HARBOUR, FROM_THE_HARBOUR), (HARBOUR, NOT_IN_THE_ARTICLE)]
    )
    assert entailed > 0.9 > 0.1 > not_entailed


def test_a_sentence_is_judged_by_its_best_chunk(classifier: EntailmentModel) -> None:
    checker = EntailmentChecker(classifier, chunk_words=12)
    [support] = checker.support([(ARTICLE, f"{FROM_THE_HARBOUR} {FROM_THE_STORM}")])
    assert [s.sentence for s in support] == [FROM_THE_HARBOUR, FROM_THE_STORM]
    assert support[0].chunk in HARBOUR and support[1].chunk in STORM
    verdict = checker.check(ARTICLE, f"{FROM_THE_HARBOUR} {FROM_THE_STORM}")
    assert verdict.passed
    assert verdict.score == pytest.approx(min(s.score for s in support), abs=1e-6)


def test_the_weakest_sentence_decides_and_names_its_best_chunk(
    classifier: EntailmentModel,
) -> None:
    checker = EntailmentChecker(classifier, chunk_words=12)
    verdict = checker.check(ARTICLE, f"{FROM_THE_HARBOUR} {NOT_IN_THE_ARTICLE}")
    assert not verdict.passed
    [finding] = verdict.findings
    assert (finding.kind, finding.value) == (FindingKind.NOT_ENTAILED, NOT_IN_THE_ARTICLE)
    assert finding.evidence in ARTICLE.text and finding.evidence
    assert verdict.score is not None and verdict.score < 0.5
    # A threshold of zero passes anything; the score is the same.
    lenient = EntailmentChecker(classifier, threshold=0.0, chunk_words=12)
    assert lenient.check(ARTICLE, f"{FROM_THE_HARBOUR} {NOT_IN_THE_ARTICLE}") == Verdict(
        score=verdict.score
    )


def test_batched_verdicts_equal_one_by_one_verdicts(classifier: EntailmentModel) -> None:
    checker = EntailmentChecker(classifier, chunk_words=12, batch_size=3)
    other = ArticleText("Harbour news", HARBOUR, "en")
    items = [(ARTICLE, FROM_THE_STORM), (other, NOT_IN_THE_ARTICLE), (ARTICLE, FROM_THE_HARBOUR),
             (other, f"{FROM_THE_HARBOUR} {FROM_THE_STORM}")]
    batched = checker.check_batch(items)
    single = [checker.check(article, summary) for article, summary in items]
    assert [v.findings for v in batched] == [v.findings for v in single]
    assert [v.score for v in batched] == pytest.approx([v.score for v in single], abs=1e-5)


def test_an_empty_summary_is_a_finding_not_a_crash(classifier: EntailmentModel) -> None:
    assert EntailmentChecker(classifier).check(ARTICLE, "  ").kinds() == {FindingKind.EMPTY}


def test_combined_a_summary_must_pass_the_rules_and_the_model(
    classifier: EntailmentModel,
) -> None:
    combined = CombinedChecker((RuleChecker(), EntailmentChecker(classifier, chunk_words=12)))
    passed = combined.check(ARTICLE, "The ferry was delayed by the tide at the harbour.")
    assert passed.passed and passed.score is not None and passed.score > 0.5
    # Entailed by the story, but "Lisbon" is in no word of the article: the rules hold it.
    held_by_rules = combined.check(ARTICLE, "The ferry left Lisbon at dawn with passengers.")
    assert held_by_rules.kinds() == {FindingKind.UNSUPPORTED_NAME}
    assert held_by_rules.score is not None and held_by_rules.score > 0.5
    # From another story: no chunk of the article entails it, whatever the rules find.
    held_by_model = combined.check(ARTICLE, "The coach of the youth team praised the defenders.")
    assert FindingKind.NOT_ENTAILED in held_by_model.kinds()
    assert held_by_model.score is not None and held_by_model.score < 0.5
    # The generic batch helper gives the same as asking one by one.
    items = [(ARTICLE, FROM_THE_HARBOUR), (ARTICLE, NOT_IN_THE_ARTICLE)]
    assert check_batch(combined, items) == [combined.check(a, s) for a, s in items]


def test_scores_and_evidence_survive_a_round_trip_through_json() -> None:
    verdict = Verdict.of([Finding(FindingKind.NOT_ENTAILED, "A sentence.", evidence="A chunk.")],
                         score=0.25)
    record = json.loads(json.dumps(verdict.as_dict()))
    assert record["score"] == 0.25 and record["findings"][0]["evidence"] == "A chunk."
    assert Verdict.from_dict(record) == verdict
    # Rows written before scores and evidence existed read as they always did.
    assert Verdict.from_dict({"passed": True, "findings": []}) == Verdict()
    assert Finding("unsupported_name", "Oslo").as_dict() == {"kind": "unsupported_name",
                                                              "value": "Oslo"}
