"""Editors export CSV from the admin through the public export code."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from cases.models import Court, PublicationState
from tests.factories import LawsuitFactory, RulingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, court_data):
    editor = User.objects.create_user("editor", password="pw", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
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
