"""Email alerts: subscribe from any rulings list (or a lawsuit, policy or court page), confirm by
a signed link, get each newly published matching ruling once, unsubscribe in one click."""

from __future__ import annotations

import datetime
import email
import email.policy
import importlib
import io
import os
import re
import socket
import subprocess
import sys
import threading
from types import SimpleNamespace
from unittest import mock

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from cases.models import Court, PublicationState, Ruling, RulingKind
from readers import alerts, tokens
from readers.models import (
    Delivery,
    Frequency,
    RulingPublication,
    Subscriber,
    Subscription,
    SubscriptionState,
)
from readers.ratelimit import SUBSCRIBE_PER_CLIENT, SUBSCRIBE_PER_EMAIL
from tests.factories import (
    CourtFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)

pytestmark = pytest.mark.django_db

POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
LINK = re.compile(re.escape(settings.SITE_URL) + r"(/alerts/[a-z]+/[^\s\"<>]+/)")


def links(message, kind: str) -> list[str]:
    """The site paths of the `kind` links (confirm, unsubscribe, manage) in a message's text."""
    return [path for path in LINK.findall(message.body) if path.startswith(f"/alerts/{kind}/")]


def ask(client, address: str, query: str = "", frequency: str = Frequency.IMMEDIATE, **extra):
    data = {"email": address, "frequency": frequency, "filters": query, **extra}
    return client.post("/alerts/", data)


def subscribe(client, address: str, query: str = "", frequency: str = Frequency.IMMEDIATE):
    """Subscribe and confirm through the pages and the confirmation email, as a reader does."""
    mail.outbox.clear()
    response = ask(client, address, query, frequency)
    assert response.status_code == 302, response.content.decode()[:3000]
    (confirm,) = links(mail.outbox[-1], "confirm")
    assert client.get(confirm).status_code == 200
    assert client.post(confirm).status_code == 200
    mail.outbox.clear()
    return Subscription.objects.get(subscriber__email=address.lower(), query=query)


def run(**kwargs) -> alerts.Report:
    return alerts.send_alerts(**kwargs)


@pytest.fixture
def court(db):
    return CourtFactory(
        id="ilnd", name="Northern District of Illinois", citation_string="N.D. Ill."
    )


@pytest.fixture
def other_court(db):
    return CourtFactory(
        id="cand", name="Northern District of California", citation_string="N.D. Cal."
    )


# --- Subscribing and confirming ----------------------------------------------------------------


def test_the_subscribe_page_names_the_filters_of_the_list_it_came_from(client, court):
    response = client.get("/alerts/?court=ilnd&kind=tro&page=2&sort=court&format=csv")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Northern District of Illinois" in html
    assert "Temporary restraining order" in html
    # The stored form of the filters: known filters only, in one order.
    assert 'value="court=ilnd&amp;kind=tro"' in html
    assert "no-store" in response["Cache-Control"]


def test_filters_that_do_not_validate_cannot_be_followed(client, court):
    page = client.get("/alerts/?court=nowhere")
    posted = ask(client, "reader@example.org", "court=nowhere")

    assert page.status_code == 400 and b"cannot be followed" in page.content
    assert posted.status_code == 400 and b"cannot be followed" in posted.content
    assert not Subscription.objects.exists() and not mail.outbox


def test_a_bad_email_address_is_a_form_error(client, court):
    response = ask(client, "not an address", "court=ilnd")
    assert response.status_code == 400
    assert b"Enter a valid email address" in response.content


def test_subscribing_sends_only_a_confirmation_until_it_is_confirmed(client, court):
    RulingFactory(court=court)  # published before: never "new"
    response = ask(client, "Reader@Example.org", "court=ilnd")

    assert response.status_code == 302 and response["Location"] == "/alerts/requested/"
    (message,) = mail.outbox
    assert message.to == ["reader@example.org"]
    assert message.subject.startswith("Confirm your email alert")
    assert "Northern District of Illinois" in message.body
    assert len(links(message, "confirm")) == 1
    subscription = Subscription.objects.get()
    assert subscription.state == SubscriptionState.PENDING

    RulingFactory(court=court)  # published while the subscription waits
    mail.outbox.clear()
    report = run()
    assert report.messages == 0 and not mail.outbox


def test_following_the_confirmation_link_shows_a_button_and_posting_it_confirms(client, court):
    ask(client, "reader@example.org", "court=ilnd", Frequency.DAILY)
    (confirm,) = links(mail.outbox[0], "confirm")

    page = client.get(confirm)
    assert page.status_code == 200 and b"Confirm this alert" in page.content
    assert Subscription.objects.get().state == SubscriptionState.PENDING  # a GET confirms nothing

    done = client.post(confirm)
    subscription = Subscription.objects.get()
    assert done.status_code == 200 and b"Your alert is confirmed" in done.content
    assert subscription.state == SubscriptionState.CONFIRMED
    assert subscription.frequency == Frequency.DAILY
    assert client.post(confirm).status_code == 200  # twice is harmless


def test_an_altered_or_expired_confirmation_link_is_refused(client, court):
    ask(client, "reader@example.org", "court=ilnd")
    (confirm,) = links(mail.outbox[0], "confirm")

    assert client.get(confirm[:-3] + "xx/").status_code == 400
    later = datetime.datetime.now().timestamp() + tokens.CONFIRM_MAX_AGE + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert client.post(confirm).status_code == 400
    assert Subscription.objects.get().state == SubscriptionState.PENDING


def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(client, court):
    first = ask(client, "reader@example.org", "court=ilnd")
    again_pending = ask(client, "reader@example.org", "court=ilnd")
    subscribe(client, "reader@example.org", "court=ilnd")
    again_confirmed = ask(client, "reader@example.org", "court=ilnd")
    stranger = ask(client, "stranger@example.org", "court=ilnd")

    answers = [first, again_pending, again_confirmed, stranger]
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, "/alerts/requested/")}
    # The same email each time: a confirmation request (confirming again changes nothing).
    assert [m.subject for m in mail.outbox] == [
        "Confirm your email alert for rulings: Court Northern District of Illinois"
    ] * 2
    assert client.get("/alerts/requested/").status_code == 200
    assert Subscription.objects.filter(subscriber__email="reader@example.org").count() == 1


def test_subscribing_is_rate_limited_per_client_and_per_address(court):
    per_email, per_client = SUBSCRIBE_PER_EMAIL.count, SUBSCRIBE_PER_CLIENT.count
    client = Client(REMOTE_ADDR="192.0.2.1")
    for _ in range(per_email):
        assert ask(client, "target@example.org", "court=ilnd").status_code == 302
    refused = ask(client, "target@example.org", "court=ilnd")
    assert refused.status_code == 429 and b"Too many" in refused.content
    assert "Retry-After" in refused
    # Another client cannot get more emails sent to that address either.
    elsewhere = Client(REMOTE_ADDR="192.0.2.2")
    assert ask(elsewhere, "target@example.org", "court=ilnd").status_code == 429
    assert len(mail.outbox) == per_email

    for n in range(per_client - per_email - 1):  # the first client's own allowance
        assert ask(client, f"reader{n}@example.org", "court=ilnd").status_code == 302
    assert ask(client, "last@example.org", "court=ilnd").status_code == 429


def test_the_honeypot_answers_as_usual_and_keeps_nothing(client, court):
    response = ask(client, "bot@example.org", "court=ilnd", website="http://spam.example")
    assert response.status_code == 302
    assert not Subscription.objects.exists() and not mail.outbox


# --- Sending -----------------------------------------------------------------------------------


def test_a_new_matching_ruling_is_sent_once(client, court, other_court):
    RulingFactory(court=court)  # already public when subscribing
    subscription = subscribe(client, "reader@example.org", "court=ilnd")
    new = RulingFactory(court=court, kind=RulingKind.PERMANENT_INJUNCTION)
    RulingFactory(court=other_court)  # does not match

    report = run()

    assert report.messages == 1 and report.rulings == 1
    (message,) = mail.outbox
    assert message.to == ["reader@example.org"]
    assert message.subject == (
        f"New ruling: Summary judgment / permanent injunction, N.D. Ill., {new.decided_on:%Y-%m-%d}"
    )
    assert settings.SITE_URL + new.get_absolute_url() in message.body
    html = message.alternatives[0][0]
    assert new.get_absolute_url() in html
    assert list(Delivery.objects.values_list("ruling", flat=True)) == [new.pk]
    assert Subscription.objects.get().last_sent_at is not None

    mail.outbox.clear()
    assert run().messages == 0 and not mail.outbox  # a second run sends nothing again
    assert subscription.deliveries.count() == 1


def test_a_draft_sends_nothing_until_it_is_published(client, court):
    subscribe(client, "reader@example.org", "court=ilnd")
    draft = RulingFactory(court=court, publication_state=PublicationState.DRAFT)

    assert run().messages == 0 and not mail.outbox

    Ruling.objects.filter(pk=draft.pk).update(publication_state=PublicationState.PUBLISHED)
    assert run().messages == 1
    assert draft.get_absolute_url() in mail.outbox[0].body
    assert run().messages == 1 - 1


def test_lawsuit_policy_and_court_subscriptions_follow_their_record(client, court, other_court):
    lawsuit = LawsuitFactory(slug="chicago-v-sessions", caption="City of Chicago v. Sessions")
    policy = PolicyFactory(slug="jag-conditions")
    subscribe(client, "case@example.org", "lawsuit=chicago-v-sessions")
    subscribe(client, "policy@example.org", "policy=jag-conditions")
    subscribe(client, "court@example.org", "court=cand")
    in_case = RulingFactory(court=court, lawsuits=[lawsuit])
    RulingEffectFactory(ruling=RulingFactory(court=other_court), policy=policy)

    run()

    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {"case@example.org", "policy@example.org", "court@example.org"}
    assert in_case.get_absolute_url() in sent["case@example.org"].body
    assert "City of Chicago v. Sessions" in sent["case@example.org"].body
    assert in_case.get_absolute_url() not in sent["court@example.org"].body


def test_every_alert_has_a_one_click_unsubscribe(client, court):
    subscribe(client, "reader@example.org", "court=ilnd")
    RulingFactory(court=court)
    run()
    (message,) = mail.outbox
    (unsubscribe,) = links(message, "unsubscribe")

    header = message.extra_headers["List-Unsubscribe"]
    assert header == f"<{settings.SITE_URL}{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert links(message, "manage")


def test_unsubscribing_stops_messages(court):
    browser = Client()
    subscribe(browser, "reader@example.org", "court=ilnd")
    RulingFactory(court=court)
    run()
    (unsubscribe,) = links(mail.outbox[0], "unsubscribe")
    mail.outbox.clear()

    # A link scanner's GET changes nothing; the page has the button.
    page = browser.get(unsubscribe)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    assert Subscription.objects.exists()
    # The mail client's one-click POST carries no CSRF token (RFC 8058).
    mail_client = Client(enforce_csrf_checks=True)
    one_click = {"List-Unsubscribe": "One-Click"}
    response = mail_client.post(unsubscribe, one_click)
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert mail_client.post(unsubscribe, one_click).status_code == 200  # idempotent
    assert not Subscription.objects.exists() and not Subscriber.objects.exists()

    RulingFactory(court=court)
    assert run().messages == 0 and not mail.outbox


def test_the_manage_page_lists_and_ends_an_addresss_alerts(client, court):
    subscribe(client, "reader@example.org", "court=ilnd")
    subscribe(client, "reader@example.org", "kind=tro", Frequency.DAILY)
    subscribe(client, "other@example.org", "court=ilnd")
    RulingFactory(court=court)
    run()
    message = next(m for m in mail.outbox if m.to == ["reader@example.org"])
    (manage,) = links(message, "manage")

    page = client.get(manage)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Temporary restraining order" in html and "Northern District of Illinois" in html
    assert "reader@example.org" not in html and "r…@example.org" in html

    first = Subscription.objects.get(subscriber__email="reader@example.org", query="court=ilnd")
    assert client.post(manage, {"end": first.pk}).status_code == 302
    assert list(Subscription.objects.filter(subscriber__email="reader@example.org")) != []
    client.post(manage, {"end_all": "1"})
    assert not Subscription.objects.filter(subscriber__email="reader@example.org").exists()
    assert Subscription.objects.filter(subscriber__email="other@example.org").exists()
    assert client.get(manage[:-3] + "xx/").status_code == 400


def test_a_lost_manage_link_is_sent_only_to_an_address_with_alerts(client, court):
    subscribe(client, "reader@example.org", "court=ilnd")
    known = client.post("/alerts/manage/", {"email": "reader@example.org"})
    unknown = client.post("/alerts/manage/", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    (message,) = mail.outbox
    assert message.to == ["reader@example.org"] and links(message, "manage")


def test_daily_digests_go_out_once_a_day(client, court):
    subscription = subscribe(client, "reader@example.org", "court=ilnd", Frequency.DAILY)
    first, second = RulingFactory(court=court), RulingFactory(court=court)
    # The first digest time after the confirmation, whatever the time of day it was.
    next_digest = alerts.daily_boundary(subscription.confirmed_at) + datetime.timedelta(days=1)
    assert next_digest.hour == settings.ALERTS_DAILY_HOUR

    assert run(now=next_digest - datetime.timedelta(minutes=1)).messages == 0
    digest = run(now=next_digest + datetime.timedelta(minutes=5))
    assert digest.messages == 1 and digest.rulings == 2
    (message,) = mail.outbox
    assert message.subject.startswith("2 new rulings")
    assert first.get_absolute_url() in message.body and second.get_absolute_url() in message.body

    RulingFactory(court=court)
    assert run(now=next_digest + datetime.timedelta(hours=6)).messages == 0
    assert run(now=next_digest + datetime.timedelta(days=1, minutes=1)).messages == 1


def test_a_filter_that_no_longer_validates_is_reported_not_crashed_on(client, court, other_court):
    subscribe(client, "gone@example.org", "court=cand")
    subscribe(client, "fine@example.org", "court=ilnd")
    Court.objects.filter(pk="cand").delete()  # a court removed from the reference data
    RulingFactory(court=court)
    out, err = io.StringIO(), io.StringIO()

    call_command("send_alerts", stdout=out, stderr=err)

    assert [m.to for m in mail.outbox] == [["fine@example.org"]]
    assert "1 message(s) sent" in out.getvalue()
    assert "filters no longer validate (court=cand)" in err.getvalue()
    assert "cand is not one of the available choices" in err.getvalue()
    assert (
        "not one of the available choices"
        in Subscription.objects.get(query="court=cand").filter_error
    )


def test_a_run_that_dies_halfway_leaves_the_rest_to_the_next_run(client, court):
    for n in range(3):
        subscribe(client, f"reader{n}@example.org", "court=ilnd")
    RulingFactory(court=court)
    real_send = alerts.send
    calls = []

    def dies_on_the_second(message):
        calls.append(message.to[0])
        if len(calls) == 2:
            raise RuntimeError("the process was killed")
        real_send(message)

    with mock.patch.object(alerts, "send", dies_on_the_second), pytest.raises(RuntimeError):
        run()
    assert [m.to[0] for m in mail.outbox] == ["reader0@example.org"]
    assert Delivery.objects.count() == 1  # the second's record was rolled back with it

    report = run()
    assert report.messages == 2
    assert sorted(m.to[0] for m in mail.outbox) == [f"reader{n}@example.org" for n in range(3)]
    assert run().messages == 0


def test_a_mail_server_error_is_reported_and_retried(client, court):
    subscribe(client, "reader@example.org", "court=ilnd")
    RulingFactory(court=court)
    err = io.StringIO()

    with (
        mock.patch.object(alerts, "send", side_effect=ConnectionRefusedError("refused")),
        pytest.raises(Exception, match="could not be sent"),
    ):
        call_command("send_alerts", stdout=io.StringIO(), stderr=err)
    assert "will be retried" in err.getvalue() and not Delivery.objects.exists()
    assert run().messages == 1


def test_a_second_run_with_the_same_rulings_in_hand_sends_nothing(client, court):
    """What keeps overlapping runs apart where rows cannot be locked (SQLite): a run that
    picked the rulings before another run recorded them cannot record them again, and so
    does not send them."""
    subscription = subscribe(client, "reader@example.org", "court=ilnd")
    RulingFactory(court=court)
    alerts.record_publications()
    seen_by_the_slower_run = alerts._matching(subscription)
    assert len(seen_by_the_slower_run) == 1

    assert run().messages == 1
    with mock.patch.object(alerts, "_matching", return_value=seen_by_the_slower_run):
        late = run()

    assert late.messages == 0 and late.overlapped == 1
    assert len(mail.outbox) == 1 and Delivery.objects.count() == 1


@pytest.mark.skipif(
    not POSTGRES,
    reason="needs PostgreSQL: two runs in two connections at once, and SELECT ... FOR UPDATE "
    "SKIP LOCKED, which SQLite does not have (the test above covers SQLite's guard)",
)
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_send_each_alert_once():
    court = CourtFactory(id="ilnd")
    addresses = [f"reader{n}@example.org" for n in range(4)]
    for address in addresses:
        subscriber = Subscriber.objects.create(email=address)
        subscription = Subscription.objects.create(subscriber=subscriber, query="court=ilnd")
        alerts.confirm(subscription, Frequency.IMMEDIATE)
    RulingFactory(court=court)
    second_done = threading.Event()
    real_send = alerts.send
    first_sends = []

    def send(message):
        if threading.current_thread().name == "first":
            first_sends.append(message.to[0])
            if len(first_sends) == 1:
                # Hold this subscription's lock while the whole second run goes by.
                assert second_done.wait(30), "the second run did not finish"
        real_send(message)

    reports = {}

    def run_in_thread(name):
        try:
            reports[name] = alerts.send_alerts()
        finally:
            if name == "second":
                second_done.set()
            connection.close()

    with mock.patch.object(alerts, "send", send):
        first = threading.Thread(target=run_in_thread, args=("first",), name="first")
        first.start()
        while not first_sends and first.is_alive():
            first.join(0.01)
        second = threading.Thread(target=run_in_thread, args=("second",), name="second")
        second.start()
        second.join(60)
        first.join(60)

    assert sorted(m.to[0] for m in mail.outbox) == addresses  # each exactly once
    assert reports["second"].held >= 1  # it passed over the one the first run was sending
    assert reports["first"].messages + reports["second"].messages == len(addresses)
    assert Delivery.objects.count() == len(addresses)


# --- A real mail server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """An SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.received: list[tuple[list[str], bytes]] = []

        async def handle_DATA(self, server, session, envelope):
            self.received.append((list(envelope.rcpt_tos), envelope.original_content))
            return "250 Message accepted for delivery"

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def test_an_alert_sent_through_a_real_smtp_server(client, court, smtp_server):
    controller, handler = smtp_server
    subscribe(client, "reader@example.org", "court=ilnd")
    ruling = RulingFactory(court=court)
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": controller.port,
        "EMAIL_USE_TLS": False,
        "EMAIL_TIMEOUT": 10,
    }

    with override_settings(**smtp):
        assert run().messages == 1

    ((recipients, raw),) = handler.received
    assert recipients == ["reader@example.org"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == (
        f"New ruling: Preliminary injunction, N.D. Ill., {ruling.decided_on:%Y-%m-%d}"
    )
    assert message["To"] == "reader@example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert settings.SITE_URL + ruling.get_absolute_url() in text
    assert ruling.get_absolute_url() in html
    header = str(message["List-Unsubscribe"]).strip()  # it may be folded onto its own line
    assert header.startswith(f"<{settings.SITE_URL}/alerts/unsubscribe/")

    path = header.strip("<>")[len(settings.SITE_URL) :]
    assert path in text and path in html
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Subscription.objects.exists()


# --- The page cache ----------------------------------------------------------------------------


def test_cached_pages_link_to_a_subscribe_form_that_works(court):
    RulingFactory(court=court)
    first_visitor = Client(enforce_csrf_checks=True)
    first_visitor.get("/rulings/?court=ilnd")
    visitor = Client(enforce_csrf_checks=True)

    listing = visitor.get("/rulings/?court=ilnd")  # served from the page cache

    html = listing.content.decode()
    assert listing.status_code == 200 and "csrfmiddlewaretoken" not in html
    assert not listing.cookies  # one copy for every visitor: no per-visitor token in it
    (link,) = re.findall(r'href="(/alerts/[^"]*)"', html)
    assert link == "/alerts/?court=ilnd"

    form_page = visitor.get(link)
    assert form_page.status_code == 200 and "no-store" in form_page["Cache-Control"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.content.decode())
    data = {
        "email": "reader@example.org",
        "frequency": "immediate",
        "filters": "court=ilnd",
        "csrfmiddlewaretoken": token.group(1),
    }
    assert visitor.post("/alerts/", data).status_code == 302
    assert Subscription.objects.filter(query="court=ilnd").exists()
    # Without the token it is refused: the form is CSRF protected.
    del data["csrfmiddlewaretoken"]
    assert Client(enforce_csrf_checks=True).post("/alerts/", data).status_code == 403


def test_lawsuit_policy_and_court_pages_link_to_their_alerts(client, court):
    lawsuit = LawsuitFactory(slug="chicago-v-sessions", court=court)
    policy = PolicyFactory(slug="jag-conditions")

    def page(record) -> str:
        return client.get(record.get_absolute_url()).content.decode()

    assert '/alerts/?lawsuit=chicago-v-sessions"' in page(lawsuit)
    assert '/alerts/?policy=jag-conditions"' in page(policy)
    assert '/alerts/?court=ilnd"' in page(court)
    assert client.get("/alerts/?lawsuit=chicago-v-sessions").status_code == 200


# --- The ledger of publications and the digest clock -------------------------------------------


def test_rulings_public_before_alerts_existed_are_never_new(client, court):
    """The data migration enters every published ruling in the ledger, so a site that had
    rulings before alerts sends none of them as new."""
    migration = importlib.import_module("readers.migrations.0002_editors_and_ledger")
    old = RulingFactory(court=court)
    draft = RulingFactory(court=court, publication_state=PublicationState.DRAFT)

    migration.start_ledger(django_apps, SimpleNamespace(connection=connection))

    assert list(RulingPublication.objects.values_list("ruling", flat=True)) == [old.pk]
    subscribe(client, "reader@example.org", "court=ilnd")
    Ruling.objects.filter(pk=draft.pk).update(publication_state=PublicationState.PUBLISHED)
    run()
    (message,) = mail.outbox
    assert draft.get_absolute_url() in message.body and old.get_absolute_url() not in message.body


@pytest.mark.parametrize(
    ("now", "boundary"),
    [
        ("2026-01-02T06:59", "2026-01-01T07:00"),
        ("2026-01-02T07:00", "2026-01-02T07:00"),
        ("2026-01-02T23:30", "2026-01-02T07:00"),
        ("2026-01-01T00:00", "2025-12-31T07:00"),
    ],
)
@override_settings(ALERTS_DAILY_HOUR=7)
def test_daily_digests_fall_due_at_the_hour(now, boundary):
    def utc(text):
        return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)

    assert alerts.daily_boundary(utc(now)) == utc(boundary)


def settings_with(env: dict[str, str]) -> subprocess.CompletedProcess:
    """The email settings as a fresh process reads them from `env` (and a clean environment)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
        "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.SITE_URL)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "tracker.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_email_settings_come_from_the_environment():
    smtp = settings_with(
        {
            "DJANGO_EMAIL_HOST": "mail.example.org",
            "DJANGO_EMAIL_PORT": "587",
            "DJANGO_EMAIL_HOST_USER": "tracker",
            "DJANGO_EMAIL_HOST_PASSWORD": "s3cret",
            "DJANGO_EMAIL_USE_TLS": "true",
            "DJANGO_SITE_URL": "https://tracker.example/",
        }
    )
    console = settings_with({"DJANGO_EMAIL_BACKEND": "console"})
    bogus = settings_with({"DJANGO_EMAIL_BACKEND": "carrier-pigeon"})

    assert smtp.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.org",
        "587",
        "tracker",
        "s3cret",
        "True",
        "https://tracker.example",
    ]
    assert console.stdout.split()[0] == "django.core.mail.backends.console.EmailBackend"
    assert bogus.returncode != 0 and "DJANGO_EMAIL_BACKEND must be one of" in bogus.stderr


def test_a_mail_server_that_is_down_gets_a_clear_answer_when_subscribing(client, court):
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError
    ):
        response = ask(client, "reader@example.org", "court=ilnd")
    assert response.status_code == 503
    assert b"could not be sent" in response.content
