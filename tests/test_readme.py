"""The README documents every setting this version has."""

from __future__ import annotations

from pathlib import Path

from newsum.config import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_settings_table_is_the_current_one() -> None:
    assert settings_table() in README.read_text(), "regenerate with: newsum config --table"


def test_readme_opens_with_the_two_commands() -> None:
    opening = README.read_text().split("```")[1]
    assert "newsum demo" in opening
    assert "bash .ci/run" in opening
