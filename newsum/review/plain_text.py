"""What an editor may publish: plain text, without HTML or links.

newsum refuses such a text rather than storing it escaped. Escaping would be right for
a CMS that renders HTML and wrong for every other reader of the summary (an app, a feed,
the training data of the next model version), which would show ``&lt;b&gt;`` to people
and teach the model to write entities. A refusal keeps the stored text plain for every
reader, and the editor learns at once what to change. The generated summaries never
hold markup the article lacks (the decoding copies facts from the article).
"""

from __future__ import annotations

import re

# A tag, comment, doctype or processing instruction: "<" followed by a letter, "/", "!"
# or "?". A lone "<" in "fewer than 3 < 5" stays allowed.
_TAG = re.compile(r"<\s*[A-Za-z/!?]")
# A named or numeric character reference, which a renderer would decode into markup.
_ENTITY = re.compile(r"&(#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
# A link: a URL scheme (http, https, ftp, javascript, data, mailto...), "www.", or the
# Markdown and wiki ways of writing one.
_LINK = re.compile(
    r"\b(https?|ftp|javascript|vbscript|data|mailto|file):|\bwww\.|\]\(|\[\[",
    re.IGNORECASE,
)


def markup_problem(text: str) -> str | None:
    """Why ``text`` cannot be published as an editor's summary, or None when it can."""
    if _TAG.search(text) or _ENTITY.search(text):
        return "a summary is plain text: remove the HTML (tags or character entities)"
    if _LINK.search(text):
        return "a summary holds no links: remove the web address or link"
    return None
