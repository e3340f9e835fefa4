"""`cases_rulingexportrow`: each ruling's lawsuits, policy effects and grounds as the rulings
export writes them, kept current by PostgreSQL triggers (see RulingExportRow).

The export used to gather them with three correlated subqueries per ruling, about nine tenths
of the time a 300,000-ruling CSV took; the export now joins this table once.

`cases_refresh_ruling_export(ids)` rewrites the rows of the given rulings, set-based (one
aggregate per related table), so a bulk load refreshes 300,000 rulings in one statement.
Statement-level triggers, reading each statement's rows (transition tables), call it for:
new rulings (and delete the rows of deleted ones); any change to the ruling-lawsuit,
ruling-ground links and ruling effects; an update of a lawsuit's caption, filing date, slug or
publication state, of a policy's short title, date, slug or publication state, and of a
ground's name. A TRUNCATE of any of these tables rebuilds the whole table. Existing rulings
are filled in here.

SQLite gets the table (the model is the same everywhere) but no rows: its exports keep the
subqueries. Both get the table's data-version triggers: a change here always comes with the
change to the table it follows, and moves the version only if the ruling is published.
"""

from django.db import migrations, models

REFRESH = """
CREATE OR REPLACE FUNCTION cases_refresh_ruling_export(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM cases_rulingexportrow x
     WHERE x.ruling_id = ANY(ids)
       AND NOT EXISTS (SELECT 1 FROM cases_ruling r WHERE r.id = x.ruling_id);
    WITH target AS (SELECT DISTINCT r.id FROM unnest(ids) AS t(id)
                    JOIN cases_ruling r ON r.id = t.id),
    lawsuits AS (
        SELECT rl.ruling_id, string_agg(l.caption, chr(31) ORDER BY l.filed_on, l.slug) AS names
          FROM target
          JOIN cases_ruling_lawsuits rl ON rl.ruling_id = target.id
          JOIN cases_lawsuit l ON l.id = rl.lawsuit_id
         WHERE l.publication_state = 'published'
         GROUP BY rl.ruling_id),
    effects AS (
        SELECT e.ruling_id,
               string_agg(p.short_title || ': ' || e.effect, chr(31)
                          ORDER BY p.issued_on, p.slug) AS names
          FROM target
          JOIN cases_rulingeffect e ON e.ruling_id = target.id
          JOIN cases_policy p ON p.id = e.policy_id
         WHERE p.publication_state = 'published'
         GROUP BY e.ruling_id),
    grounds AS (
        SELECT rg.ruling_id, string_agg(g.name, chr(31) ORDER BY g.name) AS names
          FROM target
          JOIN cases_ruling_grounds rg ON rg.ruling_id = target.id
          JOIN cases_ground g ON g.id = rg.ground_id
         GROUP BY rg.ruling_id)
    INSERT INTO cases_rulingexportrow AS x (ruling_id, lawsuits, effects, grounds)
    SELECT target.id, lawsuits.names, effects.names, grounds.names
      FROM target
      LEFT JOIN lawsuits ON lawsuits.ruling_id = target.id
      LEFT JOIN effects ON effects.ruling_id = target.id
      LEFT JOIN grounds ON grounds.ruling_id = target.id
    ON CONFLICT (ruling_id) DO UPDATE
        SET lawsuits = EXCLUDED.lawsuits, effects = EXCLUDED.effects, grounds = EXCLUDED.grounds
        WHERE (x.lawsuits, x.effects, x.grounds)
              IS DISTINCT FROM (EXCLUDED.lawsuits, EXCLUDED.effects, EXCLUDED.grounds);
$$;

CREATE OR REPLACE FUNCTION cases_rebuild_ruling_export() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cases_rulingexportrow;
    PERFORM cases_refresh_ruling_export(ARRAY(SELECT id FROM cases_ruling));
    RETURN NULL;
END
$$;
"""

# (table, event, the rulings to refresh: a query over new_rows and/or old_rows)
LINKED = "ARRAY(SELECT ruling_id FROM {rows})"
CHANGED = """ARRAY(SELECT link.ruling_id FROM {link} link
    JOIN new_rows n ON n.id = link.{key} JOIN old_rows o ON o.id = n.id
    WHERE ({columns}) IS DISTINCT FROM ({old_columns}))"""
WATCHED = {
    "cases_lawsuit": ("cases_ruling_lawsuits", "lawsuit_id", "caption, filed_on, slug"),
    "cases_policy": ("cases_rulingeffect", "policy_id", "short_title, issued_on, slug"),
    "cases_ground": ("cases_ruling_grounds", "ground_id", "name"),
}
LINK_TABLES = ("cases_ruling_lawsuits", "cases_rulingeffect", "cases_ruling_grounds")
EVENT_ROWS = {"INSERT": ["new_rows"], "UPDATE": ["new_rows", "old_rows"], "DELETE": ["old_rows"]}
REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}


def _triggers():
    """(name, table, event, body) of each trigger function and its trigger."""
    yield (
        "ruling_insert",
        "cases_ruling",
        "INSERT",
        "PERFORM cases_refresh_ruling_export(ARRAY(SELECT id FROM new_rows));",
    )
    yield (
        "ruling_delete",
        "cases_ruling",
        "DELETE",
        "DELETE FROM cases_rulingexportrow WHERE ruling_id IN (SELECT id FROM old_rows);",
    )
    for table in LINK_TABLES:
        short = table.removeprefix("cases_")
        for event, rows in EVENT_ROWS.items():
            ids = " || ".join(LINKED.format(rows=name) for name in rows)
            yield (
                f"{short}_{event.lower()}",
                table,
                event,
                f"PERFORM cases_refresh_ruling_export({ids});",
            )
    for table, (link, key, columns) in WATCHED.items():
        shown = ", ".join(
            f"n.{c}"
            for c in [*columns.split(", "), "publication_state"]
            if not (table == "cases_ground" and c == "publication_state")
        )
        old = shown.replace("n.", "o.")
        ids = CHANGED.format(link=link, key=key, columns=shown, old_columns=old)
        yield (
            f"{table.removeprefix('cases_')}_update",
            table,
            "UPDATE",
            f"PERFORM cases_refresh_ruling_export({ids});",
        )


TRACKED = ("cases_ruling", *LINK_TABLES, *WATCHED)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # not schema_editor.execute(): % is not a parameter
            cursor.execute(REFRESH)
            for name, table, event, body in _triggers():
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION cases_ruling_export_{name}() RETURNS trigger "
                    f"LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
                )
                cursor.execute(
                    f"CREATE TRIGGER ruling_export_{name} AFTER {event} ON {table} "
                    f"{REFERENCING[event]} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION cases_ruling_export_{name}()"
                )
            for table in TRACKED:
                cursor.execute(
                    f"CREATE TRIGGER ruling_export_{table.removeprefix('cases_')}_truncate "
                    f"AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
                    "EXECUTE FUNCTION cases_rebuild_ruling_export()"
                )
            # The version follows the ruling's publication state (migration 0009's function).
            for event in ("INSERT", "UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TRIGGER data_version_cases_rulingexportrow_{event.lower()} "
                    f"AFTER {event} ON cases_rulingexportrow {REFERENCING[event]} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION "
                    "cases_bump_public_data_version('ruling_id:cases_ruling')"
                )
            cursor.execute("SELECT cases_refresh_ruling_export(ARRAY(SELECT id FROM cases_ruling))")
    elif connection.vendor == "sqlite":
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            schema_editor.execute(
                f"CREATE TRIGGER data_version_cases_rulingexportrow_{event.lower()} AFTER {event} "
                f"ON cases_rulingexportrow WHEN EXISTS (SELECT 1 FROM cases_ruling p WHERE "
                f"p.id = {row}.ruling_id AND p.publication_state = 'published') BEGIN UPDATE "
                f"cases_data_version SET counter = counter + 1, changed_at = {now} WHERE id = 1; "
                "END"
            )


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name, table, _, _ in _triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS ruling_export_{name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS cases_ruling_export_{name}()")
            for table in TRACKED:
                short = table.removeprefix("cases_")
                cursor.execute(f"DROP TRIGGER IF EXISTS ruling_export_{short}_truncate ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS cases_rebuild_ruling_export()")
            cursor.execute("DROP FUNCTION IF EXISTS cases_refresh_ruling_export(bigint[])")


class Migration(migrations.Migration):
    dependencies = [("cases", "0017_public_data_version")]

    operations = [
        migrations.CreateModel(
            name="RulingExportRow",
            fields=[
                (
                    "ruling",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="export_row",
                        serialize=False,
                        to="cases.ruling",
                    ),
                ),
                ("lawsuits", models.TextField(null=True)),
                ("effects", models.TextField(null=True)),
                ("grounds", models.TextField(null=True)),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
