"""The relation checks: who did what together, roles, what figures count, invented and
foreign words, and the evidence each finding carries, in English and Portuguese.

Every article here is written for these tests; the false summaries follow the kinds of
error the demo model made (the article's own names, figures and days in the wrong
places).
"""

from __future__ import annotations

import pytest

from newsum.modeling.faithfulness import ArticleText, Finding, FindingKind, Verdict, check_summary
from newsum.modeling.faithfulness.lexicon import Standing, standing

CONTRACT = ArticleText(
    "New contract signed in Millbrook",
    "Sarah Reed, the star striker, signed a new contract with the club in Millbrook on"
    " Thursday. The contract runs for four seasons.\n\n"
    "The club had been talking to her agent since the spring. Ruth Shaw, the team"
    " captain, welcomed the news.\n\n"
    "Fans gathered outside the stadium in the evening.",
    "en",
)
ELECTRICITY = ArticleText(
    "Electricity prices fall",
    "Helen Walker, the energy minister, cut the price of electricity in Eastport on Monday."
    " Households will pay 6 percent less from next month.\n\n"
    "Daniel Grant, the union leader, said the cut came too late. Shops in the harbour"
    " district expect lower bills as well.",
    "en",
)
PORT = ArticleText(
    "Port terminal opens",
    "Peter Walker, the trade minister, opened the new port terminal in Ashford on Friday."
    " The terminal will handle 300 ships a year and create 450 jobs.\n\n"
    "The satellite tracking station nearby sits 600 kilometres from the capital.",
    "en",
)
PRIZE = ArticleText(
    "Book prize goes to Clara Grant",
    "The novelist Clara Grant won the national book prize in Lakeview on Tuesday. The prize"
    " comes with 50 thousand dollars.\n\n"
    "Emma Frost, the museum curator, praised the choice of the jury.",
    "en",
)
CUP = ArticleText(
    "Copa conquistada em Serra Azul",
    "André Falcão, líder do time, levou o time à vitória na final da copa em Serra Azul"
    " nesta quarta-feira. O time venceu por dois gols de diferença.\n\n"
    "Camila Moreira, presidente do clube, comemorou a notícia. Milhares de torcedores"
    " viajaram para ver a final.",
    "pt-BR",
)
VACCINE = ArticleText(
    "Nova vacina contra a dengue",
    "Letícia Lopes, chefe de pesquisa, apresentou uma nova vacina contra a dengue em Campo"
    " Belo nesta terça-feira. O estudo acompanhou 2.400 voluntários durante dois anos.",
    "pt-BR",
)
HIRING = ArticleText(
    "Prefeitura contrata servidores",
    "A prefeitura de Vila Nova anunciou nesta segunda-feira a contratação de 40 novos"
    " funcionários para a rede de saúde. Segundo a secretária Marta Quintela, os"
    " contratados começam a trabalhar em março.\n\n"
    "Choveu em Vila Nova durante quase todo o dia.",
    "pt-BR",
)
SATELLITE = ArticleText(
    "Satélite lançado",
    "Caio Barros, chefe da agência espacial, lançou um satélite em Rio Manso neste sábado."
    " O satélite vai orbitar a 700 quilômetros da Terra.\n\n"
    "Júlia Teixeira (presidente do partido) criticou o custo do lançamento.",
    "pt-BR",
)


def found(article: ArticleText, summary: str, kind: FindingKind) -> list[Finding]:
    """The findings of one kind on ``summary``."""
    return [f for f in check_summary(article, summary).findings if f.kind == kind]


def assert_passes(article: ArticleText, summary: str) -> None:
    verdict = check_summary(article, summary)
    assert verdict.passed, verdict.as_dict()


# --- who did what, together ----------------------------------------------------------


@pytest.mark.parametrize(
    ("article", "summary"),
    [
        (CONTRACT, "Sarah Reed, the star striker, signed a new contract in Millbrook on Thursday."),
        (CONTRACT, "Reed signed a new contract that runs for four seasons."),  # two sentences
        (
            ELECTRICITY,
            "Helen Walker cut the price of electricity; households will pay 6 percent less.",
        ),
        (PRIZE, "The novelist Clara Grant won the national book prize."),
        (CUP, "Em Serra Azul, André Falcão levou o time à vitória na final da copa."),
        (
            VACCINE,
            "Lopes apresentou uma vacina contra a dengue; o estudo acompanhou 2.400 voluntários.",
        ),
        (HIRING, "A prefeitura de Vila Nova anunciou a contratação de 40 novos funcionários."),
    ],
)
def test_facts_that_one_passage_holds_together_pass(article: ArticleText, summary: str) -> None:
    assert_passes(article, summary)


def test_the_other_person_doing_the_subjects_deed_is_held_with_the_passage_as_evidence() -> None:
    [finding] = found(
        CONTRACT, "Ruth Shaw signed a new contract with the club.", FindingKind.UNSUPPORTED_RELATION
    )
    assert finding.value == "Ruth Shaw signed a new contract with the club."
    assert "Ruth Shaw, the team captain, welcomed the news." in finding.evidence


def test_a_portuguese_deed_given_to_the_other_person_is_held() -> None:
    summary = "Camila Moreira levou o time à vitória na final da copa."
    [finding] = found(CUP, summary, FindingKind.UNSUPPORTED_RELATION)
    assert "Camila Moreira" in finding.evidence


def test_what_the_article_never_says_of_anyone_is_held() -> None:
    # Issue example: an election where the article is about electricity prices.
    summary = "The union leader Daniel Grant called an early election on Monday."
    [finding] = found(ELECTRICITY, summary, FindingKind.UNSUPPORTED_RELATION)
    assert "Daniel Grant, the union leader" in finding.evidence


def test_a_figure_in_a_sentence_about_something_else_is_held() -> None:
    [finding] = found(
        ELECTRICITY, "The vote will take place in 6 percent.", FindingKind.UNSUPPORTED_RELATION
    )
    assert finding.evidence == "Households will pay 6 percent less from next month."
    assert_passes(ELECTRICITY, "Households will pay 6 percent less from next month.")


def test_facts_from_passages_far_apart_are_not_joined() -> None:
    summary = "Sarah Reed welcomed the fans outside the stadium."
    assert found(CONTRACT, summary, FindingKind.UNSUPPORTED_RELATION)


def test_a_neighbour_that_names_someone_else_says_nothing_of_the_subject() -> None:
    # "Ruth Shaw ... welcomed the news" follows a sentence about the club's talks.
    summary = "Ruth Shaw had been talking to the club since the spring."
    assert found(CONTRACT, summary, FindingKind.UNSUPPORTED_RELATION)


# --- roles and titles ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("article", "summary", "value", "evidence"),
    [  # Issue examples 41, 103, 157 and 252, in articles written for them.
        (
            CONTRACT,
            "The league director Ruth Shaw signed a new contract.",
            "league director Ruth Shaw",
            "Ruth Shaw, the team captain, welcomed the news.",
        ),
        (
            PORT,
            "The finance minister Peter Walker opened the new port terminal.",
            "finance minister Peter Walker",
            "Peter Walker, the trade minister, opened",
        ),
        (
            PRIZE,
            "The novelist Emma Frost won the national book prize.",
            "novelist Emma Frost",
            "Emma Frost, the museum curator, praised",
        ),
        (
            CUP,
            "Camila Moreira, líder do time, levou o time à vitória na final da copa.",
            "Camila Moreira, líder do time",
            "Camila Moreira, presidente do clube, comemorou",
        ),
        (
            SATELLITE,
            "Júlia Teixeira, chefe da agência espacial, lançou um satélite.",
            "Júlia Teixeira, chefe da agência espacial",
            "Júlia Teixeira (presidente do partido)",
        ),
        (
            SATELLITE,
            "Caio Barros (presidente do partido) lançou um satélite.",
            "Caio Barros (presidente do partido",
            "Caio Barros, chefe da agência espacial,",
        ),
    ],
)
def test_a_role_the_article_gives_someone_else_is_held(
    article: ArticleText, summary: str, value: str, evidence: str
) -> None:
    [finding] = found(article, summary, FindingKind.WRONG_ROLE)
    assert finding.value == value
    assert evidence in finding.evidence


@pytest.mark.parametrize(
    ("article", "summary"),
    [
        (PORT, "The trade minister Peter Walker opened the new port terminal in Ashford."),
        (PORT, "Peter Walker, the minister for trade, opened the new port terminal."),
        (PORT, "Ashford's trade minister, Peter Walker, opened the new port terminal."),
        (CONTRACT, "Ruth Shaw, the team captain, welcomed the news."),
        (SATELLITE, "Caio Barros, chefe da agência espacial, lançou um satélite."),
        (SATELLITE, "A presidente do partido Júlia Teixeira criticou o custo do lançamento."),
        (SATELLITE, "Júlia Teixeira (presidente do partido) criticou o custo do lançamento."),
        (SATELLITE, "O chefe da agência espacial Barros lançou um satélite."),  # surname alone
    ],
)
def test_the_role_the_article_gives_that_person_passes(article: ArticleText, summary: str) -> None:
    assert_passes(article, summary)


def test_a_title_written_before_the_name_is_a_role() -> None:
    article = ArticleText(
        "Council vote", "Mayor Helena Okafor said the council vote was close on Tuesday.", "en"
    )
    assert_passes(article, "Mayor Okafor said the council vote was close.")
    [finding] = found(
        article, "Governor Okafor said the council vote was close.", FindingKind.WRONG_ROLE
    )
    assert finding.value == "Governor Okafor"


def test_a_role_no_one_has_is_held_for_a_person_of_the_article() -> None:
    summary = "Sarah Reed, the club president, signed a new contract."
    [finding] = found(CONTRACT, summary, FindingKind.WRONG_ROLE)
    assert finding.evidence.startswith("Sarah Reed, the star striker")


# --- figures keep what they count ----------------------------------------------------


def test_a_figure_counting_another_thing_is_held_in_portuguese() -> None:
    # Issue example: 40 is the number of new employees; there is no vote.
    [finding] = found(
        HIRING, "A lei foi aprovada com 40 votos a favor.", FindingKind.FIGURE_CONTEXT
    )
    assert finding.value == "40 votos"
    assert "40 novos funcionários" in finding.evidence


def test_a_figure_counting_another_thing_is_held_in_english() -> None:
    [finding] = found(PORT, "The terminal will create 450 ships.", FindingKind.FIGURE_CONTEXT)
    assert (finding.value, finding.evidence.startswith("The terminal will handle")) == (
        "450 ships",
        True,
    )
    assert_passes(PORT, "The terminal will handle 300 ships a year.")


def test_units_may_be_abbreviated_and_scores_named_in_other_words() -> None:
    assert_passes(PORT, "The tracking station sits 600 km from the capital.")
    article = ArticleText("Cup", "Rangers beat Hearts 4-0 at home on Sunday.", "en")
    assert not found(article, "Rangers won 4-0 against Hearts.", FindingKind.FIGURE_CONTEXT)


def test_a_figure_written_like_a_year_is_checked_when_it_counts_something() -> None:
    article = ArticleText("Factory", "The new factory will create 2050 jobs in the region.", "en")
    assert found(article, "The new factory will create 2050 homes.", FindingKind.FIGURE_CONTEXT)
    assert_passes(article, "The new factory will create 2050 jobs.")


# --- words -----------------------------------------------------------------------------


def test_an_invented_word_is_held_in_portuguese() -> None:
    # Issue examples 252 and 310.
    summary = "Letícia Lopes apresentou uma nova vacina contra a dengue nesta quartaência."
    [finding] = found(VACCINE, summary, FindingKind.INVENTED_WORD)
    assert finding.value == "quartaência"
    assert "nesta terça-feira" in finding.evidence
    summary = "Camila Moreira comemorou a notícia nesta quintaência."
    assert [f.value for f in found(CUP, summary, FindingKind.INVENTED_WORD)] == ["quintaência"]


def test_an_invented_word_is_held_in_english() -> None:
    summary = "Sarah Reed signed a new contract with the club on thursdence."
    assert [f.value for f in found(CONTRACT, summary, FindingKind.INVENTED_WORD)] == ["thursdence"]


def test_a_word_of_the_other_language_is_held() -> None:
    # Issue example: "closely" inside a Portuguese sentence, and a mixed sentence.
    summary = "Choveu em Vila Nova closely durante quase todo o dia."
    [finding] = found(HIRING, summary, FindingKind.INVENTED_WORD)
    assert (finding.value, finding.evidence) == (
        "closely",
        "Choveu em Vila Nova durante quase todo o dia.",
    )
    mixed = "Caio Barros lançou um satélite nesta terçaly, the minister said."
    values = [f.value for f in found(SATELLITE, mixed, FindingKind.INVENTED_WORD)]
    assert {"terçaly", "the", "minister"} <= set(values)
    english = "Sarah Reed signed a new contract with the club também."
    assert [f.value for f in found(CONTRACT, english, FindingKind.INVENTED_WORD)] == ["também"]


@pytest.mark.parametrize(
    ("word", "language", "expected"),
    [
        ("closely", "pt", Standing.FOREIGN),
        ("the", "pt", Standing.FOREIGN),
        ("que", "en", Standing.FOREIGN),
        ("semana", "en", Standing.FOREIGN),
        ("terçaência", "pt", Standing.UNKNOWN),
        ("quintaência", "pt", Standing.UNKNOWN),
        ("festival", "pt", Standing.WORD),  # both languages use these
        ("hospital", "en", Standing.WORD),
        ("show", "pt", Standing.WORD),
        ("final", "en", Standing.WORD),
        ("tempo", "en", Standing.WORD),
        ("votaram", "pt", Standing.WORD),  # an inflection
        ("well-known", "en", Standing.WORD),  # judged by its parts
        ("pré-temporada", "pt", Standing.WORD),
    ],
)
def test_words_stand_to_a_language_by_the_word_lists(
    word: str, language: str, expected: Standing
) -> None:
    assert standing(word, language) is expected


def test_names_and_figures_in_either_language_are_not_invented_words() -> None:
    summary = "A prefeitura de Vila Nova vai contratar forty funcionários."
    assert not found(HIRING, summary, FindingKind.INVENTED_WORD)


# --- evidence ---------------------------------------------------------------------------


def test_a_word_level_finding_carries_the_passage_of_its_sentence() -> None:
    [finding] = found(
        CONTRACT, "Sarah Reed signed a new contract on Friday.", FindingKind.UNSUPPORTED_DATE
    )
    assert finding.value == "Friday"
    assert finding.evidence.startswith("Sarah Reed, the star striker, signed a new contract")


def test_evidence_travels_with_the_finding_and_old_records_still_load() -> None:
    finding = Finding(FindingKind.WRONG_ROLE, "finance minister Peter Walker", "Peter Walker, ...")
    assert Finding.from_dict(finding.as_dict()) == finding
    assert Finding.from_dict({"kind": "unsupported_name", "value": "Oslo"}).evidence == ""
    assert "evidence" not in Finding("unsupported_name", "Oslo").as_dict()
    with pytest.raises(ValueError, match="evidence"):
        Finding.from_dict({"kind": "unsupported_name", "value": "Oslo", "evidence": 3})


def test_one_finding_per_kind_and_value_whatever_its_evidence() -> None:
    verdict = Verdict.of([Finding("wrong_role", "x", "a"), Finding("wrong_role", "x", "b")])
    assert verdict.findings == (Finding("wrong_role", "x", "a"),)


def test_every_new_kind_carries_evidence() -> None:
    cases = [
        (CONTRACT, "Ruth Shaw signed a new contract with the club."),
        (PORT, "The finance minister Peter Walker opened the new port terminal."),
        (HIRING, "A lei foi aprovada com 40 votos a favor."),
        (HIRING, "Choveu em Vila Nova closely durante quase todo o dia."),
    ]
    new_kinds = {
        FindingKind.UNSUPPORTED_RELATION,
        FindingKind.WRONG_ROLE,
        FindingKind.FIGURE_CONTEXT,
        FindingKind.INVENTED_WORD,
    }
    seen = set()
    for article, summary in cases:
        for finding in check_summary(article, summary).findings:
            if finding.kind in new_kinds:
                assert finding.evidence, finding
                seen.add(finding.kind)
    assert seen == new_kinds


def test_an_article_of_unknown_language_holds_invented_words_only() -> None:
    article = ArticleText("", "O conselho votou nesta terça-feira em Vila Serena.", None)
    assert not found(
        article, "O conselho votou closely nesta terça-feira.", FindingKind.INVENTED_WORD
    )
    summary = "O conselho votou nesta terçaência em Vila Serena."
    assert [f.value for f in found(article, summary, FindingKind.INVENTED_WORD)] == ["terçaência"]
