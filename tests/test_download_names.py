"""Downloads are named after what they hold: the list, its filters, and the server's today."""

import datetime
import re

import pytest
from django.utils import timezone

from cases.listing import FILENAME_STEM_LIMIT
from tests.factories import PolicyFactory, RulingFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 30)
SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """The server's today, fixed: the names must not depend on when the test runs."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


def filename(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    b"".join(response.streaming_content)
    match = re.fullmatch(r'attachment; filename="([^"]+)"', response["Content-Disposition"])
    assert match, response["Content-Disposition"]
    return match.group(1)


def test_a_download_is_named_after_its_filters_and_today(client, court_data):
    RulingFactory()

    name = filename(client, "/rulings/?court=ilnd&kind=preliminary_injunction&format=csv")

    assert name == "rulings-ilnd-preliminary_injunction-2026-11-30.csv"


def test_an_unfiltered_download_keeps_the_plain_name(client, court_data):
    assert filename(client, "/rulings/?format=json") == "rulings-2026-11-30.json"
    assert filename(client, "/lawsuits/?format=csv&sort=caption&q=") == "lawsuits-2026-11-30.csv"


def test_dates_text_and_records_are_named_with_their_parameter(client, court_data):
    PolicyFactory(slug="jag-conditions")

    name = filename(
        client,
        "/rulings/?policy=jag-conditions&decided_after=2017-09-01&q=Chicago+v.+Sessions&format=csv",
    )

    assert name == (
        "rulings-q_Chicago_v._Sessions-decided_after_2017-09-01-jag_conditions-2026-11-30.csv"
    )


def test_a_long_or_odd_query_gives_a_short_safe_name(client, court_data):
    ids = ["ilnd", "cand", "paed", "nysd", "wawd", "mad", "ord", "txsd", "flsd", "cacd", "nyed"]
    courts = "&".join(f"court={c}" for c in ids)
    many = filename(client, f"/rulings/?{courts}&q=%22%3B+rm+-rf+%2F%3Cx%3E&format=csv")
    fewer = filename(client, f"/rulings/?{courts}&court=mdd&format=csv")

    for name in (many, fewer):
        assert SAFE_NAME.fullmatch(name), name
        assert len(name) <= FILENAME_STEM_LIMIT + len("-2026-11-30.csv")
        assert name.startswith("rulings-")
        assert "-ilnd-cand-" in name
        assert name.endswith("-2026-11-30.csv")
    assert many != fewer  # a cut name still tells two downloads apart
