"""Is a summary faithful to its article? Checked before anything is published.

A pure check (no I/O, no model, works offline: its word lists ship inside the
wordfreq package), shared by the trainer's evaluation and the workers::

    from newsum.modeling.faithfulness import ArticleText, LengthBounds, check_summary

    article = ArticleText(title=row.title, body=row.body, language=row.language)
    verdict = check_summary(article, summary,
                            bounds=LengthBounds.from_max_tokens(manifest.max_summary_tokens))
    if not verdict.passed:
        store(verdict.as_dict())  # {"passed": false, "findings": [{"kind", "value", "evidence"}]}

Support means relations, not words. Every figure, name, weekday, month, year and
quotation of the summary must be found in the article (in either language's way of
writing it), and every other word must be the article's or a word of its language (no
invented "quintaência", no English "closely" in Portuguese). Then each summary sentence
must be supported *together* by one passage of the article (a sentence, or a sentence
and the next): its people (a surname, or a first name no one else has, stands for the
full name; "the 30-year-old" or "the Danish goalkeeper" for the person named before),
what is said of them, its day and its figures; a role attached to a name must be the
role the article gives that person ("the trade minister Peter Walker", "Caio Barros,
chefe da agência espacial"), and so must an age ("Ana Souza, 34,"); a quote must be
given to the person the article has say it; and a figure must count what the
article's figure counts ("40 novos funcionários" is not "40 votos"). An article's
dateline and byline ("Lisbon (Reuters) -", "By Ana Souza") hold for all of it. The
summary must also be in the article's language, and neither empty, too short, too
long, repetitive (a name done to itself, "Westvale have thanked Westvale", is too), an
echo of the prompt, nor obedient to instructions planted in the article. Finding kinds
are listed in ``FindingKind``, in the order verdicts list them; each finding names the
summary's text (``value``) and, where there is one, the article passage it was
compared with (``evidence``), so an editor sees why.

``FaithfulnessChecker`` is the interface: ``RuleChecker`` implements it by rule; a model
that scores entailment (SummaC, AlignScore) can implement it later and callers stay as
they are. ``support_counts`` gives the entity and figure counts behind the corpus-level
precisions of Nan et al. (2021), "Entity-level Factual Consistency of Abstractive Text
Summarization", from the same extraction the check uses. Everything the check needs of
an article is found once, by ``index_article`` (cached); a summary is then checked in a
few milliseconds (real news: 2-3 ms).

Modules, one check each: ``numbers``, ``names`` (acronyms included), ``dates``,
``quotes``, ``speakers`` (who said a quote), ``language``, ``form``, ``words`` (invented
and foreign words, by the word lists of ``lexicon``), ``roles`` (appositions and
titles), ``figure_context`` (what a figure counts), ``voice`` (who had what done to
them) and ``relations`` (who did what, together: each sentence's ``anchors`` over the
article's ``passages``, its ``people`` and the descriptions that stand for them,
``references``), whose findings ``claim_findings`` makes. Shared by them: ``text``
(tokens and word lists), ``sentences`` (and clauses), ``datelines`` and ``stems``
(words lemmatised lightly). ``checker`` puts them together.
"""

from __future__ import annotations

from newsum.modeling.faithfulness.checker import (
    ArticleIndex,
    FaithfulnessChecker,
    RuleChecker,
    check_summary,
    index_article,
    support_counts,
)
from newsum.modeling.faithfulness.verdict import (
    ArticleText,
    Finding,
    FindingKind,
    LengthBounds,
    SupportCounts,
    Verdict,
    normalize_language,
)

__all__ = [
    "ArticleIndex",
    "ArticleText",
    "FaithfulnessChecker",
    "Finding",
    "FindingKind",
    "LengthBounds",
    "RuleChecker",
    "SupportCounts",
    "Verdict",
    "check_summary",
    "index_article",
    "normalize_language",
    "support_counts",
]
