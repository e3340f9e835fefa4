"""`manage.py generate_bulk`: synthetic records, clearly marked, never mixed into real data."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.models import Court, Lawsuit, Policy, Ruling, RulingEffect, Source
from tests.factories import LawsuitFactory

pytestmark = pytest.mark.django_db


def generate(**options):
    options = {"rulings": 60, "lawsuits": 20, "seed": 7, "verbosity": 0, **options}
    call_command("generate_bulk", **options)


def snapshot():
    """Everything generated, without the creation timestamps."""
    return (
        list(
            Lawsuit.objects.order_by("id").values_list(
                "id", "slug", "caption", "court_id", "docket_number", "filed_on", "status"
            )
        ),
        list(
            Ruling.objects.order_by("id").values_list(
                "id", "court_id", "decided_on", "kind", "outcome", "scope", "summary"
            )
        ),
        list(
            Ruling.lawsuits.through.objects.order_by("ruling_id", "lawsuit_id").values_list(
                "ruling_id", "lawsuit_id"
            )
        ),
        list(RulingEffect.objects.order_by("id").values_list("ruling_id", "policy_id", "effect")),
    )


def test_generates_the_counts_asked_for_in_real_courts():
    generate()

    assert Lawsuit.objects.count() == 20
    assert Ruling.objects.count() == 60
    assert RulingEffect.objects.count() >= 60
    assert Court.objects.filter(pk="ilnd").exists()  # courts loaded from the fixture
    assert set(Ruling.objects.values_list("court_id", flat=True)) <= set(
        Court.objects.values_list("pk", flat=True)
    )
    assert Ruling.objects.filter(lawsuits=None).count() == 0


def test_everything_is_marked_synthetic_and_cites_the_synthetic_source():
    generate()

    source = Source.objects.get(slug="synthetic-bulk-data", title="Synthetic bulk data")
    assert all(
        slug.startswith("synthetic-") for slug in Lawsuit.objects.values_list("slug", flat=True)
    )
    assert all(
        c.startswith("[synthetic]") for c in Lawsuit.objects.values_list("caption", flat=True)
    )
    assert all(
        s.startswith("[synthetic]") for s in Ruling.objects.values_list("summary", flat=True)
    )
    assert all(
        slug.startswith("synthetic-") for slug in Policy.objects.values_list("slug", flat=True)
    )
    assert source.rulings.count() == 60
    assert source.lawsuits.count() == 20
    # Written in bulk: no history rows.
    assert Ruling.history.count() == 0
    assert Lawsuit.history.count() == 0


def test_rulings_are_never_dated_before_their_lawsuits_were_filed():
    generate(rulings=200, lawsuits=30)

    for ruling in Ruling.objects.prefetch_related("lawsuits"):
        assert all(ruling.decided_on >= suit.filed_on for suit in ruling.lawsuits.all())


def test_refuses_a_database_with_real_published_records(court_data):
    real = LawsuitFactory(court=Court.objects.get(pk="cand"))

    with pytest.raises(CommandError, match="real published"):
        generate()

    assert Lawsuit.objects.count() == 1
    assert Ruling.objects.count() == 0

    generate(force=True)

    assert Lawsuit.objects.count() == 21
    assert Lawsuit.objects.filter(pk=real.pk).exists()


def test_same_seed_same_data_and_a_rerun_replaces_the_synthetic_records():
    generate(seed=3)
    first = snapshot()

    generate(seed=3)  # only synthetic records in the database: no --force needed

    assert snapshot() == first
    assert Lawsuit.objects.count() == 20

    generate(seed=4)

    assert snapshot() != first
