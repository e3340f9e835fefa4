"""Where each seeded policy stood on the dates a reader asks about, as the court records show it,
with the rulings that control it."""

from __future__ import annotations

import csv
import datetime
import io
import json
from dataclasses import dataclass

import pytest

from cases.models import Policy, Ruling
from cases.status import StatusCode, statuses_for

pytestmark = pytest.mark.django_db

EO = "eo-13768-sec-9a"
MEMO = "ag-memo-eo-13768-sec-9a"
JAG = "byrne-jag-fy2017-conditions"
COPS = "cops-fy2017-preference"
LETTERS = "doj-letters-2017-10-12"

NATIONWIDE, PARTLY = StatusCode.BLOCKED_NATIONWIDE, StatusCode.BLOCKED_PARTLY
ND_ILL_PI = "the N.D. Ill. preliminary injunction of 15 Sep 2017"
ND_ILL_FINAL = "the N.D. Ill. permanent injunction of 27 Jul 2018"
ND_CAL_EO = "the N.D. Cal. permanent injunction of 20 Nov 2017"
IN_CALIFORNIA = (
    f"Blocked within California by {ND_CAL_EO} (limited to every government within California "
    "by the 9th Cir. opinion of 1 Aug 2018); held unlawful in the 9th Cir."
)


@dataclass(frozen=True)
class Row:
    policy: str
    as_of: str
    code: StatusCode
    says: tuple[str, ...]
    controlling: tuple[str, ...] = ()  # citations (or dates) of rulings that must control it
    never: tuple[str, ...] = ("Blocked nationwide", "blocked nationwide")


TABLE = [
    # EO 13768 §9(a): nationwide until the Ninth Circuit kept it within California, then revoked.
    Row(EO, "2017-11-27", NATIONWIDE, (f"Blocked nationwide by {ND_CAL_EO}",), ("2017-11-20",), ()),
    Row(EO, "2018-07-01", NATIONWIDE, (f"Blocked nationwide by {ND_CAL_EO}",), (), ()),
    Row(EO, "2018-08-01", PARTLY, (IN_CALIFORNIA,), ("897 F.3d 1225", "275 F. Supp. 3d 1196")),
    Row(EO, "2019-03-01", PARTLY, (IN_CALIFORNIA,), ("897 F.3d 1225",)),
    Row(EO, "2020-03-01", PARTLY, (IN_CALIFORNIA,), ("897 F.3d 1225",)),
    Row(EO, "2020-06-01", PARTLY, (IN_CALIFORNIA,), ("897 F.3d 1225",)),
    Row(
        EO,
        "2021-05-01",
        StatusCode.ENDED,
        ("Revoked on 20 Jan 2021 by Executive Order 13993", "Last court status: blocked within"),
        (),
        (),
    ),
    # The FY2017 Byrne JAG conditions, part by part.
    Row(
        JAG,
        "2017-11-27",
        NATIONWIDE,
        (
            f"Notice and access conditions: blocked nationwide by {ND_ILL_PI}",
            "§ 1373 condition: blocked for City of Philadelphia by the E.D. Pa. preliminary "
            "injunction of 15 Nov 2017",
        ),
        ("264 F. Supp. 3d 933", "280 F. Supp. 3d 579"),
        (),
    ),
    Row(
        JAG,
        "2018-07-01",
        PARTLY,
        (
            "Notice and access conditions: blocked for City of Chicago and City of Philadelphia "
            f"(by 2 orders; the nationwide reach of {ND_ILL_PI} stayed)",
            "§ 1373 condition: blocked for City of Philadelphia by the E.D. Pa. permanent "
            "injunction of 6 Jun 2018",
        ),
        ("264 F. Supp. 3d 933", "888 F.3d 272", "2018-06-26", "309 F. Supp. 3d 289"),
    ),
    Row(
        JAG,
        "2018-08-01",
        PARTLY,
        (
            "blocked for City of Chicago and City of Philadelphia (by 2 orders; the nationwide "
            f"reach of {ND_ILL_FINAL} stayed)",
        ),
        ("321 F. Supp. 3d 855", "309 F. Supp. 3d 289"),
    ),
    Row(
        JAG,
        "2019-03-01",
        PARTLY,
        (
            f"the nationwide reach of {ND_ILL_FINAL} and the N.D. Cal. permanent injunction of 5 "
            "Oct 2018 stayed",
            "held unlawful in the 3d and 7th Cirs.",
        ),
        ("321 F. Supp. 3d 855", "916 F.3d 276", "343 F. Supp. 3d 213"),
    ),
    Row(
        JAG,
        "2020-03-01",
        PARTLY,
        (
            "circuits split: held unlawful in the 3d, 7th and 9th Cirs.; upheld in the 2d Cir. "
            "(New York v. U.S. Department of Justice, 26 Feb 2020)",
            "City of Chicago",
            "City of Philadelphia",
        ),
        ("321 F. Supp. 3d 855", "385 F. Supp. 3d 160", "941 F.3d 931"),
        ("Blocked nationwide", "blocked nationwide", "State of New York"),
    ),
    Row(
        JAG,
        "2020-06-01",
        NATIONWIDE,
        (
            f"blocked nationwide by {ND_ILL_FINAL} (affirmed in part by the 7th Cir. opinion of "
            "30 Apr 2020)",
            "held unlawful in the 1st, 3d, 7th and 9th Cirs.; upheld in the 2d Cir.",
        ),
        ("961 F.3d 882",),
        (),
    ),
    Row(
        JAG,
        "2021-05-01",
        StatusCode.ENDED,
        ("Rescinded on 22 Apr 2021", "memorandum of 14 Apr 2021", "Last court status"),
        (),
        (),
    ),
    # The COPS preference: blocked nationwide in Los Angeles, then upheld.
    Row(COPS, "2017-11-27", StatusCode.IN_FORCE, ("In force; no court has blocked it",)),
    Row(COPS, "2018-07-01", NATIONWIDE, ("C.D. Cal. permanent injunction of 11 Apr 2018",), (), ()),
    Row(COPS, "2020-03-01", StatusCode.UPHELD, ("Upheld by the 9th Cir. opinion of 12 Jul 2019",)),
    # The memo ends with the order it interprets; the letters were an action no court ruled on.
    Row(MEMO, "2020-03-01", StatusCode.IN_FORCE, ("In force",)),
    Row(MEMO, "2021-05-01", StatusCode.ENDED, ("with the order it interprets (EO 13768 §9(a))",)),
    Row(LETTERS, "2020-03-01", StatusCode.NO_RULING, ("No court ruled on it.",)),
]


@pytest.mark.parametrize(
    "as_of",
    sorted({row.as_of for row in TABLE}),
)
def test_each_seeded_policy_stands_where_the_court_records_put_it(seeded, as_of):
    policies = list(Policy.objects.all())
    statuses = statuses_for(policies, datetime.date.fromisoformat(as_of))
    by_slug = {policy.slug: statuses[policy.pk] for policy in policies}
    for row in (r for r in TABLE if r.as_of == as_of):
        status = by_slug[row.policy]
        context = f"{row.policy} on {as_of}: {status.headline}"
        assert status.code == row.code, context
        for words in row.says:
            assert words in status.headline, context
        for words in row.never:
            assert words not in status.headline, context
        named = {r.id for r in status.controlling}
        for ruling in filter(None, row.controlling):
            assert _rulings(ruling) & named, f"{context}: {ruling} does not control it"


def _rulings(citation_or_day: str) -> set[int]:
    """The rulings a table row names, by reporter citation or by ISO date of decision."""
    if citation_or_day[:4].isdigit() and citation_or_day[4:5] == "-":
        found = Ruling.objects.filter(decided_on=citation_or_day)
    else:
        found = Ruling.objects.filter(citation=citation_or_day)
    return set(found.values_list("pk", flat=True))


def test_the_policy_page_shows_parts_protections_and_circuits_on_the_day_asked(seeded, client):
    page = client.get(f"/policies/{JAG}/?as_of=2020-03-01")

    assert page.status_code == 200
    text = page.content.decode()
    assert "circuits split" in text
    assert "Who is protected, and by which order" in text
    assert "Binding holdings by circuit" in text
    assert "Each part of the policy" in text


def test_a_past_dated_policy_page_says_where_each_lawsuit_stood_that_day(seeded, client):
    text = client.get(f"/policies/{JAG}/?as_of=2017-11-27").content.decode()

    assert "On 27 Nov 2017:" in text
    assert (
        "City of Philadelphia v. Sessions</a>: filed; the latest ruling by then: E.D. Pa., "
        "15 Nov 2017, preliminary injunction (for the challengers)." in text
    )
    assert "City of New York v. Sessions</a>: not yet filed (filed 18 Jul 2018)." in text
    # Providence's filing is recorded to the month: the page says no more than the record.
    aug = client.get(f"/policies/{JAG}/?as_of=2018-08-15").content.decode()
    assert (
        "City of Providence v. Barr</a>: filed in Aug 2018 (the record has no day, so perhaps"
        in aug
    )
    assert "City of Providence v. Barr</a>: not yet filed (filed Aug 2018)" in text
    # Today's page has no such list: the table's status column is today's.
    assert "lawsuit-stages" not in client.get(f"/policies/{JAG}/").content.decode()


def test_the_policies_list_and_its_downloads_follow_as_of(seeded, client):
    page = client.get("/policies/?as_of=2020-03-01")
    assert page.status_code == 200
    assert "Status on 1 Mar 2020" in page.content.decode()
    by_slug = {policy.slug: policy.status_code for policy in page.context["rows"]}
    assert by_slug[JAG] == StatusCode.BLOCKED_PARTLY
    assert by_slug[EO] == StatusCode.BLOCKED_PARTLY

    response = client.get("/policies/?as_of=2020-03-01&format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    jag = next(row for row in rows if row["slug"] == JAG)
    assert jag["status_as_of"] == "2020-03-01"
    assert jag["status"] == "blocked_partly"
    assert "circuits split" in jag["status_detail"]
    assert "blocked nationwide" not in jag["status_detail"].lower()

    response = client.get("/policies/?as_of=2018-07-01&format=json")
    records = json.loads(b"".join(response.streaming_content))
    cops = next(record for record in records if record["slug"] == COPS)
    assert (cops["status"], cops["status_as_of"]) == ("blocked_nationwide", "2018-07-01")


def test_the_status_filter_reads_the_statuses_of_the_day_asked(seeded, client):
    ended_then = client.get("/policies/?as_of=2020-03-01&status=ended").context["rows"]
    upheld_then = client.get("/policies/?as_of=2020-03-01&status=upheld").context["rows"]

    assert list(ended_then) == []
    assert [policy.slug for policy in upheld_then] == [COPS]


def test_a_bad_as_of_on_the_policies_list_is_a_400_with_the_form(seeded, client):
    response = client.get("/policies/?as_of=2020-3-1")

    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.content.decode()
    assert client.get("/policies/?as_of=2020-3-1&format=csv").status_code == 400


def test_the_dashboard_counts_and_latest_rulings_follow_as_of(seeded, client):
    then = client.get("/?as_of=2017-11-27").context
    now = client.get("/").context

    assert then["counts"]["rulings"] < now["counts"]["rulings"]
    assert then["counts"]["lawsuits"] < now["counts"]["lawsuits"]
    latest = list(then["latest_rulings"])
    assert latest and all(_decided(row) <= datetime.date(2017, 11, 27) for row in latest)


def _decided(row) -> datetime.date:
    """The decision date of a dashboard table row, whatever shape the row has."""
    value = row["decided_on"] if isinstance(row, dict) else row.decided_on
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def test_a_policy_page_lists_the_first_lawsuits_and_links_to_them_all(seeded, client, monkeypatch):
    from cases import views

    monkeypatch.setattr(views, "DETAIL_LIMIT", 3)
    total = Policy.objects.get(slug=JAG).lawsuits.published().count()
    page = client.get(f"/policies/{JAG}/?as_of=2017-11-27")
    text = page.content.decode()

    assert len(page.context["lawsuits"]) == 3 < total
    assert f"{total} lawsuits; the first 3 by filing date below." in text
    assert f'href="/lawsuits/?policy={JAG}"' in text
    assert len(page.context["lawsuit_stages"]) == 3
