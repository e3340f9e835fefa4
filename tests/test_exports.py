"""CSV and JSON downloads: exactly the filtered rows, all of them, in the page's order."""

import csv
import datetime
import io
import json

import pytest
from django.utils import timezone

from cases.exports import EXPORTS, FORMULA_TRIGGERS, neutralise
from cases.models import Court, Effect, Reach
from tests.factories import (
    JurisdictionFactory,
    LawsuitFactory,
    PolicyFactory,
    PolicyPartFactory,
    RulingEffectFactory,
    RulingFactory,
)

pytestmark = pytest.mark.django_db

LISTS = ["rulings", "lawsuits", "policies", "programs", "courts", "jurisdictions"]


@pytest.fixture
def courts(court_data):
    return {pk: Court.objects.get(pk=pk) for pk in ("cand", "ilnd", "ca7")}


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300] if not response.streaming else url
    assert response.streaming  # streamed, never built in memory
    return response, b"".join(response.streaming_content).decode("utf-8")


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_exactly_the_filtered_rows_in_the_page_order(client, courts):
    for day in range(1, 61):  # more rows than one page
        RulingFactory(
            court=courts["ilnd"],
            decided_on=datetime.date(2018, 1, 1) + datetime.timedelta(days=day),
        )
    RulingFactory(court=courts["cand"])

    page = client.get("/rulings/?court=ilnd&sort=decided_on")
    _, text = download(client, "/rulings/?court=ilnd&sort=decided_on&format=csv")
    rows = read_csv(text)

    assert page.context["count"] == 60 == len(rows)
    assert {row["court_id"] for row in rows} == {"ilnd"}
    shown = [r.get_absolute_url() for r in page.context["rows"]]
    assert [row["url"].removeprefix("http://testserver") for row in rows[:50]] == shown
    assert [row["decided_on"] for row in rows] == sorted(row["decided_on"] for row in rows)


def test_csv_columns_iso_dates_permanent_urls_and_related_names(client, courts):
    policy = PolicyFactory(short_title="EO 13768 §9(a)")
    county = JurisdictionFactory(name="County of Santa Clara")
    first = LawsuitFactory(
        caption="County of Santa Clara v. Trump", court=courts["cand"], plaintiffs=[county]
    )
    second = LawsuitFactory(
        caption="City and County of San Francisco v. Trump", court=courts["cand"]
    )
    ruling = RulingFactory(
        court=courts["cand"],
        lawsuits=[first, second],
        decided_on=datetime.date(2017, 11, 20),
        citation="275 F. Supp. 3d 1196",
        judges="Orrick",
    )
    RulingEffectFactory(ruling=ruling, policy=policy, effect=Effect.BLOCKS)

    response, text = download(client, "/rulings/?format=csv")
    (row,) = read_csv(text)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="rulings-{today}.csv"'
    assert text.splitlines()[0].startswith('"id","url","decided_on","court_id","court"')
    assert row["url"] == f"http://testserver/rulings/{ruling.pk}/"
    assert row["decided_on"] == "2017-11-20"
    assert row["court"] == "District Court, N.D. California"
    assert (
        row["lawsuits"]
        == "County of Santa Clara v. Trump; City and County of San Francisco v. Trump"
    )
    assert row["effects"] == "EO 13768 §9(a): blocks (protects nationwide)"
    assert row["citation"] == "275 F. Supp. 3d 1196"


def test_every_field_is_quoted(client, courts):
    RulingFactory(court=courts["ilnd"])

    _, text = download(client, "/rulings/?format=csv")

    for line in text.splitlines():
        assert line.startswith('"') and line.endswith('"')


# NUL cannot be stored in PostgreSQL text, so it goes through neutralise() alone (below).
@pytest.mark.parametrize("trigger", [t for t in FORMULA_TRIGGERS if t != "\0"] + ["=="])
def test_cells_that_start_like_a_formula_are_neutralised(client, courts, trigger):
    LawsuitFactory(caption=f'{trigger}HYPERLINK("http://evil")', court=courts["cand"])

    _, text = download(client, "/lawsuits/?format=csv")
    (row,) = read_csv(text)

    assert row["caption"] == f'\'{trigger}HYPERLINK("http://evil")'


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_neutralise_prefixes_every_formula_trigger(trigger):
    assert neutralise(f"{trigger}1+1") == f"'{trigger}1+1"


def test_ordinary_text_is_left_alone():
    assert neutralise("City of Chicago") == "City of Chicago"
    assert neutralise("") == ""
    assert neutralise("a=b") == "a=b"


def test_json_export_has_the_same_rows_and_lists_for_related_names(client, courts):
    first = LawsuitFactory(caption="A v. B", court=courts["ilnd"])
    second = LawsuitFactory(caption="C v. D", court=courts["ilnd"])
    RulingFactory(court=courts["ilnd"], lawsuits=[first, second])
    RulingFactory(court=courts["cand"])

    response, text = download(client, "/rulings/?court=ilnd&format=json")
    records = json.loads(text)

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith(f'-{timezone.localdate():%Y-%m-%d}.json"')
    assert len(records) == 1
    assert records[0]["lawsuits"] == ["A v. B", "C v. D"]
    assert records[0]["court_id"] == "ilnd"


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_every_list_exports(client, courts, name, fmt):
    RulingFactory(court=courts["ilnd"])

    _, text = download(client, f"/{name}/?format={fmt}")

    spec = next(spec for spec in EXPORTS if spec.name == name)
    if fmt == "csv":
        assert next(csv.reader(io.StringIO(text))) == spec.headers
    else:
        records = json.loads(text)
        assert all(list(record) == spec.headers for record in records)


def test_an_empty_result_is_a_header_only_csv(client, courts):
    _, text = download(client, "/rulings/?court=ca7&format=csv")

    assert read_csv(text) == []
    assert text.startswith('"id"')


@pytest.mark.parametrize(
    "query", ["court=zzz", "decided_after=yesterday", "kind=verdict", "q=%00", "format=xls"]
)
def test_an_invalid_filter_on_an_export_is_a_short_text_400(client, courts, query):
    separator = "&format=csv" if "format" not in query else ""
    response = client.get(f"/rulings/?{query}{separator}")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert len(response.content) < 300
    assert not response.content.startswith(b'"id"')


def test_list_pages_link_to_their_downloads_with_the_current_filters(client, courts):
    RulingFactory.create_batch(3, court=courts["ilnd"])

    page = client.get("/rulings/?court=ilnd&page=1").content.decode()

    assert "Download CSV (3 rows)" in page
    assert 'href="?court=ilnd&amp;format=csv"' in page
    assert 'href="?court=ilnd&amp;format=json"' in page


@pytest.fixture
def effects(courts):
    """A ruling that blocks two conditions for two cities, narrows a state-wide block, and
    upholds a third policy (which protects nobody by itself)."""
    conditions = PolicyFactory(short_title="FY2017 JAG conditions", slug="a-jag")
    notice = PolicyPartFactory(policy=conditions, name="notice condition")
    access = PolicyPartFactory(policy=conditions, name="access condition")
    order = PolicyFactory(short_title="EO 13768", slug="b-order")
    preference = PolicyFactory(short_title="COPS preference", slug="c-cops")
    ruling = RulingFactory(court=courts["ilnd"])
    blocks = RulingEffectFactory(
        ruling=ruling, policy=conditions, effect=Effect.BLOCKS, reach=Reach.JURISDICTIONS
    )
    blocks.parts.set([notice, access])
    blocks.protected.set(
        [JurisdictionFactory(name="City of Evanston"), JurisdictionFactory(name="City of Chicago")]
    )
    RulingEffectFactory(
        ruling=ruling, policy=order, effect=Effect.BLOCKS, reach=Reach.STATES, states=" CA   IL "
    )
    RulingEffectFactory(ruling=ruling, policy=preference, effect=Effect.UPHOLDS)
    return ruling


def test_json_effects_are_objects_saying_who_is_protected(client, effects):
    _, text = download(client, "/rulings/?format=json")
    (record,) = json.loads(text)

    assert record["effects"] == [
        {
            "policy": "FY2017 JAG conditions",
            "parts": ["access condition", "notice condition"],
            "effect": "blocks",
            "protects": "City of Chicago, City of Evanston",
            "states": [],
            "jurisdictions": ["City of Chicago", "City of Evanston"],
        },
        {
            "policy": "EO 13768",
            "parts": [],
            "effect": "blocks",
            "protects": "every government within CA, IL",
            "states": ["CA", "IL"],
            "jurisdictions": [],
        },
        {
            "policy": "COPS preference",
            "parts": [],
            "effect": "upholds",
            "protects": None,
            "states": [],
            "jurisdictions": [],
        },
    ]


def test_csv_effects_say_who_is_protected(client, effects):
    _, text = download(client, "/rulings/?format=csv")
    (row,) = read_csv(text)

    assert row["effects"] == (
        "FY2017 JAG conditions (access condition, notice condition): blocks "
        "(protects City of Chicago, City of Evanston); "
        "EO 13768: blocks (protects every government within CA, IL); "
        "COPS preference: upholds"
    )


def test_a_ruling_without_effects_has_none(client, courts):
    RulingFactory(court=courts["ilnd"])

    _, text = download(client, "/rulings/?format=json")
    _, csv_text = download(client, "/rulings/?format=csv")

    assert json.loads(text)[0]["effects"] == []
    assert read_csv(csv_text)[0]["effects"] == ""
