"""Text as the checks see it: folded words, sentence starts, and the stop words.

Folding (case and accents removed) lets "Sao Paulo" match "São Paulo" and "SILVA"
match "Silva"; a possessive ("Silva's") is cut back to the name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple


def word_set(words: str) -> frozenset[str]:
    """The whitespace-separated words of ``words``, as a set."""
    return frozenset(words.split())


FUNCTION_WORDS: dict[str, frozenset[str]] = {
    # Articles, pronouns, prepositions, conjunctions, auxiliaries and the adverbs news
    # starts sentences with, folded: words that carry no fact of their own.
    "en": word_set(
        """a an the this that these those it its he she they them his her their we our
        you your i in on at to of for from by with without about after before during over
        under into onto and but or nor so yet if as than then when while where which who
        whom whose what why how is are was were be been being has have had do does did will
        would can could should may might must not no also all both each every some many
        most more other such there here however meanwhile moreover yesterday today tomorrow
        earlier later now still according following despite among between since until
        although though because once instead overall thus therefore nevertheless also
        additionally furthermore separately amid unlike like nearly around only just even
        several few fewer local new last next its one two both either neither across
        along against behind beyond near through throughout toward towards upon within via
        per out off up down"""
    ),
    "pt": word_set(
        """o a os as um uma uns umas de do da dos das em no na nos nas ao aos por pelo pela
        pelos pelas para pra com sem sobre entre ate desde apos ante e ou mas que se como
        quando onde porque pois este esta estes estas esse essa esses essas isso isto
        aquele aquela ele ela eles elas seu sua seus suas nosso nossa e foi foram era eram
        estao sera serao tem teve ha nao tambem ja ainda mais menos muito muitos muitas
        todos todas cada segundo conforme alem depois antes durante hoje ontem amanha agora
        nesta neste nessa nesse desta deste dessa desse apesar embora enquanto porem
        contudo entretanto assim entao cerca quase apenas somente so outro outra outros
        outras varios varias alguns algumas novo nova novos novas mesmo mesma contra sob perto"""
    ),
}
TITLE_WORDS: dict[str, frozenset[str]] = {
    # Titles written before a name ("Mayor Okafor", "a prefeita Barbosa"), folded.
    "en": word_set(
        """mr mrs ms dr prof sir mayor president minister governor senator judge coach chief
        director captain professor"""
    ),
    "pt": word_set(
        """sr sra dr dra prefeito prefeita presidente ministro ministra governador
        governadora senador senadora deputado deputada vereador vereadora juiz juiza
        tecnico diretor diretora"""
    ),
}
GROUP_WORDS: dict[str, frozenset[str]] = {
    # Groups that open sentences ("Officials said", "Moradores comemoraram"), folded.
    "en": word_set(
        """officials authorities residents police critics experts analysts fans voters
        organisers organizers researchers scientists farmers households families workers"""
    ),
    "pt": word_set(
        """moradores autoridades especialistas criticos analistas torcedores eleitores
        organizadores pesquisadores cientistas produtores familias trabalhadores"""
    ),
}
ROLE_MODIFIERS = word_set("former ex late then acting interim current outgoing incoming atual")
"""Said of a role, not the role: "the former chief executive" holds "chief executive";
"Former minister Ana Souza" names Ana Souza."""
STOP_WORDS: dict[str, frozenset[str]] = {
    # A capitalised word from this list at the start of a name ("The", "Em", "Mayor",
    # "Officials") is not part of the name; words found in only one language's function
    # words decide en vs pt.
    lang: FUNCTION_WORDS[lang] | TITLE_WORDS[lang] | GROUP_WORDS[lang]
    for lang in FUNCTION_WORDS
}
ALL_STOP_WORDS = STOP_WORDS["en"] | STOP_WORDS["pt"]
ALL_FUNCTION_WORDS = FUNCTION_WORDS["en"] | FUNCTION_WORDS["pt"]
ALL_TITLE_WORDS = TITLE_WORDS["en"] | TITLE_WORDS["pt"]
ALL_GROUP_WORDS = GROUP_WORDS["en"] | GROUP_WORDS["pt"]

_TOKEN = re.compile(
    r"(?P<currency>R\$|US\$)"  # not the name "US"
    r"|(?P<word>[^\W\d_]+(?:['’\-][^\W\d_]+)*)"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<stop>[.!?…:;]+|[\"“”«»„(\[\n])"
    r"|(?P<other>\S)"
)
_POSSESSIVE = re.compile(r"['’]s?$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_SINGLE_QUOTES = frozenset({"'", "’"})


def fold(text: str) -> str:
    """Lower-cased, accents removed, typographic apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=65536)  # a language has far fewer words; articles repeat them
def fold_word(word: str) -> str:
    """A word folded, a possessive ("Silva's") cut back to the name."""
    if "'" in word or "’" in word:
        word = _POSSESSIVE.sub("", word) or word
    return word.lower() if word.isascii() else fold(word)


def squash_spaces(text: str) -> str:
    """Runs of whitespace as one space, ends stripped."""
    return _SPACE.sub(" ", text).strip()


class Token(NamedTuple):
    """A word, number or punctuation mark, with what the checks need to know of it."""

    raw: str
    folded: str
    kind: str  # word, number, currency, stop (ends a sentence, opens a quote) or other
    sentence_initial: bool = False
    capitalised: bool = False  # a word whose first letter is upper case
    start: int = 0  # where it begins in the text, so a finding can quote the text as written

    @property
    def is_word(self) -> bool:
        return self.kind == "word"


def tokens(text: str) -> list[Token]:
    """The text's tokens in order; a word after . ! ? : or a quote mark starts a sentence
    (a single quote only where it closes against a word: "a turning point' He said")."""
    result: list[Token] = []
    append = result.append  # the loop runs once per token of a long article
    initial = True
    end = -1
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        raw = match.group()
        if kind == "word":
            append(Token(raw, fold_word(raw), kind, initial, raw[0].isupper(), match.start()))
            initial = False
        else:
            append(Token(raw, raw, kind, start=match.start()))
            closing = raw in _SINGLE_QUOTES and match.start() == end
            initial = kind == "stop" or (initial and kind == "other") or closing
        end = match.end()
    return result


def word_count(text: str) -> int:
    """Whitespace-separated tokens that hold a letter or a digit."""
    return sum(1 for part in text.split() if any(c.isalnum() for c in part))
