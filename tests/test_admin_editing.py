"""Editors cannot lose each other's work or break the site: stale forms are refused, reverts
restore links, loops in appeal routes and review chains are refused (by the form and by the
database), constraint errors read as sentences on their field, and a case with rulings is not
deleted."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission, User
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from cases.models import (
    Court,
    CourtLevel,
    Disposition,
    Lawsuit,
    Policy,
    PublicationState,
    Ruling,
    RulingKind,
)
from tests import factories
from tests.test_admin import admin_url, complete_lawsuit, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editors_group():
    group = Group.objects.filter(name="Editors").first()
    if group is None:  # a transactional test flushed it: rebuild it as the migration does
        importlib.import_module("cases.migrations.0003_editors_group").create_editors_group(
            django_apps, None
        )
        group = Group.objects.get(name="Editors")
    return group


def editor_client(group, name: str) -> Client:
    user = User.objects.create_user(name, is_staff=True)
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(editors_group):
    return editor_client(editors_group, "alice")


@pytest.fixture
def bob(editors_group):
    return editor_client(editors_group, "bob")


def field_errors(response, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


def general_errors(response) -> str:
    return " ".join(response.context["adminform"].form.non_field_errors())


# --- No lost update -----------------------------------------------------------------------------


def test_a_stale_ruling_form_is_refused_naming_the_other_editors_change(alice, bob):
    ruling = factories.RulingFactory(summary="Blocks the policy.", judges="")
    url = admin_url(Ruling, "change", ruling)
    alice_form = form_data(alice.get(url))
    bob_form = form_data(bob.get(url))

    alice_form["summary"] = "Enjoins the notice and access conditions nationwide."
    assert alice.post(url, alice_form).status_code == 302
    bob_form["judges"] = "Leinenweber"
    response = bob.post(url, bob_form)

    assert response.status_code == 200
    message = general_errors(response)
    assert "Another editor saved this record while you were editing it" in message
    assert "Summary: now “Enjoins the notice and access conditions nationwide.”" in message
    assert response.context["adminform"].form["judges"].value() == "Leinenweber"  # kept
    ruling.refresh_from_db()
    assert ruling.summary == "Enjoins the notice and access conditions nationwide."
    assert ruling.judges == ""

    # Having seen the other change, Bob saves again (with Alice's summary kept): it goes through.
    again = form_data(response)
    again["summary"] = ruling.summary
    assert bob.post(url, again).status_code == 302
    ruling.refresh_from_db()
    assert (ruling.summary, ruling.judges) == (
        "Enjoins the notice and access conditions nationwide.",
        "Leinenweber",
    )


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (Court, "location", "Illinois"),
        (Policy, "summary", "Conditions Byrne JAG grants."),
        (Lawsuit, "judge", "Orrick"),
        (factories.SourceFactory._meta.model, "publisher", "Reuters"),
        (factories.JurisdictionFactory._meta.model, "name", "City of Renamed"),
        (factories.FundingProgramFactory._meta.model, "statute", "34 U.S.C. § 10151"),
        (factories.GroundFactory._meta.model, "description", "Congress holds the purse."),
        (factories.RulingEffectFactory._meta.model, "detail", "notice condition only"),
    ],
    ids=lambda value: getattr(value, "__name__", None) if isinstance(value, type) else None,
)
def test_every_editable_record_refuses_a_stale_form(alice, bob, model, field, value):
    from tests.test_admin import make

    obj = complete_lawsuit() if model is Lawsuit else make(model)
    url = admin_url(model, "change", obj)
    alice_form, bob_form = form_data(alice.get(url)), form_data(bob.get(url))
    alice_form[field] = value
    assert alice.post(url, alice_form).status_code == 302

    response = bob.post(url, bob_form)

    assert response.status_code == 200
    assert "Another editor saved this record" in general_errors(response)
    obj.refresh_from_db()
    assert getattr(obj, field) == value


def test_a_form_loaded_before_a_publish_action_is_refused(alice, bob):
    policy = factories.PolicyFactory(publication_state=PublicationState.DRAFT)
    url = admin_url(Policy, "change", policy)
    stale = form_data(bob.get(url))

    alice.post(
        admin_url(Policy, "changelist"),
        {"action": "publish_selected", "_selected_action": [policy.pk]},
    )
    response = bob.post(url, stale)

    assert response.status_code == 200
    assert "Publication state: now “Published”" in general_errors(response)
    policy.refresh_from_db()
    assert policy.publication_state == PublicationState.PUBLISHED


def test_every_save_raises_the_version_even_from_an_old_copy():
    ruling = factories.RulingFactory()
    old_copy = Ruling.objects.get(pk=ruling.pk)
    start = ruling.version
    ruling.save()
    old_copy.save()  # a copy read before the first save: still a new version, not a repeat
    assert Ruling.objects.get(pk=ruling.pk).version == start + 2


# --- Revert -------------------------------------------------------------------------------------


def test_revert_restores_a_rulings_grounds_and_sources(alice):
    first, second = factories.GroundFactory(), factories.GroundFactory()
    source = factories.SourceFactory()
    ruling = factories.RulingFactory()
    ruling.grounds.set([first])
    ruling.sources.set([source])
    before = ruling.history.first()
    url = admin_url(Ruling, "change", ruling)

    data = form_data(alice.get(url))
    data["grounds"] = [str(second.pk)]
    data["sources"] = []
    assert alice.post(url, data).status_code == 302
    assert list(ruling.grounds.all()) == [second]

    revert_url = reverse("admin:cases_ruling_simple_history", args=[ruling.pk, before.pk])
    response = alice.post(revert_url, form_data(alice.get(revert_url)))

    assert response.status_code == 302
    assert list(ruling.grounds.all()) == [first]
    assert list(ruling.sources.all()) == [source]


def test_revert_restores_a_lawsuits_plaintiffs_and_policies(alice):
    lawsuit = complete_lawsuit()
    plaintiffs, policies = list(lawsuit.plaintiffs.all()), list(lawsuit.policies.all())
    before = lawsuit.history.first()
    url = admin_url(Lawsuit, "change", lawsuit)
    data = form_data(alice.get(url))
    data["plaintiffs"] = [str(factories.JurisdictionFactory().pk)]
    data["policies"] = [str(factories.PolicyFactory().pk)]
    assert alice.post(url, data).status_code == 302

    revert_url = reverse("admin:cases_lawsuit_simple_history", args=[lawsuit.pk, before.pk])
    assert alice.post(revert_url, form_data(alice.get(revert_url))).status_code == 302

    assert list(lawsuit.plaintiffs.all()) == plaintiffs
    assert list(lawsuit.policies.all()) == policies


def test_revert_needs_the_change_permission(client, alice):
    ruling = factories.RulingFactory(summary="First.")
    before = ruling.history.first()
    url = admin_url(Ruling, "change", ruling)
    data = form_data(alice.get(url))
    data["summary"] = "Second."
    alice.post(url, data)

    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_ruling", "view_historicalruling"])
    )
    client.force_login(viewer)
    revert_url = reverse("admin:cases_ruling_simple_history", args=[ruling.pk, before.pk])
    page = client.get(revert_url)
    assert page.status_code == 200  # reading an old version is allowed

    response = client.post(revert_url, form_data(page))

    assert response.status_code == 403
    ruling.refresh_from_db()
    assert ruling.summary == "Second."


# --- Loops --------------------------------------------------------------------------------------


@pytest.fixture
def route():
    scotus = factories.CourtFactory(
        id="scotus", name="Supreme Court", citation_string="U.S.", level=CourtLevel.SUPREME
    )
    ca9 = factories.CourtFactory(
        id="ca9",
        name="Court of Appeals for the Ninth Circuit",
        citation_string="9th Cir.",
        level=CourtLevel.APPELLATE,
        appeals_to=scotus,
    )
    cand = factories.CourtFactory(
        id="cand", name="District Court, N.D. California", citation_string="N.D. Cal."
    )
    cand.appeals_to = ca9
    cand.save()
    return scotus, ca9, cand


def test_an_appeal_route_loop_is_a_form_error_on_appeals_to(alice, route):
    scotus, ca9, _ = route
    url = admin_url(Court, "change", scotus)
    data = form_data(alice.get(url))
    data["appeals_to"] = "ca9"

    response = alice.post(url, data)

    assert response.status_code == 200
    (error,) = field_errors(response, "appeals_to")
    assert "Appeals would go round in a circle: U.S. → 9th Cir. → U.S." in error
    scotus.refresh_from_db()
    assert scotus.appeals_to is None
    assert alice.get("/").status_code == 200


def test_the_database_refuses_an_appeal_route_loop(route):
    scotus, _, cand = route
    with pytest.raises(IntegrityError), transaction.atomic():
        Court.objects.filter(pk=scotus.pk).update(appeals_to=cand)
    with pytest.raises(IntegrityError), transaction.atomic():
        Court.objects.filter(pk="ca9").update(appeals_to="ca9")
    Court.objects.filter(pk=cand.pk).update(appeals_to=scotus)  # a route that goes up is fine


def test_a_review_chain_loop_is_a_form_error_on_reviews(alice):
    lower = factories.RulingFactory(decided_on=datetime.date(2017, 11, 20))
    upper = factories.RulingFactory(
        decided_on=datetime.date(2018, 4, 19),
        reviews=lower,
        disposition=Disposition.AFFIRMED,
        lawsuits=list(lower.lawsuits.all()),
    )
    url = admin_url(Ruling, "change", lower)
    data = form_data(alice.get(url))
    data.update(reviews=str(upper.pk), disposition=Disposition.AFFIRMED)

    response = alice.post(url, data)

    assert response.status_code == 200
    (error,) = field_errors(response, "reviews")
    assert error.startswith("A review chain cannot loop:")
    assert lower.lawsuits.get().caption in error
    lower.refresh_from_db()
    assert lower.reviews is None


def test_the_database_refuses_a_review_chain_loop():
    nine = factories.RulingFactory()
    ten = factories.RulingFactory(reviews=nine, disposition=Disposition.AFFIRMED)
    eleven = factories.RulingFactory(reviews=ten, disposition=Disposition.AFFIRMED)

    with pytest.raises(IntegrityError), transaction.atomic():
        Ruling.objects.filter(pk=nine.pk).update(reviews=ten)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ruling.objects.filter(pk=nine.pk).update(reviews=eleven)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ruling.objects.filter(pk=nine.pk).update(reviews=nine)
    assert Ruling.objects.get(pk=nine.pk).reviews is None


# --- Constraint errors as sentences on their field ----------------------------------------------


def test_a_disposition_without_a_reviewed_ruling_is_a_sentence_on_disposition(alice):
    ruling = factories.RulingFactory()
    url = admin_url(Ruling, "change", ruling)
    data = form_data(alice.get(url))
    data["disposition"] = Disposition.REVERSED

    response = alice.post(url, data)

    assert response.status_code == 200
    (error,) = field_errors(response, "disposition")
    assert error.startswith("A disposition says what this ruling did to the ruling it reviews")
    assert not response.context["adminform"].form.non_field_errors()
    assert "ruling_disposition_needs_review" not in response.content.decode()


@pytest.mark.parametrize(
    ("model", "changes", "field", "sentence"),
    [
        (
            Lawsuit,
            {"closed_on": "2017-01-01"},
            "closed_on",
            "A case cannot close before it was filed",
        ),
        (Policy, {"end_kind": "revoked"}, "ended_on", "Record how and when the policy ended"),
        (Policy, {"ended_on": "2018-01-01"}, "end_kind", "Record how and when the policy ended"),
        (
            Policy,
            {"end_kind": "revoked", "ended_on": "2016-01-01"},
            "ended_on",
            "A policy cannot end before it was issued",
        ),
    ],
)
def test_constraint_errors_read_as_sentences_on_their_field(alice, model, changes, field, sentence):
    obj = complete_lawsuit() if model is Lawsuit else factories.PolicyFactory()
    url = admin_url(model, "change", obj)
    data = form_data(alice.get(url))
    data.update(changes)

    response = alice.post(url, data)

    assert response.status_code == 200
    assert any(error.startswith(sentence) for error in field_errors(response, field))
    assert "is violated" not in response.content.decode()


def test_a_duplicate_docket_number_is_a_sentence_on_docket_number(alice):
    taken = complete_lawsuit(docket_number="1:17-cv-05720")
    other = complete_lawsuit(court=taken.court)
    url = admin_url(Lawsuit, "change", other)
    data = form_data(alice.get(url))
    data["docket_number"] = "1:17-cv-05720"

    response = alice.post(url, data)

    assert response.status_code == 200
    (error,) = field_errors(response, "docket_number")
    assert error.startswith("This court already has a case with this docket number")


# --- Deleting a case with rulings ---------------------------------------------------------------


def test_deleting_a_lawsuit_with_rulings_is_refused_listing_them(alice):
    lawsuit = complete_lawsuit(caption="City of Chicago v. Sessions")
    rulings = [
        factories.RulingFactory(lawsuits=[lawsuit], decided_on=datetime.date(2017, 9, 15)),
        factories.RulingFactory(lawsuits=[lawsuit], kind=RulingKind.APPELLATE_OPINION),
    ]

    response = alice.post(admin_url(Lawsuit, "delete", lawsuit), {"post": "yes"})

    assert response.status_code == 200
    body = response.content.decode()
    for ruling in rulings:
        assert reverse("admin:cases_ruling_change", args=[ruling.pk]) in body
    assert "City of Chicago v. Sessions: Preliminary injunction" in body
    assert Lawsuit.objects.filter(pk=lawsuit.pk).exists()

    response = alice.post(
        admin_url(Lawsuit, "changelist"),
        {"action": "delete_selected", "_selected_action": [lawsuit.pk], "post": "yes"},
    )

    assert response.status_code == 200
    assert reverse("admin:cases_ruling_change", args=[rulings[0].pk]) in response.content.decode()
    assert Lawsuit.objects.filter(pk=lawsuit.pk).exists()
    assert all(ruling.lawsuits.filter(pk=lawsuit.pk).exists() for ruling in rulings)


def test_a_lawsuit_without_rulings_is_deleted(alice):
    lawsuit = complete_lawsuit()

    response = alice.post(admin_url(Lawsuit, "delete", lawsuit), {"post": "yes"})

    assert response.status_code == 302
    assert not Lawsuit.objects.filter(pk=lawsuit.pk).exists()


def test_a_ruling_form_loaded_before_its_case_page_linked_it_is_refused(alice, bob):
    ruling = factories.RulingFactory()
    first = ruling.lawsuits.get()
    second = complete_lawsuit(court=first.court)
    ruling_url = admin_url(Ruling, "change", ruling)
    stale = form_data(alice.get(ruling_url))

    case_url = admin_url(Lawsuit, "change", second)
    page = bob.get(case_url)
    data = form_data(page)
    prefix = next(iter(page.context["inline_admin_formsets"])).formset.prefix
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    data.update({f"{prefix}-0-ruling": str(ruling.pk), f"{prefix}-0-lawsuit": str(second.pk)})
    assert bob.post(case_url, data).status_code == 302

    response = alice.post(ruling_url, stale)

    assert response.status_code == 200
    assert "Lawsuits: links changed" in general_errors(response)
    assert set(ruling.lawsuits.all()) == {first, second}


def test_the_lawsuit_pages_appeal_chains_end_even_on_a_stored_loop():
    """The database refuses a loop now; one stored before it could (9 reviews 10, 10 reviews 9)
    still leaves the case page's chains finite."""
    from cases.views import appeal_chains

    trial = Ruling(pk=8, reviews_id=None)
    nine, ten = Ruling(pk=9, reviews_id=10), Ruling(pk=10, reviews_id=9)
    appeal = Ruling(pk=11, reviews_id=8)

    assert appeal_chains([trial, nine, ten, appeal]) == [[trial, appeal]]
