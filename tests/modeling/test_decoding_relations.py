"""What an article joins to each person, and the decoding that keeps a summary to it: after
a role only its holder's name, after a name only its role and what its holder did, a
day only beside the person the article gives it to, a figure followed by what it counts."""

from __future__ import annotations

import random
import re
from pathlib import Path

import torch

from newsum.modeling.constraints import SourceWords
from newsum.modeling.continuations import SentenceReader, _anchors, sentence_state
from newsum.modeling.loading import load_tokenizer
from newsum.modeling.relations import ArticleRelations

EN = (
    "New contract signed in Millbrook\n"
    "In Millbrook on Monday, the league director Sarah Reed signed a new contract with the"
    " club. The contract runs for 4 seasons.\n\n"
    "Tickets sold out within hours.\n\n"
    "Ruth Shaw, the team captain, welcomed the news. Residents of Millbrook gave mixed"
    " reactions."
)
PT = (
    "Nova fábrica em Vila Nova\n"
    "Caio Barros, chefe da agência espacial, inaugurou uma nova fábrica nesta terça-feira,"
    " em Vila Nova. A fábrica vai gerar 40 novos empregos na região.\n\n"
    "Júlia Teixeira (presidente do partido) prometeu acompanhar o caso de perto."
)


def test_roles_predicates_and_days_are_read_from_the_article_in_both_languages() -> None:
    en = ArticleRelations(EN)
    assert {p.name: p.roles for p in en.people.values()} == {
        "Sarah Reed": {"league director"}, "Ruth Shaw": {"team captain"}}
    assert en.people["Sarah Reed"].predicates == {"signed"}
    assert en.people["Ruth Shaw"].predicates == {"welcomed"}
    assert en.people["Sarah Reed"].days == {"monday"}
    assert en.people["Sarah Reed"].figures == {"4"}
    assert not en.people["Ruth Shaw"].days  # her sentences name no day
    pt = ArticleRelations(PT)
    assert {p.name: p.roles for p in pt.people.values()} == {
        "Caio Barros": {"chefe da agência espacial"}, "Júlia Teixeira": {"presidente do partido"}}
    assert pt.people["Caio Barros"].predicates == {"inaugurou"}
    assert pt.people["Caio Barros"].days == {"terça"}
    assert ArticleRelations("Riverton's mayor, Anna Walker, approved the budget.").people[
        "Anna Walker"].roles == {"mayor"}


def test_a_role_is_followed_by_its_holder_and_a_name_by_its_role_and_deeds() -> None:
    relations = ArticleRelations(EN)
    after_role = sentence_state(relations, "In Millbrook, the team captain").options
    assert after_role is not None and " Ruth Shaw" in after_role
    assert not any("Sarah" in option or "Reed" in option for option in after_role)
    after_name = sentence_state(relations, "Ruth Shaw, the ").options
    assert after_name == ["team captain, welcomed"]
    after_apposition = sentence_state(relations, "Ruth Shaw, the team captain, ").options
    assert after_apposition == ["welcomed"]
    done = sentence_state(relations, "Ruth Shaw, the team captain, welcomed the")
    assert done.options is None and done.people == ("Ruth Shaw",)
    # A role nobody holds: no name may follow it.
    made_up = sentence_state(relations, "In Millbrook, the club director")
    assert {"Sarah", "Reed", "Ruth", "Shaw"} <= made_up.barred_names


def test_a_sentence_read_as_it_grows_reads_as_it_does_whole() -> None:
    # A summary grows a token at a time: the reader keeps what it read before and reads
    # only what the new text can change; at every length it must say what a fresh read
    # of the whole sentence says (a role made longer, a name cut short, a role followed
    # by a letter that makes it another word, a new sentence).
    sentences = {
        EN: ["In Millbrook, the league director Sarah Reed signed the contract on Monday.",
             "Ruth Shaw, the team captain, welcomed the news",
             "In Millbrook, the team captains welcomed Ruth Shawn, the league directors",
             "Sarah Reed, the league director, signed a contract for 4 seasons"],
        PT: ["Caio Barros, chefe da agência espacial, inaugurou uma nova fábrica nesta",
             "Júlia Teixeira (presidente do partido) prometeu acompanhar o caso",
             "Em Vila Nova, o chefe da agência espaciais Caio Barroso inaugurou"],
    }
    chance = random.Random(7)
    for article, texts in sentences.items():
        relations = ArticleRelations(article)
        reader = SentenceReader(relations)
        for text in texts * 3:  # each sentence in several chunkings, one after another
            end = 0
            while end < len(text):
                end = min(len(text), end + chance.randint(1, 6))
                assert reader.state(text[:end]) == sentence_state(relations, text[:end]), (
                    text[:end])


def test_a_role_is_an_anchor_only_as_whole_words() -> None:
    # "the team captain" is a role in "the team captain," and at the text's end, not in
    # "the team captains", "steam captain" or "team captain_2"; the role anchors are the
    # matches of the role between non-word characters, left to right.
    relations = ArticleRelations(EN)
    assert "team captain" in relations.roles
    pieces = ["team captain", "team", " captain", "s", "_", "2", "é", " ", ", ", ".", "(",
              "league director", "st"]
    chance = random.Random(11)
    for _ in range(400):
        text = "".join(chance.choice(pieces) for _ in range(chance.randint(1, 9)))
        start = chance.randint(0, len(text))
        expected = sorted(
            (m.start(), m.end()) for role in relations.roles
            for m in re.compile(rf"(?<!\w){re.escape(role)}(?!\w)").finditer(text, start))
        found = sorted((a[0], a[1]) for a in _anchors(relations, text, len(text), start) if a[4])
        assert found == expected, (text, start)


def _next_words(tokenizer, article: str, generated: str, **modes: bool) -> set[str]:  # type: ignore[no-untyped-def]
    ids = tokenizer(generated, add_special_tokens=False)["input_ids"]
    processor = SourceWords(tokenizer, [article], prompt_width=0, vocab_size=len(tokenizer),
                            **modes)
    kept = processor(torch.tensor([ids]), torch.zeros(1, len(tokenizer)))[0] > -float("inf")
    pieces = tokenizer.convert_ids_to_tokens(kept.nonzero()[:, 0].tolist())
    return {piece.replace("▁", " ") for piece in pieces}


def test_decoding_keeps_roles_deeds_days_and_units_beside_their_names(
    tiny_model_dir: Path,
) -> None:
    tokenizer = load_tokenizer(tiny_model_dir)
    after_role = _next_words(tokenizer, EN, "In Millbrook, the team captain", relations=True)
    names = {t.strip() for t in after_role if re.fullmatch(r" [A-Z]\w*", t)}
    assert names and all("Ruth".startswith(t) or "Shaw".startswith(t) for t in names), names
    after_other = _next_words(tokenizer, EN, "Ruth Shaw", relations=True)
    assert not any(t.strip() and "signed".startswith(t.strip()) for t in after_other)
    day = _next_words(tokenizer, EN, "Ruth Shaw, the team captain, welcomed the news",
                      relations=True)
    assert not any(t.strip() and "Monday".startswith(t.strip())
                   and not "Millbrook".startswith(t.strip()) for t in day)
    unit = _next_words(tokenizer, PT, "A fábrica vai gerar 40", relations=True)
    words = {t.strip() for t in unit if t.startswith(" ") and t.strip()}
    assert words and all("novos".startswith(t) for t in words), words


def test_plain_mode_writes_only_the_articles_words(tiny_model_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_model_dir)
    allowed = _next_words(tokenizer, PT, "Caio Barros inaugurou uma nova fábrica nesta",
                          plain=True)
    # "quinta" (another day) may not be started, not even to glue "feira" onto it.
    assert " quinta" not in allowed and " terça" in allowed
