"""The relation check on the shapes real news and real summaries take: people called by
first name, age or description, days and places said once, clauses with subjects of
their own, acronyms, quotes and who said them, datelines and bylines, lost full stops.

Every article and summary here is written for these tests (English, and Portuguese
where a rule reads Portuguese forms).
"""

from __future__ import annotations

from newsum.modeling.faithfulness import ArticleText, FindingKind, check_summary
from newsum.modeling.faithfulness.datelines import prefix_end
from newsum.modeling.faithfulness.form import self_relations
from newsum.modeling.faithfulness.sentences import split_sentences
from newsum.modeling.faithfulness.text import tokens

MATCH = ArticleText(
    "",
    "Harbour City goalkeeper Tomas Brandt had two reasons to celebrate on Saturday. Hours"
    " after keeping a clean sheet in the 2-0 win over Northfield, the keeper turned 30."
    " Brandt was joined at his home by family and friends for a surprise party. The"
    " 30-year-old was also given a signed shirt by the captain.\n\n"
    "The captain, Jonas Kerr, 28, said the squad had planned the party for weeks.\n\n"
    "Northfield's coach Mia Ortega praised the hosts. Brandt signed for the club from"
    " Westvale in 2019.",
    "en",
)
OPERA = ArticleText(
    "",
    "Former Eastfield boss Gareth Lowe has described his last months at the club as 'a"
    " bit of a soap opera'. The 64-year-old blamed a knee injury for his decision to"
    " leave in March.\n\n"
    "Lowe's assistant, Dara Quinn, said the board had been divided. 'We all saw it"
    " coming,' Quinn said.",
    "en",
)
COURT = ArticleText(
    "",
    "Owen Pratt, 51, stabbed his neighbour in a flat in Lowmoor, the court heard. The"
    " jury was told that Pratt had argued with the man for months.\n\n"
    "Police arrested Pratt at the flat the same evening. He was charged the next day.",
    "en",
)


def _passes(article: ArticleText, summary: str) -> bool:
    return check_summary(article, summary).passed


def test_a_description_stands_for_the_person_named_before() -> None:
    summary = (
        "Tomas Brandt turned 30 on Saturday. The Harbour City goalkeeper was joined at his"
        " home by family and friends."
    )
    assert _passes(MATCH, summary)


def test_an_age_description_stands_for_the_person_the_article_gives_that_age() -> None:
    first = "Tomas Brandt was joined at his home by family and friends."
    assert _passes(MATCH, f"{first} The 30-year-old was given a signed shirt.")
    assert _passes(MATCH, f"{first} The 30 - year - old was given a signed shirt.")


def test_a_description_does_not_give_a_deed_to_someone_else() -> None:
    summary = "Jonas Kerr planned the party. The 30-year-old signed for the club from Westvale."
    assert _passes(MATCH, summary)  # Brandt is the 30-year-old, and the article says he signed
    summary = "Tomas Brandt was joined by his family. The 28-year-old praised the hosts."
    assert not _passes(MATCH, summary)  # Kerr is 28, and Ortega praised the hosts


def test_an_age_against_a_name_is_the_persons_not_the_deeds() -> None:
    assert _passes(COURT, "Owen Pratt, 51, was charged the next day.")
    assert not _passes(COURT, "Owen Pratt, 15, was charged the next day.")


def test_a_day_may_be_said_in_another_sentence_that_names_the_person() -> None:
    assert _passes(MATCH, "Tomas Brandt turned 30 on Saturday.")
    assert not _passes(MATCH, "Tomas Brandt turned 30 on Sunday.")


def test_a_description_naming_a_club_does_not_make_the_club_an_anchor() -> None:
    summary = (
        "Gareth Lowe blamed a knee injury for leaving. The former Eastfield boss described"
        " his last months as 'a bit of a soap opera'."
    )
    assert _passes(OPERA, summary)


def test_each_clause_with_a_subject_of_its_own_is_a_claim() -> None:
    assert _passes(
        MATCH,
        "Tomas Brandt signed for the club from Westvale in 2019 and Jonas Kerr planned the"
        " party for weeks.",
    )
    verdict = check_summary(
        MATCH,
        "Tomas Brandt signed for the club from Westvale in 2019 and Mia Ortega kept a clean"
        " sheet.",
    )
    assert FindingKind.UNSUPPORTED_RELATION in verdict.kinds()


def test_a_list_of_names_is_not_cut_into_clauses() -> None:
    article = ArticleText(
        "", "Flights to Lisbon and Porto were cancelled because of the strike.", "en"
    )
    assert _passes(article, "Flights to Lisbon and Porto were cancelled because of the strike.")


def test_a_first_name_no_one_else_has_stands_for_the_person() -> None:
    article = ArticleText(
        "",
        "Lucas Prado is hoping to play at the national stadium in May. Lucas missed the"
        " last final with a knee injury, the club said.",
        "en",
    )
    assert _passes(article, "Lucas Prado missed the last final with a knee injury.")


def test_a_closing_quote_before_a_capital_ends_a_sentence() -> None:
    text = "He called it 'a bit of a soap opera' He believes he was right."
    assert len(split_sentences(tokens(text))) == 2
    assert _passes(
        OPERA,
        "Gareth Lowe described his last months as 'a bit of a soap opera' The 64-year-old"
        " blamed a knee injury for his decision to leave.",
    )


def test_an_acronym_and_its_expansion_stand_for_each_other() -> None:
    article = ArticleText(
        "",
        "The IMF said the global economy was at a delicate juncture. The Prime Minister"
        " welcomed the report.",
        "en",
    )
    said = "said the global economy was at a delicate juncture."
    assert _passes(article, f"The International Monetary Fund {said}")
    assert _passes(article, "The PM welcomed the report.")
    assert not _passes(article, f"The International Energy Agency {said}")


def test_words_defined_by_a_supported_acronym_stand_with_it() -> None:
    article = ArticleText(
        "", "The PCC said fire services across the county should work together.", "en"
    )
    assert _passes(
        article,
        "The county's Police and Crime Commissioner (PCC) said fire services should work"
        " together.",
    )


def test_a_sentence_initial_inflection_of_an_article_word_is_an_ordinary_word() -> None:
    article = ArticleText(
        "", "The council has a plan to build 200 homes in Ashford by 2030.", "en"
    )
    assert _passes(article, "Plans to build 200 homes in Ashford by 2030 were set out.")


def test_number_words_and_possessive_days_are_not_names() -> None:
    article = ArticleText(
        "", "Three men were arrested on Thursday after the fire at the depot.", "en"
    )
    verdict = check_summary(article, "Three men were arrested after Thursday's fire at the depot.")
    assert FindingKind.UNSUPPORTED_NAME not in verdict.kinds()


def test_a_figure_with_its_scale_written_against_it_is_read() -> None:
    article = ArticleText("", "The club paid £10million for the striker in July.", "en")
    assert _passes(article, "The club paid £10 million for the striker in July.")
    assert not _passes(article, "The club paid £12million for the striker in July.")


def test_a_quote_given_to_someone_the_article_does_not_have_say_it_is_held() -> None:
    verdict = check_summary(OPERA, "Gareth Lowe said: 'We all saw it coming.'")
    assert FindingKind.WRONG_SPEAKER in verdict.kinds()
    [finding] = [f for f in verdict.findings if f.kind == FindingKind.WRONG_SPEAKER]
    assert "Quinn" in finding.evidence
    assert _passes(OPERA, "Dara Quinn said: 'We all saw it coming.'")


def test_a_name_said_as_its_own_object_is_held() -> None:
    assert self_relations("Westvale have informed Westvale of their wish.") == [
        "Westvale have informed Westvale"
    ]
    assert self_relations("Ana Lima and Ana Lima") == []
    assert self_relations("Manchester United beat Manchester City.") == []


def test_a_dateline_and_a_byline_open_the_article_and_set_it() -> None:
    assert prefix_end("Lisbon (Reuters) - The port reopened.") == len("Lisbon (Reuters) - ")
    assert prefix_end("By Ana Souza . The port reopened.") == len("By Ana Souza . ")
    assert prefix_end("Por Ana Souza\nO porto reabriu.") == len("Por Ana Souza\n")
    assert prefix_end("The council (CNN) voted.") == 0
    assert prefix_end("By the end of the year prices rose.") == 0
    article = ArticleText(
        "",
        "Lisbon (Reuters) - The port reopened on Monday after a two-week strike. Dock workers"
        " accepted a 4 percent pay rise. Shipping lines said cargo would move again.",
        "en",
    )
    assert _passes(article, "Dock workers in Lisbon accepted a 4 percent pay rise.")


def test_portuguese_ages_and_descriptions_are_read() -> None:
    article = ArticleText(
        "",
        "A prefeita Helena Duarte, de 52 anos, inaugurou a nova ponte em Vila Nova. A"
        " obra custou 40 milhões de reais.\n\n"
        "Helena Duarte disse que a ponte vai encurtar a viagem dos moradores.",
        "pt-BR",
    )
    said = "disse que a ponte vai encurtar a viagem dos moradores."
    assert _passes(article, f"Helena Duarte, de 52 anos, {said}")
    assert not _passes(article, f"Helena Duarte, de 25 anos, {said}")
