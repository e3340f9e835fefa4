"""What a process keeps for the data's current version (caching.KeptForVersion): the rulings
tables' rows, read and rendered once per version and address prefix, and the form choices."""

import datetime

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix

from cases import caching, tables
from cases.caching import DataVersion, KeptForVersion, read_data_version
from cases.models import Court
from cases.templatetags.tracker import ruling_rows
from tests.factories import (
    GroundFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

pytestmark = pytest.mark.django_db

LINKS = "cases_ruling_lawsuits"  # the query of the rows' cases and effects


@pytest.fixture
def ilnd_rulings(court_data):
    ilnd = Court.objects.get(pk="ilnd")
    chicago = LawsuitFactory(slug="chicago-v-sessions", caption="Chicago v. Sessions", court=ilnd)
    jag = PolicyFactory(slug="jag-conditions", short_title="Byrne JAG conditions")
    rulings = [
        RulingFactory(court=ilnd, lawsuits=[chicago], decided_on=datetime.date(2018, 1, day))
        for day in (5, 10, 15)
    ]
    for ruling in rulings:
        RulingEffectFactory(ruling=ruling, policy=jag)
    return chicago


def links_queries(captured) -> int:
    return sum(LINKS in query["sql"] for query in captured)


def test_a_ruling_shown_again_under_other_filters_is_not_read_again(client, ilnd_rulings):
    first = client.get("/rulings/?court=ilnd")

    with CaptureQueriesContext(connection) as again:
        other = client.get("/rulings/?court=ilnd&decided_after=2018-01-07")

    assert links_queries(again) == 0
    body = other.content.decode()
    assert body.count("Chicago v. Sessions</a>") == 2
    assert body.count("Byrne JAG conditions</a>") == 2
    assert first.context["rows"][:2] == other.context["rows"]  # newest first: 15 and 10 Jan
    assert first.context["rows"][0] is other.context["rows"][0]  # the row kept, not rebuilt


def test_an_edit_shows_in_the_next_rows(client, ilnd_rulings):
    client.get("/rulings/?court=ilnd")

    ilnd_rulings.caption = "City of Chicago v. Sessions"
    ilnd_rulings.save()

    with CaptureQueriesContext(connection) as after:
        body = client.get("/rulings/?court=ilnd&sort=decided_on").content.decode()
    assert links_queries(after) == 1
    assert body.count("City of Chicago v. Sessions</a>") == 3


def test_rows_are_kept_per_address_prefix(ilnd_rulings):
    version = read_data_version()
    values = list(Court.objects.get(pk="ilnd").rulings.values_list(*tables.RULING_ROW_VALUES))
    plain = ruling_rows(tables.ruling_table_rows(values, version))
    set_script_prefix("/tracker/")
    try:
        prefixed = ruling_rows(tables.ruling_table_rows(values, version))
    finally:
        set_script_prefix("/")

    assert 'href="/rulings/' in plain and "/tracker/" not in plain
    assert prefixed.count('href="/tracker/lawsuits/chicago-v-sessions/"') == 3


def test_without_a_version_nothing_is_kept(ilnd_rulings):
    values = list(Court.objects.get(pk="ilnd").rulings.values_list(*tables.RULING_ROW_VALUES))

    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            tables.ruling_table_rows(values)
        assert links_queries(captured) == 1
    assert not tables.KEPT_ROWS.values


def test_form_choices_are_kept_in_the_process_until_the_data_changes(client, ilnd_rulings):
    request = RequestFactory().get("/")
    request.data_version = read_data_version()
    built = []

    def build():
        built.append(1)
        return ["choices"]

    for _ in range(3):
        assert caching.until_next_change(request.data_version, "test", build) == ["choices"]
    assert len(built) == 1
    PolicyFactory(slug="another")  # a change to published data: a new version
    assert caching.until_next_change(read_data_version(), "test", build) == ["choices"]
    assert len(built) == 2


def version(counter: int) -> DataVersion:
    return DataVersion(counter, datetime.datetime(2018, 1, 1, tzinfo=datetime.UTC), "e")


def test_kept_values_go_with_their_version_and_the_longest_unused_past_the_limit():
    kept = KeptForVersion(limit=2)
    try:
        kept.put(version(1), "a", 1)
        kept.put(version(1), "b", 2)
        assert kept.get(version(1), "a") == 1  # used: "b" is now the longest unused
        kept.put(version(1), "c", 3)
        assert (kept.get(version(1), "b"), kept.get(version(1), "c")) == (None, 3)
        assert kept.get(version(2), "a") is None  # a new version keeps nothing of the last
        assert kept.get(version(2), "a", lambda: 5) == 5
        assert kept.get(version(2), "a") == 5
    finally:
        KeptForVersion.every.remove(kept)


def test_a_kept_form_field_shows_each_page_its_own_value_error_and_the_newest_choices(
    client, court_data
):
    GroundFactory(slug="spending-clause", name="Spending Clause")
    first = client.get("/rulings/?q=sanctuary").content.decode()
    other = client.get("/rulings/?q=funds").content.decode()
    assert 'value="sanctuary"' in first and 'value="sanctuary"' not in other
    assert 'value="funds"' in other
    assert client.get("/rulings/?q=sanctuary").content.decode().count('value="sanctuary"') == 1

    wrong = client.get("/rulings/?decided_before=2017-02-30")
    right = client.get("/rulings/?decided_before=2017-02-28").content.decode()
    assert wrong.status_code == 400
    assert 'id="id_decided_before_error"' in wrong.content.decode()
    assert 'id="id_decided_before_error"' not in right and 'value="2017-02-28"' in right

    GroundFactory(slug="tenth-amendment", name="Tenth Amendment")  # a new data version
    again = client.get("/rulings/?q=sanctuary").content.decode()
    assert '<option value="spending-clause">Spending Clause</option>' in first
    assert '<option value="tenth-amendment">Tenth Amendment</option>' in again
