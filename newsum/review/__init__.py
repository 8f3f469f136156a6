"""The editors' review: the JSON review API, the page at /review, its sessions and logins,
the marking of unsupported facts, and the ``newsum editors`` accounts command.

``actions`` is what an approve, edit or reject does, the same for the API and the page.
"""
