"""The dashboard at /: the rulings-by-court chart and its table, and when the data last changed."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.dashboard import counts_and_last_changed, rulings_by_court
from cases.models import Court, Lawsuit, Policy, PublicationState, Ruling, RulingOutcome
from cases.selectors import published_rulings
from tests.factories import LawsuitFactory, PolicyFactory, RulingFactory

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
CHALLENGERS, GOVERNMENT = RulingOutcome.CHALLENGERS, RulingOutcome.GOVERNMENT
MIXED, PROCEDURAL = RulingOutcome.MIXED, RulingOutcome.PROCEDURAL
OUTCOMES = [CHALLENGERS, MIXED, PROCEDURAL, GOVERNMENT]


@pytest.fixture
def courts(court_data):
    return {pk: Court.objects.get(pk=pk) for pk in ("cand", "ilnd", "ca7", "ca9", "scotus")}


@pytest.fixture
def rulings(courts):
    """ilnd: 3 for the challengers, 1 for the government; ca7: 1 mixed, 1 procedural;
    cand: 1 for the government, decided later than the rest; one draft ruling in cand."""
    day = datetime.date(2017, 9, 15)
    made = {}
    for court, outcome, count in [
        ("ilnd", CHALLENGERS, 3),
        ("ilnd", GOVERNMENT, 1),
        ("ca7", MIXED, 1),
        ("ca7", PROCEDURAL, 1),
    ]:
        made[(court, outcome)] = [
            RulingFactory(court=courts[court], outcome=outcome, decided_on=day)
            for _ in range(count)
        ]
    RulingFactory(court=courts["cand"], outcome=GOVERNMENT, decided_on=datetime.date(2019, 7, 1))
    RulingFactory(court=courts["cand"], outcome=CHALLENGERS, publication_state="draft")
    return made


def chart_svg(html: str) -> ET.Element:
    match = re.search(r'<svg[^>]*class="chart-svg".*?</svg>', html, re.S)
    assert match, "no chart on the page"
    return ET.fromstring(match.group())


def table_count(html: str, court: str, outcome: str, extra: str = "") -> int:
    href = f"/rulings/?court={court}&amp;outcome={outcome}{extra}"
    match = re.search(rf'<a href="{re.escape(href)}"[^>]*>(\d+)</a>', html)
    assert match, f"no link {href}"
    return int(match.group(1))


def bar_widths(svg: ET.Element) -> dict[tuple[str, str], float]:
    """(court citation, outcome) -> bar width, read from each bar's class and title."""
    widths = {}
    for rect in svg.iter(f"{SVG}rect"):
        outcome = rect.get("class").split("chart-")[-1]
        citation = rect.find(f"{SVG}title").text.split(":")[0]
        widths[(citation, outcome)] = float(rect.get("width"))
    return widths


# --- The chart and its table --------------------------------------------------------------------


def test_the_table_counts_each_courts_rulings_by_outcome(client, rulings):
    html = client.get("/").content.decode()

    expected = {
        "ilnd": {CHALLENGERS: 3, MIXED: 0, PROCEDURAL: 0, GOVERNMENT: 1},
        "ca7": {CHALLENGERS: 0, MIXED: 1, PROCEDURAL: 1, GOVERNMENT: 0},
        "cand": {CHALLENGERS: 0, MIXED: 0, PROCEDURAL: 0, GOVERNMENT: 1},
    }
    for court, counts in expected.items():
        for outcome, count in counts.items():
            assert table_count(html, court, outcome) == count, (court, outcome)
            listed = Ruling.objects.published().filter(court_id=court, outcome=outcome)
            assert listed.count() == count  # the link's list holds exactly these


def test_each_court_name_links_its_rulings(client, rulings, courts):
    html = client.get("/").content.decode()

    for court in ("ilnd", "ca7", "cand"):
        assert f'<a href="/rulings/?court={court}">{courts[court].name}</a>' in html
    assert "/rulings/?court=ca9" not in html  # no rulings, no row


def test_the_bars_match_the_table(client, rulings):
    html = client.get("/").content.decode()
    widths = bar_widths(chart_svg(html))

    assert set(widths) == {
        ("N.D. Ill.", "challengers"),
        ("N.D. Ill.", "government"),
        ("7th Cir.", "mixed"),
        ("7th Cir.", "procedural"),
        ("N.D. Cal.", "government"),
    }
    unit = widths[("N.D. Cal.", "government")]
    assert widths[("N.D. Ill.", "challengers")] == pytest.approx(3 * unit)
    assert widths[("N.D. Ill.", "government")] == pytest.approx(unit)
    assert widths[("7th Cir.", "mixed")] == pytest.approx(unit)


def test_the_chart_is_well_formed_svg_without_inline_style(client, rulings):
    html = client.get("/").content.decode()
    svg = chart_svg(html)

    assert svg.get("role") == "img"
    labels = svg.get("aria-labelledby").split()
    ids = {element.get("id"): element.tag for element in svg.iter() if element.get("id")}
    assert [ids[label] for label in labels] == [f"{SVG}title", f"{SVG}desc"]
    assert all("style" not in element.attrib for element in svg.iter())
    assert not list(svg.iter(f"{SVG}style"))
    assert "<style" not in html
    assert ' style="' not in html
    assert "<script" not in html


def test_the_chart_description_carries_the_numbers(client, rulings):
    desc = chart_svg(client.get("/").content.decode()).find(f"{SVG}desc").text

    assert (
        "District Court, N.D. Illinois: 3 for the challengers, 0 mixed, "
        "0 procedural (no winner), 1 for the government" in desc
    )


def test_courts_are_ordered_by_level_then_circuit_number(courts):
    for court in ("ca9", "ca7", "cand", "scotus"):
        RulingFactory(court=courts[court])

    chart = rulings_by_court(published_rulings())

    assert [row.court_id for row in chart.rows] == ["scotus", "ca7", "ca9", "cand"]


def test_the_totals_row_adds_up_the_courts(client, rulings):
    html = client.get("/").content.decode()
    chart = rulings_by_court(published_rulings())

    assert [cell.count for cell in chart.totals] == [3, 1, 1, 2]
    assert chart.total == 7
    assert re.search(r'<a href="/rulings/\?outcome=government"[^>]*>2</a>', html)


def test_drafts_are_not_counted(rulings):
    chart = rulings_by_court(published_rulings())

    cand = next(row for row in chart.rows if row.court_id == "cand")
    assert cand.counts == {"challengers": 0, "mixed": 0, "procedural": 0, "government": 1}


def test_as_of_counts_only_rulings_decided_by_then(client, rulings):
    html = client.get("/?as_of=2018-01-01").content.decode()
    extra = "&amp;decided_before=2018-01-01"

    assert table_count(html, "ilnd", CHALLENGERS, extra) == 3
    assert "/rulings/?court=cand" not in html
    assert ("N.D. Cal.", "government") not in bar_widths(chart_svg(html))
    assert "up to 1 Jan 2018" in html


def test_a_tracker_without_rulings_shows_an_empty_chart(client, db):
    html = client.get("/").content.decode()

    chart_svg(html)  # still well formed
    assert "No rulings are recorded." in html


def test_an_invalid_as_of_is_still_a_400(client, rulings):
    assert client.get("/?as_of=2018-13-01").status_code == 400


# --- Last changed -------------------------------------------------------------------------------


def stamp(model, when: datetime.datetime, **filters) -> None:
    model.objects.filter(**filters).update(updated_at=when)  # update() bypasses auto_now


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def test_last_changed_is_the_newest_change_to_a_published_record(client, courts):
    policy = PolicyFactory()
    suit = LawsuitFactory(court=courts["ilnd"], policies=[policy])
    ruling = RulingFactory(court=courts["ilnd"], lawsuits=[suit])
    stamp(Policy, utc(2020, 1, 1), pk=policy.pk)
    stamp(Lawsuit, utc(2021, 3, 4, 12), pk=suit.pk)
    stamp(Ruling, utc(2019, 5, 6), pk=ruling.pk)

    html = client.get("/").content.decode()

    assert counts_and_last_changed()[1] == utc(2021, 3, 4, 12)
    assert 'Data last changed: <time datetime="2021-03-04">4 Mar 2021</time>' in html


def test_a_newer_draft_does_not_change_the_date(client, courts):
    published = PolicyFactory()
    draft = PolicyFactory(publication_state=PublicationState.DRAFT)
    stamp(Policy, utc(2020, 1, 1), pk=published.pk)
    stamp(Policy, utc(2024, 1, 1), pk=draft.pk)

    assert counts_and_last_changed() == (
        {"policies": 1, "lawsuits": 0, "rulings": 0},
        utc(2020, 1, 1),
    )
    assert "1 Jan 2020" in client.get("/").content.decode()


def test_no_published_record_means_no_date(client, db):
    assert counts_and_last_changed()[1] is None
    assert "Data last changed" not in client.get("/").content.decode()


# --- Queries ------------------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_dashboard_makes_as_many_queries_for_many_courts_as_for_one(client, courts):
    RulingFactory(court=courts["ilnd"])
    first = count_queries(client, "/"), count_queries(client, "/?as_of=2018-01-01")
    for court in Court.objects.exclude(pk="ilnd")[:30]:
        for outcome in OUTCOMES:
            RulingFactory(court=court, outcome=outcome)

    assert (count_queries(client, "/"), count_queries(client, "/?as_of=2018-01-01")) == first
    assert first[0] <= 15


def test_the_dashboard_links_the_timeline(client, db):
    assert 'href="/timeline/"' in client.get("/").content.decode()
