"""The derived status on the dashboard and the policy pages, today or as of a past date."""

import csv

import pytest

pytestmark = pytest.mark.django_db

EO = "/policies/eo-13768-sec-9a/"


def test_policy_page_shows_what_the_articles_reader_saw(client, seeded):
    page = client.get(f"{EO}?as_of=2017-11-27").content.decode()

    assert "Where it stands on 27 Nov 2017" in page
    assert "Blocked nationwide by the N.D. Cal. permanent injunction of 20 Nov 2017" in page


def test_policy_page_shows_the_narrowing_on_appeal(client, seeded):
    page = client.get(f"{EO}?as_of=2018-08-02").content.decode()

    assert "9th Cir." in page
    assert "County of Santa Clara" in page


def test_dashboard_lists_every_policy_with_its_status(client, seeded):
    page = client.get("/?as_of=2017-11-27").content.decode()

    assert "Where each policy stands on 27 Nov 2017" in page
    assert page.count('class="status-blocked_nationwide"') == 2  # EO 13768 and Byrne JAG
    assert "COPS FY2017 preference" in page


@pytest.mark.parametrize("value", ["yesterday", "2017-13-01", "2017-1-1", "%00"])
def test_a_bad_as_of_is_a_400(client, seeded, value):
    assert client.get(f"/?as_of={value}").status_code == 400
    assert client.get(f"{EO}?as_of={value}").status_code == 400


def test_policies_filter_by_status_and_export_it(client, seeded):
    rows = client.get("/policies/?status=ended").context["rows"]
    ended = ["eo-13768-sec-9a", "ag-memo-eo-13768-sec-9a", "byrne-jag-fy2017-conditions"]
    assert [policy.slug for policy in rows] == ended

    response = client.get("/policies/?status=ended&format=csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    row = lines[1]
    assert len(lines) == 4
    assert '"status","status_as_of","status_detail"' in lines[0]
    assert '"ended"' in row and "Revoked on 20 Jan 2021" in row
    assert len(next(csv.reader([lines[0]]))) == len(next(csv.reader([row])))


def test_an_unknown_status_is_a_400(client, seeded):
    assert client.get("/policies/?status=winning").status_code == 400
