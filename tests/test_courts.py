"""The shipped courts fixture: every federal court is present and routes its appeals correctly,
and the fixture is exactly what `manage.py import_courts` generates from courts-db."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from cases.management.commands import import_courts
from cases.management.commands.import_courts import CIRCUIT_FOR_PLACE
from cases.models import Court, CourtLevel

pytestmark = pytest.mark.django_db

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "courts.json"


@pytest.fixture
def courts(court_data) -> None:
    """Every federal court, as shipped (shared by the tests that only read them)."""


def route(court_id: str) -> str | None:
    return Court.objects.get(pk=court_id).appeals_to_id


@pytest.mark.parametrize(
    ("district", "circuit"),
    [
        ("cand", "ca9"),
        ("cacd", "ca9"),
        ("ilnd", "ca7"),
        ("paed", "ca3"),
        ("dcd", "cadc"),
        ("gud", "ca9"),
        ("nmid", "ca9"),
        ("vid", "ca3"),
        ("prd", "ca1"),
        ("vtd", "ca2"),
    ],
)
def test_a_district_court_appeals_to_its_circuit(courts, district: str, circuit: str) -> None:
    assert route(district) == circuit


def test_the_eastern_district_of_pennsylvania_is_a_district_court(courts) -> None:
    assert Court.objects.get(pk="paed").level == CourtLevel.DISTRICT


def test_every_court_of_appeals_routes_to_the_supreme_court(courts) -> None:
    circuits = Court.objects.filter(level=CourtLevel.APPELLATE)
    assert circuits.exists()
    assert {circuit.appeals_to_id for circuit in circuits} == {"scotus"}


def test_the_supreme_court_routes_nowhere(courts) -> None:
    scotus = Court.objects.get(pk="scotus")
    assert scotus.level == CourtLevel.SUPREME
    assert scotus.appeals_to is None


def test_every_district_court_routes_to_a_regional_court_of_appeals(courts) -> None:
    for district in Court.objects.filter(level=CourtLevel.DISTRICT).select_related("appeals_to"):
        assert district.appeals_to is not None, district.pk
        assert district.appeals_to.level == CourtLevel.APPELLATE, district.pk
        assert district.appeals_to_id != "cafc", district.pk


def test_the_specialised_trial_courts_route_to_the_federal_circuit(courts) -> None:
    specials = Court.objects.filter(level=CourtLevel.SPECIAL)
    assert {court.pk: court.appeals_to_id for court in specials} == {
        "uscfc": "cafc",
        "cit": "cafc",
    }


def test_there_are_thirteen_courts_of_appeals_and_ninety_four_district_courts(courts) -> None:
    assert Court.objects.filter(level=CourtLevel.APPELLATE).count() == 13
    assert Court.objects.filter(level=CourtLevel.DISTRICT).count() == 94
    assert Court.objects.filter(level=CourtLevel.SUPREME).count() == 1


def test_abolished_and_bankruptcy_courts_are_left_out(courts) -> None:
    for court_id in ["okd", "ncd", "wvad", "illinoisd", "californiad", "canalzoned", "cacb"]:
        assert not Court.objects.filter(pk=court_id).exists(), court_id


def test_every_district_routes_as_28_usc_41_assigns_its_state(courts) -> None:
    for district in Court.objects.filter(level=CourtLevel.DISTRICT):
        assert district.location in CIRCUIT_FOR_PLACE, district.pk
        assert district.appeals_to_id == CIRCUIT_FOR_PLACE[district.location], district.pk


def test_every_state_and_territory_in_the_statute_has_a_district_court(courts) -> None:
    places = set(Court.objects.filter(level=CourtLevel.DISTRICT).values_list("location", flat=True))
    assert places == set(CIRCUIT_FOR_PLACE)


def test_the_command_reproduces_the_committed_fixture_byte_for_byte(tmp_path: Path) -> None:
    output = tmp_path / "courts.json"
    call_command("import_courts", output=output, stdout=StringIO(), stderr=StringIO())
    assert output.read_bytes() == FIXTURE.read_bytes()


def test_the_command_fails_loudly_when_a_district_court_goes_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the correction, courts-db's dates would drop the District of New Jersey.
    monkeypatch.setattr(import_courts, "STILL_SITTING", {})
    output = tmp_path / "courts.json"
    with pytest.raises(CommandError, match="Expected 94"):
        call_command("import_courts", output=output, stdout=StringIO(), stderr=StringIO())
    assert not output.exists()


def test_the_command_warns_where_courts_db_disagrees_with_the_statute(tmp_path: Path) -> None:
    stderr = StringIO()
    call_command("import_courts", output=tmp_path / "courts.json", stdout=StringIO(), stderr=stderr)
    assert "courts-db routes vtd to ca1" in stderr.getvalue()
