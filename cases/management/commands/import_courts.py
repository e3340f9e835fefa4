"""Regenerate fixtures/courts.json: every current federal court the tracker needs, with its route
of appeal, taken from Free Law Project's courts-db and keyed by the CourtListener id.

The fixture holds the Supreme Court, the 13 courts of appeals, the 94 district courts (including
the territorial district courts of Guam, the Northern Mariana Islands and the Virgin Islands) and
the two specialised trial courts that appeal to the Federal Circuit. Bankruptcy courts, BAPs,
military and other special tribunals, and abolished courts are left out.

courts-db is patchy for district courts: many have no `appeal_to`, some are typed "appellate",
and a few have wrong dates. So every district's level is set here, its route is taken from the
statute (28 U.S.C. § 41, in CIRCUIT_FOR_PLACE below) rather than from courts-db, and the known
date errors are corrected in STILL_SITTING and ABOLISHED. The command fails unless it ends with
exactly 1 supreme court, 13 courts of appeals and 94 district courts.

Usage: python manage.py import_courts [--output PATH]
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import Court, CourtLevel

DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "fixtures" / "courts.json"

SUPREME_COURT = "scotus"
FEDERAL_CIRCUIT = "cafc"
# In the fixture's order: the numbered circuits, then the D.C. and Federal Circuits.
COURTS_OF_APPEALS = [f"ca{n}" for n in range(1, 12)] + ["cadc", FEDERAL_CIRCUIT]
# Specialised trial courts whose decisions go to the Federal Circuit (28 U.S.C. § 1295(a)(3), (5)):
# the Court of Federal Claims and the Court of International Trade.
SPECIAL_TRIAL_COURTS = ["uscfc", "cit"]
EXPECTED_DISTRICTS = 94

# 28 U.S.C. § 41 (number and composition of circuits): each state or territory's districts belong
# to one regional circuit. Two departures from the section's text:
# - § 41 still lists the "District of the Canal Zone" in the Fifth Circuit; that court was
#   abolished in 1982, so it is left out.
# - The Northern Mariana Islands are not named in § 41; the Covenant with the Northern Mariana
#   Islands, § 401 (48 U.S.C. § 1801 note), puts them in the same circuit as Guam, the Ninth.
CIRCUIT_FOR_PLACE: dict[str, str] = {
    "District of Columbia": "cadc",
    # First Circuit
    "Maine": "ca1",
    "Massachusetts": "ca1",
    "New Hampshire": "ca1",
    "Puerto Rico": "ca1",
    "Rhode Island": "ca1",
    # Second Circuit
    "Connecticut": "ca2",
    "New York": "ca2",
    "Vermont": "ca2",
    # Third Circuit
    "Delaware": "ca3",
    "New Jersey": "ca3",
    "Pennsylvania": "ca3",
    "Virgin Islands": "ca3",
    # Fourth Circuit
    "Maryland": "ca4",
    "North Carolina": "ca4",
    "South Carolina": "ca4",
    "Virginia": "ca4",
    "West Virginia": "ca4",
    # Fifth Circuit
    "Louisiana": "ca5",
    "Mississippi": "ca5",
    "Texas": "ca5",
    # Sixth Circuit
    "Kentucky": "ca6",
    "Michigan": "ca6",
    "Ohio": "ca6",
    "Tennessee": "ca6",
    # Seventh Circuit
    "Illinois": "ca7",
    "Indiana": "ca7",
    "Wisconsin": "ca7",
    # Eighth Circuit
    "Arkansas": "ca8",
    "Iowa": "ca8",
    "Minnesota": "ca8",
    "Missouri": "ca8",
    "Nebraska": "ca8",
    "North Dakota": "ca8",
    "South Dakota": "ca8",
    # Ninth Circuit
    "Alaska": "ca9",
    "Arizona": "ca9",
    "California": "ca9",
    "Idaho": "ca9",
    "Montana": "ca9",
    "Nevada": "ca9",
    "Oregon": "ca9",
    "Washington": "ca9",
    "Guam": "ca9",
    "Hawaii": "ca9",
    "Northern Mariana Islands": "ca9",
    # Tenth Circuit
    "Colorado": "ca10",
    "Kansas": "ca10",
    "New Mexico": "ca10",
    "Oklahoma": "ca10",
    "Utah": "ca10",
    "Wyoming": "ca10",
    # Eleventh Circuit
    "Alabama": "ca11",
    "Florida": "ca11",
    "Georgia": "ca11",
}

# courts-db spellings of places that differ from the statute's.
PLACE_ALIASES: dict[str, str] = {
    "Washington D.C.": "District of Columbia",
    "Washignton D.C.": "District of Columbia",
}

# Corrections to courts-db's dates.
# Sitting courts that courts-db records as ended:
STILL_SITTING: dict[str, str] = {
    "njd": "abolished in 1801 but re-established in 1802; courts-db keeps only the 1789-1801 span",
}
# Abolished courts that courts-db records without an end date:
ABOLISHED: dict[str, str] = {
    "ncd": "North Carolina has been divided into districts since 1872",
    "okd": "Oklahoma has been divided into districts since statehood (1907)",
    "wvad": "West Virginia was divided into two districts in 1901",
}

# Citation abbreviations (Bluebook table T1) where courts-db's are misspelt or not abbreviated.
CITATION_FIXES: dict[str, str] = {
    "ca3": "3d Cir.",
    "cit": "Ct. Int'l Trade",
    "mdd": "D. Md.",
    "mnd": "D. Minn.",
    "nmid": "D. N. Mar. I.",
    "nyed": "E.D.N.Y.",
    "pamd": "M.D. Pa.",
    "wvsd": "S.D.W. Va.",
}

# Home pages courts-db lacks or gives wrongly (a dead address, or the judiciary's front page).
URL_FIXES: dict[str, str] = {
    "nmd": "https://www.nmd.uscourts.gov/",
    "okwd": "https://www.okwd.uscourts.gov/",
    "uscfc": "https://www.uscfc.uscourts.gov/",
}

# A district court's id: the state's postal code, an optional division letter, then "d".
DISTRICT_ID = re.compile(r"[a-z]{2}[nsewmc]?d")
DIVISION_ABBREVIATIONS = {
    "Northern": "N.D.",
    "Southern": "S.D.",
    "Eastern": "E.D.",
    "Western": "W.D.",
    "Middle": "M.D.",
    "Central": "C.D.",
}
_DIVISION = "|".join(DIVISION_ABBREVIATIONS)
# "United States District Court for the Northern District of California" and the like.
LONG_DISTRICT_NAME = re.compile(
    rf"United States District Court,? (?:for )?(?:the )?(?:(?P<division>{_DIVISION}) )?"
    r"District of (?P<place>.+)"
)
# "United States District Court, Oklahoma Eastern" and "United States District Court, Nebraska".
SHORT_DISTRICT_NAME = re.compile(
    rf"United States District Court, (?P<place>.+?)(?: (?P<division>{_DIVISION}))?"
)

Record = dict[str, Any]


def appeal_targets(court: Record) -> list[str]:
    """courts-db's `appeal_to`, which may be missing, a string or a list."""
    value = court.get("appeal_to") or []
    return [value] if isinstance(value, str) else list(value)


def is_current(court: Record) -> bool:
    """Whether the court sits today: some span in its `dates` has no end (after corrections)."""
    if court["id"] in STILL_SITTING:
        return True
    if court["id"] in ABOLISHED:
        return False
    spans = court.get("dates") or []
    return not spans or any(not span.get("end") for span in spans)


def is_district_court(court: Record) -> bool:
    """Whether a federal, non-bankruptcy courts-db record is a district court."""
    if court["id"] == "usdistct":  # courts-db's umbrella entry for all district courts
        return False
    return (
        court.get("parent") == "usdistct"
        or DISTRICT_ID.fullmatch(court["id"]) is not None
        or "District Court" in court["name"]
    )


def place_of(court: Record) -> str:
    location = (court.get("location") or "").strip()
    return PLACE_ALIASES.get(location, location)


def district_name(name: str) -> str:
    """CourtListener's style of district court name, e.g. "District Court, N.D. California"."""
    name = " ".join(name.split())
    if name.startswith("District Court, "):
        return name
    match = LONG_DISTRICT_NAME.fullmatch(name) or SHORT_DISTRICT_NAME.fullmatch(name)
    if match is None:
        raise CommandError(f"Cannot read the district court name {name!r}.")
    division = match["division"]
    prefix = DIVISION_ABBREVIATIONS[division] if division else "D."
    return f"District Court, {prefix} {match['place']}"


def circuit_name(name: str) -> str:
    """CourtListener's style of circuit name, e.g. "Court of Appeals for the Ninth Circuit"."""
    return " ".join(name.split()).removeprefix("United States ")


class Command(BaseCommand):
    help = "Regenerate the courts fixture (federal courts and appeal routes) from courts-db."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=DEFAULT_OUTPUT,
            help=f"Where to write the fixture (default: {DEFAULT_OUTPUT}).",
        )

    def handle(self, *args: Any, output: Path | str, **options: Any) -> None:
        try:  # courts-db is a development dependency, not needed to run the site
            from courts_db import courts
        except ImportError:
            raise CommandError("courts-db is not installed: pip install -e '.[dev]'") from None
        output = Path(output)

        federal = [
            court
            for court in courts
            if court.get("system") == "federal" and court.get("type") != "bankruptcy"
        ]
        by_id = {court["id"]: court for court in federal}

        records = [self.record(self.sitting(by_id, SUPREME_COURT), CourtLevel.SUPREME, None)]
        for court_id in COURTS_OF_APPEALS:
            court = self.sitting(by_id, court_id)
            records.append(self.record(court, CourtLevel.APPELLATE, SUPREME_COURT))

        districts = sorted(
            (court for court in federal if is_district_court(court) and is_current(court)),
            key=lambda court: court["id"],
        )
        for court in districts:
            records.append(self.record(court, CourtLevel.DISTRICT, self.circuit_for(court)))

        for court_id in SPECIAL_TRIAL_COURTS:
            court = self.sitting(by_id, court_id)
            records.append(self.record(court, CourtLevel.SPECIAL, FEDERAL_CIRCUIT))

        self.check_counts(records)
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {len(records)} courts to {output}: 1 supreme court, "
                f"{len(COURTS_OF_APPEALS)} courts of appeals, {len(districts)} district courts, "
                f"{len(SPECIAL_TRIAL_COURTS)} specialised trial courts."
            )
        )

    def sitting(self, by_id: dict[str, Record], court_id: str) -> Record:
        """The courts-db record of a court that must exist and still sit."""
        court = by_id.get(court_id)
        if court is None:
            raise CommandError(f"courts-db has no federal court {court_id!r}.")
        if not is_current(court):
            raise CommandError(f"courts-db records {court_id!r} as abolished.")
        return court

    def circuit_for(self, district: Record) -> str:
        """The district's court of appeals under 28 U.S.C. § 41; warn where courts-db differs."""
        place = place_of(district)
        circuit = CIRCUIT_FOR_PLACE.get(place)
        if circuit is None:
            raise CommandError(
                f"District court {district['id']!r} is in {place!r}, which 28 U.S.C. § 41 "
                "does not assign to a circuit."
            )
        claimed = appeal_targets(district)
        if district.get("federal_circuit"):
            claimed.append(f"ca{district['federal_circuit']}")
        for other in sorted(set(claimed) - {circuit}):
            self.stderr.write(
                self.style.WARNING(
                    f"courts-db routes {district['id']} to {other}; "
                    f"28 U.S.C. § 41 puts {place} in {circuit}, which is used."
                )
            )
        return circuit

    def record(self, court: Record, level: str, appeals_to: str | None) -> Record:
        """One fixture entry, checked against the model's field rules."""
        court_id = court["id"]
        if level == CourtLevel.DISTRICT:
            name = district_name(court["name"])
        elif level == CourtLevel.APPELLATE:
            name = circuit_name(court["name"])
        else:
            name = " ".join(court["name"].split())
        fields = {
            "name": name,
            "citation_string": CITATION_FIXES.get(court_id, court.get("citation_string") or ""),
            "level": str(level),
            "appeals_to": appeals_to,
            "location": place_of(court),
            "url": URL_FIXES.get(court_id, court.get("court_url") or ""),
        }
        instance = Court(id=court_id, **{k: v for k, v in fields.items() if k != "appeals_to"})
        try:
            instance.full_clean(
                exclude=["appeals_to"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            raise CommandError(f"Court {court_id!r} is not valid: {error.message_dict}") from None
        return {"model": "cases.court", "pk": court_id, "fields": fields}

    def check_counts(self, records: list[Record]) -> None:
        """Fail loudly unless the fixture is complete, consistent and in loadable order."""
        counts = Counter(entry["fields"]["level"] for entry in records)
        expected = {
            CourtLevel.SUPREME: 1,
            CourtLevel.APPELLATE: len(COURTS_OF_APPEALS),
            CourtLevel.DISTRICT: EXPECTED_DISTRICTS,
            CourtLevel.SPECIAL: len(SPECIAL_TRIAL_COURTS),
        }
        for level, number in expected.items():
            if counts[level] != number:
                raise CommandError(
                    f"Expected {number} courts of level {level!r}, found {counts[level]}."
                )

        places = {e["fields"]["location"] for e in records if e["fields"]["level"] == "district"}
        if missing := sorted(set(CIRCUIT_FOR_PLACE) - places):
            raise CommandError(f"No district court found for: {', '.join(missing)}.")

        seen: set[str] = set()
        for entry in records:
            target = entry["fields"]["appeals_to"]
            if target is not None and target not in seen:
                raise CommandError(f"{entry['pk']} appeals to {target}, which is not before it.")
            if entry["pk"] in seen:
                raise CommandError(f"Court {entry['pk']!r} appears twice.")
            seen.add(entry["pk"])
