"""Schema changes carry editors' records forward: each data migration is run from the schema
before it, on records entered the old way."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("cases", "0008_ruling_court_published_index")]
AFTER = [("cases", "0012_editors_edit_policy_parts")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_records():
    """Records as editors entered them before effects stated their reach."""
    apps = migrate(BEFORE)
    Court = apps.get_model("cases", "Court")
    Jurisdiction = apps.get_model("cases", "Jurisdiction")
    Policy = apps.get_model("cases", "Policy")
    Lawsuit = apps.get_model("cases", "Lawsuit")
    Ruling = apps.get_model("cases", "Ruling")
    RulingEffect = apps.get_model("cases", "RulingEffect")

    court = Court.objects.create(
        id="ilnd", name="N.D. Ill.", citation_string="N.D. Ill.", level="district"
    )
    city = Jurisdiction.objects.create(slug="city", name="City", kind="city", state="IL")
    named = Jurisdiction.objects.create(slug="named", name="Named", kind="city", state="IL")
    policy = Policy.objects.create(
        slug="rule",
        title="Rule",
        short_title="Rule",
        kind="grant_condition",
        issued_by="DOJ",
        issued_on=datetime.date(2017, 1, 1),
        summary="A rule.",
    )
    suit = Lawsuit.objects.create(
        slug="suit",
        caption="City v. DOJ",
        court=court,
        docket_number="1",
        filed_on=datetime.date(2017, 2, 1),
    )
    suit.plaintiffs.set([city])

    def ruling(day, kind, scope="nationwide"):
        r = Ruling.objects.create(
            court=court,
            decided_on=datetime.date.fromisoformat(day),
            kind=kind,
            outcome="challengers",
            scope=scope,
            summary="edited by an editor",
        )
        r.lawsuits.set([suit])
        return r

    nationwide = ruling("2017-03-01", "preliminary_injunction")
    for_plaintiffs = ruling("2017-04-01", "permanent_injunction", scope="plaintiffs")
    stay = ruling("2017-05-01", "stay", scope="none")
    narrowing = ruling("2017-06-01", "order", scope="plaintiffs")
    effects = {
        "nationwide": RulingEffect.objects.create(
            ruling=nationwide, policy=policy, effect="blocks"
        ),
        "plaintiffs": RulingEffect.objects.create(
            ruling=for_plaintiffs, policy=policy, effect="blocks", detail="kept by editor"
        ),
        "stay": RulingEffect.objects.create(ruling=stay, policy=policy, effect="lifts_block"),
        "narrowing": RulingEffect.objects.create(
            ruling=narrowing, policy=policy, effect="narrows_block"
        ),
    }
    effects["narrowing"].protected.set([named])
    yield {name: e.pk for name, e in effects.items()}, for_plaintiffs.pk
    # Leave the test database at the latest schema, as the tests after it expect.
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_effects_get_the_reach_the_old_rules_read_at_run_time(old_records):
    effect_ids, stayed_ruling = old_records
    apps = migrate(AFTER)
    RulingEffect = apps.get_model("cases", "RulingEffect")
    get = {name: RulingEffect.objects.get(pk=pk) for name, pk in effect_ids.items()}

    assert get["nationwide"].reach == "nationwide"
    assert get["plaintiffs"].reach == "jurisdictions"
    assert [j.slug for j in get["plaintiffs"].protected.all()] == ["city"]
    assert get["plaintiffs"].detail == "kept by editor"
    assert get["narrowing"].reach == "jurisdictions"
    assert [j.slug for j in get["narrowing"].protected.all()] == ["named"]
    stay = get["stay"]
    assert (stay.effect, stay.reach, stay.stays_ruling_id) == ("stays", "nobody", stayed_ruling)
    assert stay.ruling.summary == "edited by an editor"


def test_migrate_stores_the_statuses_of_records_entered_before_statuses_were_stored(old_records):
    """`migrate` (its post_migrate step) stores the statuses of the records already there, by
    the same code that keeps them current; nobody reloads fixtures."""
    from django.core.management import call_command

    from cases.models import Policy, StatusInterval
    from cases.status import computed_statuses, statuses_for

    with connection.cursor() as cursor:  # published, as editors left them
        for table in ("cases_policy", "cases_lawsuit", "cases_ruling"):
            cursor.execute(f"UPDATE {table} SET publication_state = 'published'")
    call_command("migrate", verbosity=0)

    policy = Policy.objects.get(slug="rule")
    assert StatusInterval.objects.filter(policy=policy).exists()
    for day in ("2017-02-01", "2017-03-15", "2017-04-15", "2017-06-15", "2020-01-01"):
        on = datetime.date.fromisoformat(day)
        stored = statuses_for([policy], on, with_history=True)[policy.pk]
        assert stored == computed_statuses([policy], on, with_history=True)[policy.pk], day
    assert statuses_for([policy], datetime.date(2017, 3, 15))[policy.pk].code == (
        "blocked_nationwide"
    )


def test_the_month_counts_start_from_the_rulings_already_recorded():
    """Migration 0023 counts the published rulings editors entered before it, per court and
    month (on PostgreSQL; SQLite keeps no counts), and the counts follow the next change."""
    apps = migrate([("cases", "0022_data_version_notifies")])
    Court = apps.get_model("cases", "Court")
    Ruling = apps.get_model("cases", "Ruling")
    ilnd = Court.objects.create(
        id="ilnd", name="N.D. Ill.", citation_string="N.D. Ill.", level="district"
    )
    cand = Court.objects.create(
        id="cand", name="N.D. Cal.", citation_string="N.D. Cal.", level="district"
    )
    for court, day, state in [
        (ilnd, "2017-09-15", "published"),
        (ilnd, "2017-09-30", "published"),
        (ilnd, "2017-10-01", "draft"),
        (cand, "2017-11-20", "published"),
    ]:
        Ruling.objects.create(
            court=court,
            decided_on=datetime.date.fromisoformat(day),
            kind="preliminary_injunction",
            outcome="challengers",
            scope="nationwide",
            summary="entered by an editor",
            publication_state=state,
        )
    try:
        apps = migrate([("cases", "0023_ruling_month_counts")])
        RulingMonthCount = apps.get_model("cases", "RulingMonthCount")
        counts = {(c.court_id, str(c.month)): c.rulings for c in RulingMonthCount.objects.all()}
        if connection.vendor == "postgresql":
            assert counts == {("ilnd", "2017-09-01"): 2, ("cand", "2017-11-01"): 1}
            apps.get_model("cases", "Ruling").objects.filter(publication_state="draft").update(
                publication_state="published"
            )
            assert RulingMonthCount.objects.get(court_id="ilnd", month="2017-10-01").rulings == 1
        else:
            assert counts == {}
        assert Ruling.objects.filter(summary="entered by an editor").count() == 4
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_json_records_are_kept_for_the_rulings_already_recorded():
    """Migration 0025 writes the JSON record of every ruling editors entered before it (on
    PostgreSQL; SQLite keeps no export rows), the text the export builds, and the record
    follows the next edit."""
    apps = migrate([("cases", "0024_ruling_court_index_covers_facets")])
    Court = apps.get_model("cases", "Court")
    Ruling = apps.get_model("cases", "Ruling")
    Lawsuit = apps.get_model("cases", "Lawsuit")
    court = Court.objects.create(
        id="ilnd", name="N.D. Ill.", citation_string="N.D. Ill.", level="district"
    )
    suit = Lawsuit.objects.create(
        slug="chicago",
        caption="City of Chicago v. Sessions",
        court=court,
        docket_number="1:17-cv-05720",
        filed_on=datetime.date(2017, 8, 7),
        publication_state="published",
    )
    ruling = Ruling.objects.create(
        court=court,
        decided_on=datetime.date(2017, 9, 15),
        kind="preliminary_injunction",
        outcome="challengers",
        scope="nationwide",
        summary='Enjoined the "notice" and "access" conditions.',
        publication_state="published",
    )
    ruling.lawsuits.set([suit])
    try:
        apps = migrate([("cases", "0025_export_rows_keep_the_json_record")])
        rows = apps.get_model("cases", "RulingExportRow").objects
        if connection.vendor != "postgresql":
            assert not rows.exists()
            return
        from tests.test_export_rows import built_records, kept_records

        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        kept = kept_records()
        assert kept == built_records()
        assert kept[ruling.pk].startswith(
            f'{{"id": {ruling.pk}, "url": "{ruling.pk}/", "decided_on": "2017-09-15", '
            '"court_id": "ilnd", "court": "N.D. Ill."'
        )
        assert '"lawsuits": ["City of Chicago v. Sessions"]' in kept[ruling.pk]
        Ruling.objects.filter(pk=ruling.pk).update(summary="Edited after the migration.")
        assert rows.get(ruling_id=ruling.pk).record_json.endswith(
            '"summary": "Edited after the migration."}'
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
