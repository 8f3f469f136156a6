"""The sandbox: what lets newsum run offline with no model hub and no newsroom.

The synthetic English and Portuguese corpus (``corpus``, its words in ``corpus_text``),
written from fact records so that a summary's truth can be measured; the tiny
Llama-architecture model and its tokenizer (``tiny``) with its one recipe (``recipe``);
and ``newsum demo`` (``demo``), which runs every job of the product on them. Nothing in
the product imports this package; it imports the product.
"""
