"""The check a summary of an adapter must pass to be published, in one place.

The worker publishes by it, the evaluation reports it, generation retries against it and
an editor's edit is held by it; a stronger checker configured here reaches all four.
Torch-free, so that the API can check an edit without loading a model library.
"""

from __future__ import annotations

from newsum.modeling.faithfulness import FaithfulnessChecker, LengthBounds, RuleChecker
from newsum.modeling.manifest import AdapterManifest


def summary_checker(manifest: AdapterManifest) -> FaithfulnessChecker:
    """The faithfulness check with the manifest's length budget and prompt."""
    return RuleChecker(
        bounds=LengthBounds.from_max_tokens(manifest.max_new_tokens), template=manifest.prompt
    )
