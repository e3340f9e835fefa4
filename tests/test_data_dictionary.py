"""The README documents every column of every export, exactly as the exports write them."""

from pathlib import Path

from cases.management.commands.data_dictionary import data_dictionary

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_holds_the_current_data_dictionary():
    assert data_dictionary() in README.read_text(encoding="utf-8"), (
        "README.md's data dictionary is out of date: "
        "paste the output of `python manage.py data_dictionary` into it."
    )
