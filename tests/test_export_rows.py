"""The rulings' lists kept for the exports by the database (RulingExportRow, PostgreSQL): they
follow every change an editor or a bulk operation makes, and the JSON written by COPY holds
the same records as the Python path's."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.db import connection

from cases import exports
from cases.models import (
    Court,
    Effect,
    Ground,
    Lawsuit,
    Policy,
    Ruling,
    RulingEffect,
    RulingExportRow,
)
from tests.factories import (
    CourtFactory,
    GroundFactory,
    LawsuitFactory,
    PolicyFactory,
    RulingEffectFactory,
    RulingFactory,
)
from tests.test_copy_export import NASTY, postgresql_only

pytestmark = [pytest.mark.django_db, postgresql_only]

SEP = exports.UNIT_SEPARATOR


def expected() -> dict[int, tuple]:
    """Each ruling's lists as the export shows them, computed with the ORM."""
    rows = {}
    for ruling in Ruling.objects.all():
        lawsuits = [
            lawsuit.caption for lawsuit in ruling.lawsuits.published().order_by("filed_on", "slug")
        ]
        effects = [
            f"{effect.policy.short_title}: {effect.effect}"
            for effect in RulingEffect.objects.filter(
                ruling=ruling, policy__publication_state="published"
            ).order_by("policy__issued_on", "policy__slug")
        ]
        grounds = sorted(ground.name for ground in ruling.grounds.all())
        rows[ruling.pk] = tuple(SEP.join(names) or None for names in (lawsuits, effects, grounds))
    return rows


def stored() -> dict[int, tuple]:
    return {
        row.ruling_id: (row.lawsuits, row.effects, row.grounds)
        for row in RulingExportRow.objects.all()
    }


def test_the_stored_lists_follow_every_kind_of_change():
    first = LawsuitFactory(caption="Alpha v. Sessions", filed_on=datetime.date(2017, 1, 3))
    second = LawsuitFactory(caption="Beta v. Sessions", filed_on=datetime.date(2017, 1, 2))
    policy = PolicyFactory(short_title="Byrne JAG conditions")
    ground = GroundFactory(name="Spending Clause")
    ruling = RulingFactory(lawsuits=[first])
    other = RulingFactory(lawsuits=[first, second])
    assert stored() == expected()
    assert stored()[other.pk][0] == f"Beta v. Sessions{SEP}Alpha v. Sessions"

    steps = [
        lambda: ruling.lawsuits.add(second),
        lambda: RulingEffectFactory(ruling=ruling, policy=policy, effect=Effect.BLOCKS),
        lambda: ruling.grounds.add(ground, GroundFactory(name="Separation of powers")),
        lambda: Lawsuit.objects.filter(pk=first.pk).update(caption="=Renamed v. Sessions"),
        lambda: Lawsuit.objects.filter(pk=second.pk).update(filed_on=datetime.date(2017, 2, 1)),
        lambda: Lawsuit.objects.filter(pk=second.pk).update(publication_state="draft"),
        lambda: Policy.objects.filter(pk=policy.pk).update(short_title="EO 13768"),
        lambda: RulingEffect.objects.filter(ruling=ruling).update(effect=Effect.UPHOLDS),
        lambda: Policy.objects.filter(pk=policy.pk).update(publication_state="draft"),
        lambda: Policy.objects.filter(pk=policy.pk).update(publication_state="published"),
        lambda: Ground.objects.filter(pk=ground.pk).update(name="Tenth Amendment"),
        lambda: ruling.grounds.remove(ground),
        lambda: RulingEffect.objects.filter(ruling=ruling).delete(),
        lambda: other.lawsuits.clear(),
        lambda: RulingFactory(lawsuits=[first, second]),
        lambda: other.delete(),
    ]
    for number, step in enumerate(steps):
        step()
        assert stored() == expected(), f"after step {number}"
    assert other.pk not in stored()


def test_a_truncate_rebuilds_the_lists():
    ruling = RulingFactory(lawsuits=[LawsuitFactory(caption="Gamma v. Barr")])
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_rulingexportrow")
        cursor.execute("TRUNCATE cases_ruling_grounds")  # rebuilds every row
    assert stored() == expected()
    assert stored()[ruling.pk][0] == "Gamma v. Barr"


@pytest.fixture
def nasty_rulings():
    policy = PolicyFactory(short_title="=HYPERLINK(1)")
    for i, text in enumerate(NASTY):
        lawsuit = LawsuitFactory(caption=text or "Plain v. Sessions")
        ruling = RulingFactory(lawsuits=[lawsuit], judges=text, summary=text, citation=text)
        ruling.grounds.add(GroundFactory(name=text or "Plain ground"))
        if i % 2:
            RulingEffectFactory(ruling=ruling, policy=policy)
    RulingFactory(judges="", summary="")  # no lists at all


@pytest.mark.parametrize(
    "url", ["/rulings/", "/rulings/?sort=decided_on", "/rulings/?q=said", "/lawsuits/"]
)
def test_json_through_copy_is_the_python_paths_byte_for_byte(
    client, nasty_rulings, monkeypatch, url
):
    joiner = "&" if "?" in url else "?"
    copied = client.get(f"{url}{joiner}format=json")
    copied_text = b"".join(copied.streaming_content).decode()
    monkeypatch.setattr(exports, "copy_supported", lambda spec: False)
    python = client.get(f"{url}{joiner}format=json")
    python_text = b"".join(python.streaming_content).decode()

    assert copied_text == python_text  # byte for byte
    assert json.loads(copied_text)
    assert copied_text.startswith("[\n{") and copied_text.endswith("}\n]\n")


def test_an_empty_json_export_is_an_empty_list(client, db):
    response = client.get("/rulings/?format=json")
    assert b"".join(response.streaming_content) == b"[\n]\n"


def test_the_stored_effects_texts_follow_parts_protections_and_names():
    """The effects column as written (who is protected, the parts) is kept in the export row
    (migration 0020) and equals what the correlated subquery builds, after each change."""
    from cases.models import Reach
    from tests.factories import JurisdictionFactory, PolicyPartFactory

    def texts() -> dict[int, tuple]:
        built = {}
        for csv in (False, True):
            values = Ruling.objects.annotate(
                text=exports.ruling_effects_subquery("postgresql", csv=csv)
            ).values_list("pk", "text")
            for pk, text in values:
                built.setdefault(pk, []).append(text)
        return {pk: tuple(pair) for pk, pair in built.items()}

    def kept() -> dict[int, tuple]:
        return {
            row.ruling_id: (row.effects_json, row.effects_csv)
            for row in RulingExportRow.objects.all()
        }

    policy = PolicyFactory(short_title="Byrne JAG conditions")
    part = PolicyPartFactory(policy=policy, slug="notice", name="notice condition")
    city = JurisdictionFactory(name="City of Chicago")
    ruling = RulingFactory()
    effect = RulingEffectFactory(
        ruling=ruling, policy=policy, effect=Effect.BLOCKS, reach=Reach.JURISDICTIONS
    )
    assert kept() == texts()
    steps = [
        lambda: effect.parts.add(part),
        lambda: effect.protected.add(city),
        lambda: PolicyPartFactory._meta.model.objects.filter(pk=part.pk).update(name="access"),
        lambda: type(city).objects.filter(pk=city.pk).update(name="City of Evanston"),
        lambda: RulingEffect.objects.filter(pk=effect.pk).update(reach="states", states="IL  CA"),
        lambda: effect.protected.clear(),
        lambda: effect.parts.remove(part),
        lambda: Policy.objects.filter(pk=policy.pk).update(publication_state="draft"),
    ]
    for step in steps:
        step()
        assert kept() == texts()
    # Each step was seen: the texts moved as the record did.
    assert kept()[ruling.pk] == (None, None)  # the policy is a draft now: no public effect


def built_records() -> dict[int, str]:
    """Each ruling's JSON record as the export builds it column by column (JsonRecord), with
    no address before its url's key."""
    spec = exports.RULING_EXPORT
    expressions = [column.expression("postgresql") for column in spec.columns]
    record = exports.JsonRecord(spec.columns, expressions, "")
    return dict(Ruling.objects.annotate(record=record).values_list("pk", "record"))


def kept_records() -> dict[int, str | None]:
    """The records the database keeps, without the marker where the address goes."""
    marker = exports.RULING_EXPORT.stored_json.marker
    return {
        pk: text and text.replace(marker, "")
        for pk, text in RulingExportRow.objects.values_list("ruling_id", "record_json")
    }


def test_the_kept_json_records_follow_every_change_to_what_they_show():
    """The rulings' JSON records, kept whole by the database (migration 0025), are the text
    the export would build, after each kind of change an editor or a bulk operation makes to
    what a record shows."""
    policy = PolicyFactory(short_title='Byrne JAG "notice" condition')
    lawsuit = LawsuitFactory(caption="City of Chicago v. Sessions")
    ruling = RulingFactory(lawsuits=[lawsuit], summary=NASTY[7], judges=NASTY[9])
    other = RulingFactory(court=ruling.court, reviews=ruling, disposition="affirmed")
    assert set(kept_records()) == {ruling.pk, other.pk}
    assert kept_records() == built_records()
    assert '"summary": "She said \\"no\\", then left"}' in kept_records()[ruling.pk]

    steps = [
        lambda: Ruling.objects.filter(pk=ruling.pk).update(summary=NASTY[10], citation=NASTY[0]),
        lambda: Ruling.objects.filter(pk=ruling.pk).update(decided_on=datetime.date(2018, 4, 19)),
        lambda: Ruling.objects.filter(pk=other.pk).update(
            kind="appellate_opinion", outcome="government", scope="none", docket_number="17-2991"
        ),
        lambda: Ruling.objects.filter(pk=other.pk).update(reviews=None, disposition=""),
        lambda: Court.objects.filter(pk=ruling.court_id).update(name="N.D. Ill. (renamed)"),
        lambda: Ruling.objects.filter(pk=other.pk).update(court=CourtFactory(name="7th Cir.")),
        lambda: Lawsuit.objects.filter(pk=lawsuit.pk).update(caption="=Renamed v. Sessions"),
        lambda: RulingEffectFactory(ruling=ruling, policy=policy, effect=Effect.BLOCKS),
        lambda: ruling.grounds.add(GroundFactory(name="Spending Clause")),
        lambda: Policy.objects.filter(pk=policy.pk).update(publication_state="draft"),
        lambda: RulingFactory(lawsuits=[lawsuit]),
        lambda: other.delete(),
    ]
    for number, step in enumerate(steps):
        step()
        kept = kept_records()
        assert None not in kept.values(), f"after step {number}"
        assert kept == built_records(), f"after step {number}"
    record = json.loads(kept_records()[ruling.pk])
    assert record["court"] == "N.D. Ill. (renamed)"
    assert record["decided_on"] == "2018-04-19"
    assert record["lawsuits"] == ["=Renamed v. Sessions"]
    assert record["grounds"] == ["Spending Clause"]
    assert record["effects"] == []  # the policy is a draft now


def test_the_json_export_reads_the_kept_records_and_writes_the_sites_address_in(
    client, nasty_rulings, settings
):
    """The export's statement reads the kept text (it escapes nothing row by row), and each
    url is the address the list was asked at."""
    statement = exports.json_copy_statement(
        exports.RULING_EXPORT, Ruling.objects.order_by("pk"), "https://t/"
    )
    assert '"cases_rulingexportrow"."record_json"' in statement
    assert "to_json" not in statement
    settings.ALLOWED_HOSTS = ["tracker.example"]
    response = client.get("/rulings/?format=json", HTTP_HOST="tracker.example:8000")
    text = b"".join(response.streaming_content).decode()
    records = json.loads(text)
    assert "\x03" not in text and "\\u0003" not in text
    assert {record["url"] for record in records} == {
        f"http://tracker.example:8000/rulings/{record['id']}/" for record in records
    }


def test_a_bulk_load_writes_every_export_row_once_and_leaves_the_triggers_on():
    """generate_bulk writes the export rows after the load instead of with every table it
    fills: they are the lists and records of every ruling, and the next edit still moves them."""
    call_command("generate_bulk", rulings=300, lawsuits=60, seed=3, verbosity=0)

    assert stored() == expected()
    kept = kept_records()
    assert len(kept) == Ruling.objects.count() == 300
    assert kept == built_records()
    ruling = Ruling.objects.order_by("pk").first()
    Ruling.objects.filter(pk=ruling.pk).update(summary="Edited after the load.")
    assert kept_records()[ruling.pk].endswith('"summary": "Edited after the load."}')
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'ruling\\_export\\_%' "
            "AND tgenabled = 'D'"
        )
        assert cursor.fetchone()[0] == 0
