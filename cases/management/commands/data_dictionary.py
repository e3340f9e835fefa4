"""Print the data dictionary of every export as Markdown (it is pasted into the README).

`tests/test_data_dictionary.py` fails when the README and the export columns drift apart.
"""

from django.core.management.base import BaseCommand

from cases import models
from cases.exports import EXPORTS
from cases.status import StatusCode

TYPES = {
    "text": "text",
    "date": "date (YYYY-MM-DD)",
    "integer": "integer",
    "list": "list (CSV: joined by `; `, JSON: array)",
    "records": "list of objects (CSV: one text each, joined by `; `; JSON: array of objects)",
    "url": "URL",
    "derived": "text (computed from the rulings)",
}

CODES = [
    ("rulings `kind`", models.RulingKind),
    ("rulings `outcome`", models.RulingOutcome),
    ("rulings `scope`", models.RulingScope),
    ("rulings `disposition`", models.Disposition),
    ("rulings `effects`", models.Effect),
    ("lawsuits `status`", models.LawsuitStatus),
    ("`*_precision`", models.DatePrecision),
    ("policies `kind`", models.PolicyKind),
    ("policies `status`", StatusCode),
    ("policies `end_kind`", models.PolicyEnd),
    ("courts `level`", models.CourtLevel),
    ("jurisdictions `kind`", models.JurisdictionKind),
]


def data_dictionary() -> str:
    lines: list[str] = []
    for spec in EXPORTS:
        lines += [
            f"#### `/{spec.name}/?format=csv` (or `format=json`)",
            "",
            "| column | type | meaning |",
            "| --- | --- | --- |",
        ]
        lines += [
            f"| `{column.name}` | {TYPES[column.kind]} | {column.description} |"
            for column in spec.columns
        ]
        lines.append("")
    lines += ["#### Codes", "", "| column | code | meaning |", "| --- | --- | --- |"]
    for column, choices in CODES:
        lines += [
            f"| {column} | `{value}` | {label} |" for value, label in choices.choices if value
        ]
    lines.append("")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print the export data dictionary as Markdown."

    def handle(self, *args, **options):
        self.stdout.write(data_dictionary())
