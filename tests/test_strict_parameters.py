"""Strict parameters: dates are YYYY-MM-DD, booleans are true or false; anything else is a 400
that shows the form with its error, never a guess and never a silently unfiltered answer."""

from __future__ import annotations

import pytest

from tests.factories import PolicyFactory, RulingFactory

pytestmark = pytest.mark.django_db

NOT_ISO = ["2017-1-1", "2017-W01-1", "2017-001", "20170101", "2017-11-20 ", " 2017-11-20"]
DATE_PARAMETERS = [
    "/rulings/?decided_after={}",
    "/rulings/?decided_before={}",
    "/lawsuits/?filed_after={}",
    "/lawsuits/?filed_before={}",
    "/timeline/?after={}",
    "/timeline/?before={}",
]
DATE_ERROR = "Enter a date written YYYY-MM-DD, e.g. 2017-11-20."


@pytest.fixture
def records(court_data):
    policy = PolicyFactory(slug="eo-13768")
    RulingFactory()
    return {"policy": policy}


@pytest.mark.parametrize("value", NOT_ISO)
@pytest.mark.parametrize("url", DATE_PARAMETERS)
def test_a_date_that_is_not_yyyy_mm_dd_is_a_400_with_the_form(client, records, url, value):
    response = client.get(url.format(value))

    assert response.status_code == 400
    html = response.content.decode()
    assert DATE_ERROR in html
    assert "<form" in html and 'role="alert"' in html


@pytest.mark.parametrize("url", DATE_PARAMETERS)
def test_an_iso_date_is_taken(client, records, url):
    assert client.get(url.format("2017-01-01")).status_code == 200


@pytest.mark.parametrize(
    "url", ["/rulings/?decided_after={}&format=csv", "/rulings/feed/?decided_after={}"]
)
def test_exports_and_feeds_refuse_the_same_dates(client, records, url):
    response = client.get(url.format("2017-1-1"))

    assert response.status_code == 400
    assert DATE_ERROR in response.content.decode()


@pytest.mark.parametrize("value", NOT_ISO)
@pytest.mark.parametrize("path", ["/", "/policies/eo-13768/"])
def test_as_of_that_is_not_yyyy_mm_dd_is_a_400_with_its_form(client, records, path, value):
    response = client.get(path, {"as_of": value})

    assert response.status_code == 400
    html = response.content.decode()
    assert DATE_ERROR in html
    assert 'name="as_of"' in html and f'action="{path}"' in html


@pytest.mark.parametrize("path", ["/", "/policies/eo-13768/"])
def test_as_of_given_twice_is_a_400(client, records, path):
    response = client.get(f"{path}?as_of=2017-11-27&as_of=2018-01-01")

    assert response.status_code == 400
    assert "Give one date only." in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/policies/eo-13768/"])
def test_an_iso_as_of_is_taken(client, records, path):
    assert client.get(path, {"as_of": "2017-11-27"}).status_code == 200


@pytest.mark.parametrize("value", ["maybe", "on", "1", "0", "True", "yes", "false "])
def test_a_boolean_other_than_true_or_false_is_a_400_with_the_form(client, records, value):
    response = client.get("/courts/", {"has_cases": value})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Use true or false." in html
    assert 'name="has_cases"' in html


@pytest.mark.parametrize(
    ("query", "with_cases_only"),
    [("has_cases=true", True), ("has_cases=false", False), ("", False)],
)
def test_true_and_false_are_taken(client, records, query, with_cases_only):
    response = client.get(f"/courts/?{query}")

    assert response.status_code == 200
    assert (response.context["count"] < 10) is with_cases_only


def test_the_checkbox_sends_true(client, records):
    html = client.get("/courts/?has_cases=true").content.decode()

    assert 'type="checkbox" name="has_cases" value="true"' in html
    assert "checked" in html.split('name="has_cases"')[1].split(">")[0]
