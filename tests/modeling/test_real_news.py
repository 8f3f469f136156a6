"""The relation check on the shapes real news and real summaries take: people called by
first name, age or description, days and places said once, clauses with subjects of
their own, acronyms, quotes and who said them, datelines and bylines, lost full stops.

Every article and summary here is written for these tests (English, and Portuguese
where a rule reads Portuguese forms).
"""

from __future__ import annotations

from newsum.modeling.faithfulness import ArticleText, FindingKind, check_summary, index_article
from newsum.modeling.faithfulness.datelines import prefix_end
from newsum.modeling.faithfulness.form import self_relations
from newsum.modeling.faithfulness.sentences import split_sentences
from newsum.modeling.faithfulness.text import tokens

MATCH = ArticleText(
    "",
    "Tomas Brandt, the Harbour City goalkeeper, was the hero of the 2-0 win over Northfield"
    " on Saturday. Later that evening the keeper turned 30. Brandt was met at his flat"
    " by his parents and neighbours for a surprise party. The"
    " 30-year-old was also given a signed shirt by the captain.\n\n"
    "The captain, Jonas Kerr, 28, said the squad had planned the party for weeks.\n\n"
    "Northfield's coach Mia Ortega praised the hosts. Brandt signed for the club from"
    " Westvale in 2019.",
    "en",
)
OPERA = ArticleText(
    "",
    "Gareth Lowe, who ran Eastfield until the spring, called his final season 'a long"
    " goodbye'. The 64-year-old said a back injury made him step down in March.\n\n"
    "Lowe's assistant, Dara Quinn, said the board had been divided. 'We all saw it"
    " coming,' Quinn said.",
    "en",
)
COURT = ArticleText(
    "",
    "Owen Pratt, 47, set fire to a garden shed in Lowmoor, the court heard. The jury was"
    " told that Pratt had argued with his neighbour for months.\n\n"
    "Police arrested Pratt at the flat the same evening. He was charged the next day.",
    "en",
)


def _passes(article: ArticleText, summary: str) -> bool:
    return check_summary(article, summary).passed


def test_a_description_stands_for_the_person_named_before() -> None:
    summary = (
        "Tomas Brandt was the hero of the win over Northfield. The Harbour City goalkeeper"
        " was met at his flat by his parents and neighbours."
    )
    assert _passes(MATCH, summary)


def test_an_age_description_stands_for_the_person_the_article_gives_that_age() -> None:
    first = "Tomas Brandt was met at his flat by his parents and neighbours."
    assert _passes(MATCH, f"{first} The 30-year-old was given a signed shirt.")
    assert _passes(MATCH, f"{first} The 30 - year - old was given a signed shirt.")


def test_a_description_does_not_give_a_deed_to_someone_else() -> None:
    summary = "Jonas Kerr planned the party. The 30-year-old signed for the club from Westvale."
    assert _passes(MATCH, summary)  # Brandt is the 30-year-old, and the article says he signed
    summary = "Tomas Brandt was met by his parents. The 28-year-old praised the hosts."
    assert not _passes(MATCH, summary)  # Kerr is 28, and Ortega praised the hosts


def test_an_age_against_a_name_is_the_persons_not_the_deeds() -> None:
    assert _passes(COURT, "Owen Pratt, 47, was charged the next day.")
    assert not _passes(COURT, "Owen Pratt, 74, was charged the next day.")


def test_a_day_may_be_said_in_another_sentence_that_names_the_person() -> None:
    party = "Tomas Brandt had a surprise party with his parents and neighbours"
    assert _passes(MATCH, f"{party} on Saturday.")
    assert not _passes(MATCH, f"{party} on Sunday.")


def test_a_description_naming_a_club_does_not_make_the_club_an_anchor() -> None:
    summary = (
        "Gareth Lowe stepped down in March. The former Eastfield boss called his final"
        " season 'a long goodbye'."
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
        "", "Ferries to Lisbon and Porto were halted because of the storm.", "en"
    )
    assert _passes(article, "Ferries to Lisbon and Porto were halted because of the storm.")


def test_a_first_name_no_one_else_has_stands_for_the_person() -> None:
    article = ArticleText(
        "",
        "Ana Prado wants to sing at the summer festival in May. Ana missed last year's"
        " festival with a throat infection, her label said.",
        "en",
    )
    assert _passes(article, "Ana Prado missed last year's festival with a throat infection.")


def test_a_closing_quote_before_a_capital_ends_a_sentence() -> None:
    text = "He called it 'a turning point' He believes he was right."
    assert len(split_sentences(tokens(text))) == 2
    assert _passes(
        OPERA,
        "Gareth Lowe called his final season 'a long goodbye' The 64-year-old said a back"
        " injury made him step down in March.",
    )


def test_an_acronym_and_its_expansion_stand_for_each_other() -> None:
    article = ArticleText(
        "",
        "The ECB said inflation had eased in the spring. The Prime Minister welcomed the"
        " figures.",
        "en",
    )
    said = "said inflation had eased in the spring."
    assert _passes(article, f"The European Central Bank {said}")
    assert _passes(article, "The PM welcomed the figures.")
    assert not _passes(article, f"The European Investment Bank {said}")


def test_words_defined_by_a_supported_acronym_stand_with_it() -> None:
    article = ArticleText(
        "", "The ONS said rents across the county rose for a third year.", "en"
    )
    summary = "The county's Office for National Statistics (ONS) said rents rose for a third year."
    assert _passes(article, summary)


def test_a_sentence_initial_inflection_of_an_article_word_is_an_ordinary_word() -> None:
    article = ArticleText(
        "", "The council has a plan to build 200 homes in Ashford by 2030.", "en"
    )
    assert _passes(article, "Plans to build 200 homes in Ashford by 2030 were set out.")


def test_number_words_and_possessive_days_are_not_names() -> None:
    article = ArticleText(
        "", "Four workers were hurt on Thursday when a crane fell at the depot.", "en"
    )
    summary = "Four workers were hurt in Thursday's crane fall at the depot."
    verdict = check_summary(article, summary)
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
    assert self_relations("Westvale have thanked Westvale for the offer.") == [
        "Westvale have thanked Westvale"
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


def test_a_deed_the_article_tells_in_the_passive_is_not_the_persons_own() -> None:
    article = ArticleText(
        "",
        "Her father says the swimmer Nina Holt was denied a lane at the pool 300 metres"
        " from their street. The council said the pool was full.",
        "en",
    )
    verdict = check_summary(article, "Nina Holt denied a lane at the pool 300 metres away.")
    assert FindingKind.UNSUPPORTED_RELATION in verdict.kinds()
    assert _passes(article, "Nina Holt was denied a lane at the pool 300 metres away.")


def test_a_headlines_passive_is_not_read_as_a_deed() -> None:
    article = ArticleText(
        "", "The bakery chain Crumbs is embroiled in a row over its opening hours.", "en"
    )
    assert _passes(article, "Crumbs embroiled in a row over its opening hours.")


def test_a_decade_ends_a_sentence_and_a_closed_pair_of_quotes_before_a_capital_does_too() -> None:
    def cut(text: str) -> list[str]:
        return [s.text(text) for s in split_sentences(tokens(text))]

    assert cut("She has trained since the 1990s. Says she runs daily.") == [
        "She has trained since the 1990s.",
        "Says she runs daily.",
    ]
    assert cut('He called himself a " wry critic " The paper called him a hero.') == [
        'He called himself a " wry critic "',
        "The paper called him a hero.",
    ]
    assert cut('He said "yes" and left. The U.S. team won.') == [
        'He said "yes" and left.',
        "The U.S. team won.",
    ]


def test_the_last_name_of_a_list_does_not_open_a_clause() -> None:
    article = ArticleText(
        "",
        "Westvale won 30-10 with tries from Reed, Ana Souza and Tom Lee, who crossed twice"
        " for the visitors.",
        "en",
    )
    summary = "Westvale won 30-10, with Reed, Ana Souza and Tom Lee crossing for the visitors."
    assert _passes(article, summary)


def test_a_sentence_that_goes_on_about_the_person_named_before_speaks_of_them() -> None:
    article = ArticleText(
        "",
        "Rosa Lind signed for Westvale in June. The Danish keeper was sold to Eastport a"
        " year later. Critics called the fee too low. Lind said she was happy.",
        "en",
    )
    sentences = index_article(article).relations.passages.sentences
    assert [set(s.persons) for s in sentences] == [{"lind"}, {"lind"}, set(), {"lind"}]
