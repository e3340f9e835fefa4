"""The CSV formula guard: a cell that a spreadsheet could read as a formula is prefixed with an
apostrophe, even when the formula hides behind leading spaces or invisible characters or is
written with full-width signs. Checked on both export paths (Python, and PostgreSQL's COPY) and
by LibreOffice itself opening a downloaded file."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
from django.db import connection

from cases import exports
from cases.exports import FORMULA_HIDDEN, FORMULA_LOOKALIKES, neutralise
from tests.factories import RulingFactory

LEADERS = {
    "space": " ",
    "two spaces": "  ",
    "tab": "\t",
    "no-break space": "\u00a0",
    "ideographic space": "\u3000",
    "zero-width space": "\u200b",
    "byte order mark": "\ufeff",
    "word joiner": "\u2060",
    "left-to-right mark": "\u200e",
    "soft hyphen": "\u00ad",
    "narrow no-break space": "\u202f",
    "space then zero-width space": " \u200b",
}
SIGNS = {
    "=": "=",
    "+": "+",
    "-": "-",
    "@": "@",
    "full-width =": "\uff1d",
    "full-width +": "\uff0b",
    "full-width -": "\uff0d",
    "full-width @": "\uff20",
    "small =": "\ufe66",
    "minus sign": "\u2212",
}
# Every cell the issue reported, and more of the kind: (label, cell text).
HIDDEN_FORMULAS = [
    (f"{leader} before {sign}", f"{lead}{mark}1+1")
    for leader, lead in LEADERS.items()
    for sign, mark in SIGNS.items()
] + [(f"sign {sign} alone", f"{mark}1+1") for sign, mark in SIGNS.items() if len(mark) == 1]
HARMLESS = [" Orrick", "\u00a0Orrick", "\u3000東京", "a=b", "1-2", "Orrick, J.", "", "'=1"]

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the COPY export path is PostgreSQL's (CI runs this file again on PostgreSQL)",
)


def in_ranges(code: int, ranges) -> bool:
    return any(a <= code <= b for a, b in ranges)


@pytest.mark.parametrize(("label", "text"), HIDDEN_FORMULAS, ids=[h[0] for h in HIDDEN_FORMULAS])
def test_neutralise_prefixes_a_formula_behind_invisible_characters(label, text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_neutralise_leaves_text_that_is_no_formula(text):
    assert neutralise(text) == text


def test_every_invisible_character_and_every_look_alike_is_covered():
    """Every space, control and format character may lead a formula; every character whose
    compatibility form is = + - @ is one."""
    for code in range(1, 0x110000):
        char = chr(code)
        if unicodedata.category(char) in {"Zs", "Zl", "Zp", "Cc", "Cf"}:
            assert in_ranges(code, FORMULA_HIDDEN), f"U+{code:04X} {unicodedata.name(char, '')}"
        if unicodedata.normalize("NFKC", char)[:1] in {"=", "+", "-", "@"} and code > 0x7F:
            assert in_ranges(code, FORMULA_LOOKALIKES), f"U+{code:04X} {unicodedata.name(char)}"


def judges_cells(client) -> dict[str, str]:
    response = client.get("/rulings/?format=csv&sort=decided_on")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    return {row["summary"]: row["judges"] for row in csv.DictReader(io.StringIO(text))}


@pytest.fixture
def rulings(db):
    """One ruling per hidden formula and per harmless text, the text in its judges."""
    cells = dict(HIDDEN_FORMULAS)
    cells.update({f"harmless {i}": text for i, text in enumerate(HARMLESS)})
    for label, text in cells.items():
        RulingFactory(judges=text, summary=label)
    return cells


def check_cells(cells: dict[str, str], downloaded: dict[str, str]) -> None:
    assert downloaded.keys() == cells.keys()
    for label, text in cells.items():
        expected = text if label.startswith("harmless") else "'" + text
        assert downloaded[label] == expected, label


def test_the_export_neutralises_hidden_formulas(client, rulings):
    # On PostgreSQL this is the COPY path, on SQLite the Python one.
    check_cells(rulings, judges_cells(client))


@postgresql_only
def test_the_python_path_on_postgresql_neutralises_them_too(client, rulings, monkeypatch):
    through_copy = judges_cells(client)
    monkeypatch.setattr(exports, "copy_supported", lambda spec: False)
    through_python = judges_cells(client)

    check_cells(rulings, through_python)
    assert through_copy == through_python


# --- LibreOffice opens the file ------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# LibreOffice's CSV import options: comma, double quote, UTF-8, from line 1, standard cells,
# English (US), quoted fields not forced to text, special numbers detected, (export-only
# options), spaces trimmed, (export-only option), and formulas evaluated: the import most
# willing to turn a cell into a formula.
CSV_IMPORT = "CSV:44,34,76,1,,1033,false,true,false,false,true,-1,true"


def require_soffice() -> str:
    if SOFFICE:
        return SOFFICE
    reason = (
        "LibreOffice (soffice) is missing: install it with "
        "`apt-get install -y libreoffice-calc-nogui`"
    )
    if os.environ.get("REQUIRE_LIBREOFFICE", "").strip().lower() in {"1", "true", "yes", "on"}:
        pytest.fail(f"{reason} (REQUIRE_LIBREOFFICE=1)", pytrace=False)
    pytest.skip(f"{reason} (REQUIRE_LIBREOFFICE=1 makes this a failure)")


def formula_cells(soffice: str, tmp_path: Path, files: list[Path]) -> dict[str, list[str]]:
    """Open each CSV in headless LibreOffice, save it as .xlsx, and list its formula cells."""
    out = tmp_path / "out"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            f"--infilter={CSV_IMPORT}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    found = {}
    for file in files:
        with zipfile.ZipFile(out / f"{file.stem}.xlsx") as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
        found[file.name] = re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]*><f', sheet)
    return found


def download(client, path: Path) -> Path:
    response = client.get("/rulings/?format=csv")
    path.write_bytes(b"".join(response.streaming_content))
    return path


def test_libreoffice_finds_no_formula_in_an_export(client, rulings, tmp_path, monkeypatch):
    soffice = require_soffice()
    files = [download(client, tmp_path / "export.csv")]
    if exports.copy_supported(exports.RULING_EXPORT):
        monkeypatch.setattr(exports, "copy_supported", lambda spec: False)
        files.append(download(client, tmp_path / "python-path.csv"))
    # The same cells saved again with quotes only where needed (as many tools re-save a CSV):
    # LibreOffice then trims the spaces around unquoted fields.
    requoted = tmp_path / "requoted.csv"
    rows = list(csv.reader(io.StringIO(files[0].read_text(encoding="utf-8"))))
    with requoted.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    files.append(requoted)
    # The control: cells left unguarded, which LibreOffice does read as formulas (the second
    # one through its leading space).
    control = tmp_path / "unguarded.csv"
    control.write_text("judges\n=1+1\n =1+1\nOrrick\n", encoding="utf-8")

    found = formula_cells(soffice, tmp_path, [*files, control])

    assert found["unguarded.csv"] == ["A2", "A3"]
    for file in files:
        assert found[file.name] == [], file.name
