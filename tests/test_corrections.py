"""Suggested corrections: a form on every public record's page, an admin queue editors work
through, spam kept out, and no reader's email address anywhere public."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from cases.models import Lawsuit, PublicationState
from readers.models import (
    Correction,
    CorrectionState,
    Frequency,
    Subscriber,
    Subscription,
    SubscriptionState,
)
from readers.ratelimit import CORRECTIONS_PER_CLIENT
from tests.factories import (
    CourtFactory,
    FundingProgramFactory,
    JurisdictionFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

pytestmark = pytest.mark.django_db

READER_EMAIL = "reader.private@example.org"
SUBSCRIBER_EMAIL = "subscriber.private@example.org"


@pytest.fixture
def records(db) -> dict:
    court = CourtFactory(id="ilnd", name="Northern District of Illinois")
    program = FundingProgramFactory(slug="byrne-jag")
    policy = PolicyFactory(slug="jag-conditions", programs=[program])
    jurisdiction = JurisdictionFactory(slug="chicago", name="City of Chicago", state="IL")
    lawsuit = LawsuitFactory(
        slug="chicago-v-sessions",
        caption="City of Chicago v. Sessions",
        court=court,
        plaintiffs=[jurisdiction],
        policies=[policy],
    )
    ruling = RulingFactory(court=court, lawsuits=[lawsuit])
    RulingEffectFactory(ruling=ruling, policy=policy)
    return {
        "ruling": ruling,
        "lawsuit": lawsuit,
        "policy": policy,
        "court": court,
        "program": program,
        "jurisdiction": jurisdiction,
    }


@pytest.fixture
def editor_client(client, editors_group):
    editor = User.objects.create_user("editor", is_staff=True)
    editor.groups.add(editors_group)
    client.force_login(editor)
    client.editor = editor
    return client


def suggestion(**overrides) -> dict:
    return {
        "what_is_wrong": "The complaint was filed on 7 August 2017, not 8 August.",
        "source": "https://example.org/docket/1-17-cv-05720/entry-1.pdf",
        "email": READER_EMAIL,
        **overrides,
    }


def csrf_token(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def test_a_correction_submitted_on_a_lawsuit_page_appears_in_the_admin_queue(
    records, editor_client
):
    lawsuit = records["lawsuit"]
    reader = Client(enforce_csrf_checks=True)
    page = reader.get(lawsuit.get_absolute_url()).content.decode()
    (link,) = re.findall(r'href="(/corrections/[^"]+)"[^>]*>Suggest a correction', page)
    assert link == "/corrections/lawsuit/chicago-v-sessions/"

    form = reader.get(link)
    assert form.status_code == 200 and "City of Chicago v. Sessions" in form.content.decode()
    sent = reader.post(link, {**suggestion(), "csrfmiddlewaretoken": csrf_token(form)})
    assert sent.status_code == 302
    thanks = reader.get(sent["Location"])
    assert thanks.status_code == 200 and b"Thank you" in thanks.content

    correction = Correction.objects.get()
    assert correction.record == lawsuit
    assert correction.state == CorrectionState.NEW
    assert correction.record_path == "/lawsuits/chicago-v-sessions/"
    # A suggestion changes nothing by itself.
    assert Lawsuit.objects.get(pk=lawsuit.pk).updated_at == lawsuit.updated_at

    queue = editor_client.get(reverse("admin:readers_correction_changelist"))
    assert queue.status_code == 200
    assert "City of Chicago v. Sessions" in queue.content.decode()
    index = editor_client.get(reverse("admin:index")).content.decode()
    assert "1 new suggestion</strong>" in index
    detail = editor_client.get(reverse("admin:readers_correction_change", args=[correction.pk]))
    html = detail.content.decode()
    assert "not 8 August" in html and READER_EMAIL in html  # editors may reply
    assert reverse("admin:cases_lawsuit_change", args=[lawsuit.pk]) in html


def test_every_public_record_page_has_a_suggest_a_correction_form(client, records):
    for kind, record in records.items():
        page = client.get(record.get_absolute_url()).content.decode()
        key = record.slug if hasattr(record, "slug") else record.pk
        path = f"/corrections/{kind}/{key}/"
        assert f'href="{path}"' in page, kind
        form = client.get(path)
        assert form.status_code == 200, kind
        assert b'name="what_is_wrong"' in form.content and b'name="source"' in form.content


def test_only_public_records_take_corrections(client, records):
    draft = LawsuitFactory(slug="draft-case", publication_state=PublicationState.DRAFT)
    assert client.get(f"/corrections/lawsuit/{draft.slug}/").status_code == 404
    assert client.get("/corrections/lawsuit/no-such-case/").status_code == 404
    assert client.get("/corrections/ruling/not-a-number/").status_code == 404
    assert client.get("/corrections/source/anything/").status_code == 404
    assert client.post("/corrections/lawsuit/draft-case/", suggestion()).status_code == 404
    assert not Correction.objects.exists()


def test_a_suggestion_needs_what_is_wrong_and_a_usable_source(client, records):
    path = "/corrections/lawsuit/chicago-v-sessions/"
    empty = client.post(path, suggestion(what_is_wrong="", source=""))
    bad_link = client.post(path, suggestion(source="javascript://alert(1)"))
    bad_email = client.post(path, suggestion(email="not an address"))

    assert empty.status_code == bad_link.status_code == bad_email.status_code == 400
    assert b"This field is required" in empty.content
    assert b"A link must start with http:// or https://" in bad_link.content
    assert b"Enter a valid email address" in bad_email.content
    # A citation is a source too, and the email address is optional.
    cited = client.post(path, suggestion(source="888 F.3d 272 (7th Cir. 2018)", email=""))
    assert cited.status_code == 302
    assert Correction.objects.get().email == ""


def test_spam_is_turned_away(records):
    path = "/corrections/lawsuit/chicago-v-sessions/"
    robot = Client(REMOTE_ADDR="198.51.100.7")

    filled_honeypot = robot.post(path, suggestion(website="http://cheap.example"))
    assert filled_honeypot.status_code == 302  # told nothing...
    assert not Correction.objects.exists()  # ...and nothing kept

    for _ in range(CORRECTIONS_PER_CLIENT.count - 1):
        assert robot.post(path, suggestion()).status_code == 302
    flood = robot.post(path, suggestion())
    assert flood.status_code == 429 and b"Too many" in flood.content
    assert Correction.objects.count() == CORRECTIONS_PER_CLIENT.count - 1
    # Someone else is not held up.
    assert Client(REMOTE_ADDR="198.51.100.8").post(path, suggestion()).status_code == 302


def test_marking_a_suggestion_records_the_editor_and_when(records, editor_client):
    Client().post("/corrections/policy/jag-conditions/", suggestion())
    correction = Correction.objects.get()
    url = reverse("admin:readers_correction_change", args=[correction.pk])

    response = editor_client.post(url, {"state": "accepted", "editor_note": "Date fixed."})
    assert response.status_code == 302, response.content.decode()[:2000]
    correction.refresh_from_db()
    assert correction.state == CorrectionState.ACCEPTED
    assert correction.handled_by == editor_client.editor and correction.handled_at is not None
    assert correction.history.count() == 2  # submitted, then accepted

    editor_client.post(url, {"state": "new", "editor_note": "Reopened."})
    correction.refresh_from_db()
    assert correction.handled_by is None and correction.handled_at is None

    changelist = reverse("admin:readers_correction_changelist")
    editor_client.post(changelist, {"action": "mark_rejected", "_selected_action": [correction.pk]})
    correction.refresh_from_db()
    assert correction.state == CorrectionState.REJECTED
    assert correction.handled_by == editor_client.editor
    index = editor_client.get(reverse("admin:index")).content.decode()
    assert "No new suggestions" in index


def test_editors_work_the_queue_but_never_see_subscribers(records, editor_client):
    assert editor_client.get(reverse("admin:readers_correction_changelist")).status_code == 200
    assert editor_client.get(reverse("admin:readers_subscription_changelist")).status_code == 403
    # Suggestions come from readers only.
    assert editor_client.get(reverse("admin:readers_correction_add")).status_code == 403


def test_no_email_address_appears_anywhere_public(client, records):
    Client().post("/corrections/lawsuit/chicago-v-sessions/", suggestion())
    subscriber = Subscriber.objects.create(email=SUBSCRIBER_EMAIL)
    Subscription.objects.create(
        subscriber=subscriber,
        query="lawsuit=chicago-v-sessions",
        frequency=Frequency.DAILY,
        state=SubscriptionState.CONFIRMED,
        confirmed_at=records["ruling"].created_at,
    )
    mail.outbox.clear()
    paths = ["/", "/timeline/", "/rulings/feed/", "/alerts/", "/alerts/manage/"]
    for name in ("rulings", "lawsuits", "policies", "programs", "courts", "jurisdictions"):
        paths += [f"/{name}/", f"/{name}/?format=csv", f"/{name}/?format=json"]
    for kind, record in records.items():
        key = record.slug if hasattr(record, "slug") else record.pk
        paths += [
            record.get_absolute_url(),
            f"/corrections/{kind}/{key}/",
            f"/corrections/{kind}/{key}/thanks/",
        ]
    paths += ["/alerts/?lawsuit=chicago-v-sessions", "/lawsuits/chicago-v-sessions/feed/"]

    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode()
        for address in (READER_EMAIL, SUBSCRIBER_EMAIL):
            assert address not in text, path
        assert "@example.org" not in text, path


def test_the_readers_admin_pages_open_for_a_superuser(admin_client, records):
    Client().post(f"/corrections/ruling/{records['ruling'].pk}/", suggestion())
    subscriber = Subscriber.objects.create(email=SUBSCRIBER_EMAIL)
    subscription = Subscription.objects.create(subscriber=subscriber, query="court=ilnd")
    correction = Correction.objects.get()
    pages = [
        reverse("admin:index"),
        reverse("admin:readers_correction_changelist"),
        reverse("admin:readers_correction_changelist") + "?state__exact=new",
        reverse("admin:readers_correction_change", args=[correction.pk]),
        reverse("admin:readers_correction_history", args=[correction.pk]),
        reverse("admin:readers_subscription_changelist"),
        reverse("admin:readers_subscription_change", args=[subscription.pk]),
    ]
    for url in pages:
        assert admin_client.get(url).status_code == 200, url
    records["ruling"].delete()  # the suggestion outlives its record, and says so
    page = admin_client.get(reverse("admin:readers_correction_change", args=[correction.pk]))
    assert b"the record has since been deleted" in page.content
