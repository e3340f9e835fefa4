"""Public pages are cached and answered conditionally, and no cached answer outlives an edit.

Every way the data can change (a model save, an admin form, a bulk update that sends no
signal, a many-to-many link, a delete) must give the next visitor the new page and a new ETag.
"""

import datetime
import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from cases import caching
from cases.models import Ground, Ruling
from tests.factories import GroundFactory, LawsuitFactory, RulingFactory

pytestmark = pytest.mark.django_db

version_migration = importlib.import_module("cases.migrations.0006_data_version")


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode(), len(queries)


@pytest.fixture
def ruling(db):
    return RulingFactory(summary="The first summary of this ruling.")


def test_a_repeat_view_is_served_from_the_cache_in_one_query(client, ruling):
    first, first_html, first_queries = get(client, "/rulings/")
    again, again_html, again_queries = get(client, "/rulings/")

    assert first.status_code == again.status_code == 200
    assert again_html == first_html
    assert first_queries > 1
    assert again_queries == 1  # the data version, nothing else
    assert again["ETag"] == first["ETag"]
    # The cached answer carries the same labels as the rendered one, outer middleware's too.
    for header in ("Cache-Control", "Last-Modified", "Content-Security-Policy", "X-Frame-Options"):
        assert again[header] == first[header], header
    assert again["Cache-Control"] == "public, max-age=0, must-revalidate"


def test_the_etag_answers_304_with_no_body(client, ruling):
    first, _, _ = get(client, "/rulings/")
    response, body, queries = get(client, "/rulings/", if_none_match=first["ETag"])

    assert response.status_code == 304
    assert body == ""
    assert queries == 1
    assert response["ETag"] == first["ETag"]
    assert "must-revalidate" in response["Cache-Control"]


def test_last_modified_answers_304_too(client, ruling):
    first, _, _ = get(client, "/rulings/")
    response, _, _ = get(client, "/rulings/", if_modified_since=first["Last-Modified"])
    assert response.status_code == 304


def test_each_address_is_its_own_page(client, ruling):
    every, _, _ = get(client, "/rulings/")
    other, html, _ = get(client, f"/rulings/?court={ruling.court_id}")
    assert other["ETag"] != every["ETag"]
    assert "1 ruling" in html or "(1 row" in html


def test_a_saved_edit_is_shown_at_once(client, ruling):
    first, _, _ = get(client, ruling.get_absolute_url())
    ruling.summary = "A corrected summary, saved by an editor."
    ruling.save()

    response, html, _ = get(client, ruling.get_absolute_url(), if_none_match=first["ETag"])

    assert response.status_code == 200
    assert "A corrected summary" in html
    assert response["ETag"] != first["ETag"]


def test_a_bulk_update_without_signals_is_shown_at_once(client, ruling):
    get(client, ruling.get_absolute_url())
    Ruling.objects.filter(pk=ruling.pk).update(summary="Changed by a bulk update.")

    _, html, _ = get(client, ruling.get_absolute_url())
    assert "Changed by a bulk update." in html


def test_a_new_link_between_records_is_shown_at_once(client, ruling):
    other = LawsuitFactory(caption="Newly Linked v. Sessions", filed_on=datetime.date(2017, 1, 2))
    get(client, "/rulings/")
    ruling.lawsuits.add(other)

    _, html, _ = get(client, "/rulings/")
    assert "Newly Linked v. Sessions" in html


def test_a_deleted_record_disappears_at_once(client, ruling):
    gone = RulingFactory(summary="x", court=ruling.court)
    _, before, _ = get(client, "/rulings/")
    url = gone.get_absolute_url()
    assert url in before
    gone.delete()

    _, after, _ = get(client, "/rulings/")
    assert url not in after


def test_an_edit_in_the_admin_is_shown_at_once(admin_client, client, ruling):
    ground = GroundFactory(name="Spending Clause")
    ruling.grounds.add(ground)
    _, before, _ = get(client, "/rulings/")
    assert "Spending Clause" in before  # the ground <select> lists it

    url = f"/admin/cases/ground/{ground.pk}/change/"
    response = admin_client.post(url, {"slug": ground.slug, "name": "Separation of powers"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Ground.objects.get(pk=ground.pk).name == "Separation of powers"

    _, after, _ = get(client, "/rulings/")
    assert "Separation of powers" in after
    assert "Spending Clause" not in after


def test_a_page_cached_yesterday_is_not_served_today(client, ruling, monkeypatch):
    today = datetime.date(2026, 3, 1)
    monkeypatch.setattr(caching.timezone, "localdate", lambda: today)
    first, _, _ = get(client, "/policies/")

    today = datetime.date(2026, 3, 2)
    response, _, queries = get(client, "/policies/", if_none_match=first["ETag"])

    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    assert queries > 1


def test_exports_get_an_etag_but_are_never_stored(client, ruling):
    first, csv_text, first_queries = get(client, "/rulings/?format=csv")
    again, again_text, again_queries = get(client, "/rulings/?format=csv")

    assert again_text == csv_text
    assert again_queries == first_queries == 2  # the version, then the rows: read again
    assert again["ETag"] == first["ETag"]

    response, body, _ = get(client, "/rulings/?format=csv", if_none_match=first["ETag"])
    assert response.status_code == 304
    assert body == ""


def test_invalid_filters_are_not_cached(client, ruling):
    first, _, _ = get(client, "/rulings/?court=zzz")
    again, html, _ = get(client, "/rulings/?court=zzz")
    assert first.status_code == again.status_code == 400
    assert "ETag" not in again
    assert "zzz is not one of the available choices" in html


def test_the_health_check_is_never_cached(client):
    response, body, _ = get(client, "/healthz")
    assert body == "ok"
    assert "ETag" not in response
    assert "no-cache" in response["Cache-Control"]


# The site moved under /archive/, for the test below.
urlpatterns = [path("archive/", include("tracker.urls"))]


def test_pages_are_found_anew_when_the_urls_change(client, ruling, settings):
    assert client.get("/rulings/").status_code == 200
    settings.ROOT_URLCONF = __name__

    assert client.get("/rulings/").status_code == 404
    moved = client.get("/archive/rulings/")
    assert moved.status_code == 200 and "ETag" in moved
    assert "<h1>Rulings</h1>" in moved.content.decode()
    assert '<li><a href="/archive/rulings/" aria-current="page">Rulings</a></li>' in (
        moved.content.decode()
    )
    assert '<li><a href="/archive/courts/">Courts</a></li>' in moved.content.decode()


def test_the_admin_is_never_cached(admin_client, ruling):
    response = admin_client.get("/admin/cases/ruling/")
    assert "ETag" not in response


def test_with_the_page_cache_off_pages_are_rendered_every_time(client, ruling, settings):
    settings.PAGE_CACHE_SECONDS = 0
    first, _, _ = get(client, "/rulings/")
    again, _, queries = get(client, "/rulings/")
    assert queries > 1
    assert again["ETag"] == first["ETag"]  # conditional GET still works


def test_every_case_table_moves_the_data_version():
    """A table added later without a trigger would let cached pages go stale."""
    tables = version_migration.case_tables(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {row[0] for row in cursor.fetchall()}

    assert "cases_ruling" in tables and "cases_ruling_lawsuits" in tables
    for table in tables:
        # Exact names: `data_version_cases_policy` is no prefix match for the policy_programs
        # table's triggers (a table rebuilt by SQLite loses its own and keeps the others').
        if connection.vendor == "postgresql":  # one per statement, or one per event
            names = {f"data_version_{table}", f"data_version_{table}_insert"}
            assert names & triggers, table
        else:
            for event in ("insert", "update", "delete"):
                assert f"data_version_{table}_{event}" in triggers, table


def test_the_version_moves_once_per_statement_or_row_and_never_back(ruling):
    before = caching.read_data_version()
    Ruling.objects.filter(pk=ruling.pk).update(summary="again")
    after = caching.read_data_version()
    assert after.counter > before.counter
    assert after.changed_at >= before.changed_at


def test_editing_drafts_leaves_public_etags_and_dates_alone(client, ruling):
    """Work on a draft changes nothing the public sees: its ETags and Last-Modified stay, so
    no one is sent the page again and the dates do not hint at unpublished work."""
    draft = RulingFactory(publication_state="draft", court=ruling.court)
    draft_lawsuit = LawsuitFactory(publication_state="draft", filed_on=datetime.date(2017, 1, 2))
    first, _, _ = get(client, "/rulings/")

    draft.summary = "Still being written."
    draft.save()
    draft.lawsuits.add(draft_lawsuit)  # a link between drafts
    ground = GroundFactory(name="Tenth Amendment")  # grounds are public (the <select>)
    draft.grounds.add(ground)  # ... but a draft's link to one is not
    moved, _, _ = get(client, "/rulings/", if_none_match=first["ETag"])
    assert moved.status_code == 200
    assert "Tenth Amendment" in moved.content.decode()
    again, _, _ = get(client, "/rulings/", if_none_match=moved["ETag"])
    assert again.status_code == 304

    before = caching.read_data_version()
    Ruling.objects.filter(pk=draft.pk).update(summary="Edited again, still a draft.")
    draft.lawsuits.remove(draft_lawsuit)
    draft_lawsuit.caption = "Renamed draft v. Sessions"
    draft_lawsuit.save()
    assert caching.read_data_version() == before
    response, _, _ = get(client, "/rulings/", if_none_match=moved["ETag"])
    assert response.status_code == 304
    assert response["Last-Modified"] == moved["Last-Modified"]

    draft.publication_state = "published"
    draft.save()
    published, html, _ = get(client, "/rulings/", if_none_match=moved["ETag"])
    assert published.status_code == 200
    assert published["ETag"] != moved["ETag"]
    assert draft.get_absolute_url() in html


def test_a_change_to_a_published_record_through_a_link_still_moves_the_version(ruling):
    lawsuit = LawsuitFactory(filed_on=datetime.date(2017, 1, 2))
    before = caching.read_data_version()
    ruling.lawsuits.add(lawsuit)
    assert caching.read_data_version().counter > before.counter
