"""Editors export CSV from the admin through the public export code."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cases.models import Court, PublicationState
from tests.factories import LawsuitFactory, PolicyFactory, RulingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, court_data, editors_group):
    editor = User.objects.create_user("editor", password="pw", is_staff=True)
    editor.groups.add(editors_group)
    client.force_login(editor)
    return client


def rows(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="rulings-')
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_action_exports_the_selected_rulings(editor_client):
    chosen = RulingFactory(
        court=Court.objects.get(pk="ilnd"), publication_state=PublicationState.DRAFT
    )
    RulingFactory(court=Court.objects.get(pk="cand"))

    response = editor_client.post(
        reverse("admin:cases_ruling_changelist"),
        {"action": "export_selected", "_selected_action": [chosen.pk]},
    )

    assert [row["id"] for row in rows(response)] == [str(chosen.pk)]  # drafts too, for editors


def test_link_exports_everything_the_admin_filters_select(editor_client):
    ilnd = RulingFactory(court=Court.objects.get(pk="ilnd"), decided_on=datetime.date(2018, 1, 2))
    RulingFactory(court=Court.objects.get(pk="cand"))

    changelist = editor_client.get(
        reverse("admin:cases_ruling_changelist") + "?court__id__exact=ilnd"
    )
    assert b"export.csv?court__id__exact=ilnd" in changelist.content

    response = editor_client.get(reverse("admin:cases_ruling_export") + "?court__id__exact=ilnd")

    assert [row["id"] for row in rows(response)] == [str(ilnd.pk)]


def test_every_exportable_changelist_offers_the_link(editor_client):
    LawsuitFactory(court=Court.objects.get(pk="ilnd"))
    for model in ("ruling", "lawsuit", "policy", "fundingprogram", "court", "jurisdiction"):
        page = editor_client.get(reverse(f"admin:cases_{model}_changelist"))
        assert b"Export CSV (current filters)" in page.content
        export = editor_client.get(reverse(f"admin:cases_{model}_export"))
        assert export.status_code == 200


def test_anonymous_visitors_cannot_export_from_the_admin(client, db):
    response = client.get(reverse("admin:cases_ruling_export"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def export_rows(response) -> list[dict]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_policies_export_holds_drafts_marked_and_is_not_cut_after_the_header(editor_client):
    published = PolicyFactory(short_title="EO 13768 §9(a)")
    draft = PolicyFactory(short_title="Draft letter", publication_state=PublicationState.DRAFT)

    rows = export_rows(editor_client.get(reverse("admin:cases_policy_export")))

    by_slug = {row["slug"]: row for row in rows}
    assert set(by_slug) == {published.slug, draft.slug}
    assert by_slug[draft.slug]["publication_state"] == "draft"
    assert by_slug[draft.slug]["status"] == ""  # drafts have no public status
    assert by_slug[published.slug]["publication_state"] == "published"
    assert by_slug[published.slug]["status"] != ""


def test_rulings_export_marks_drafts(editor_client):
    draft = RulingFactory(publication_state=PublicationState.DRAFT)
    published = RulingFactory()

    rows = export_rows(editor_client.get(reverse("admin:cases_ruling_export")))

    assert {row["id"]: row["publication_state"] for row in rows} == {
        str(draft.pk): "draft",
        str(published.pk): "published",
    }


def test_public_exports_have_no_publication_state_column(client, db):
    RulingFactory()
    response = client.get(reverse("cases:ruling-list"), {"format": "csv"})
    assert "publication_state" not in b"".join(response.streaming_content).decode()


def test_staff_without_the_view_permission_get_no_admin_export(client, db):
    RulingFactory(publication_state=PublicationState.DRAFT)
    client.force_login(User.objects.create_user("clerk", is_staff=True))

    assert client.get(reverse("admin:cases_ruling_export")).status_code == 403
    response = client.post(
        reverse("admin:cases_ruling_changelist"),
        {"action": "export_selected", "_selected_action": ["1"]},
    )
    assert response.status_code == 403
