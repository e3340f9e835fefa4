"""`cases_rulingmonthcount`: how many published rulings each court decided in each month, kept
current by PostgreSQL triggers on the rulings (see RulingMonthCount).

The court facet of the rulings list counted every published ruling under the date bounds on
every first view (a third of its time at 300,000 rulings); under date bounds alone it now sums
the months inside them and counts the rulings of the months they cut.

Statement-level triggers read each statement's rows (transition tables): the published rows it
inserted count +1 in their court and month, those it deleted -1, an update both (so only a
change of court, date or publication state moves anything). A month that comes to no ruling
loses its row. A TRUNCATE of the rulings empties the table. Existing rulings are counted here.

SQLite gets the table (the model is the same everywhere) but no rows: its facets count the
rulings. Both get the table's data-version triggers, as every case table has: a count only
moves with a change to a published ruling, which moves the version itself, so a statement that
changes counts moves it once more and a statement that changes none (a draft saved) does not.
"""

from django.db import migrations, models

ROWS = {
    "INSERT": "SELECT court_id, decided_on, 1 AS d FROM new_rows WHERE {published}",
    "DELETE": "SELECT court_id, decided_on, -1 AS d FROM old_rows WHERE {published}",
}
ROWS["UPDATE"] = ROWS["INSERT"] + " UNION ALL " + ROWS["DELETE"]
REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
# The changes of the statement per court and month, added in (ordered, so two statements lock
# the rows they share in the same order); then the months that came to no ruling go.
APPLY = """
    INSERT INTO cases_rulingmonthcount AS c (court_id, month, rulings)
    SELECT court_id, date_trunc('month', decided_on)::date, sum(d)
      FROM ({rows}) AS moves
     GROUP BY 1, 2
    HAVING sum(d) <> 0
     ORDER BY 1, 2
    ON CONFLICT (court_id, month) DO UPDATE SET rulings = c.rulings + EXCLUDED.rulings;
    DELETE FROM cases_rulingmonthcount c
     USING (SELECT DISTINCT court_id, date_trunc('month', decided_on)::date AS month
              FROM ({rows}) AS moves) AS moved
     WHERE c.rulings = 0 AND c.court_id = moved.court_id AND c.month = moved.month;
"""
PUBLISHED = "publication_state = 'published'"
REBUILD = """
    DELETE FROM cases_rulingmonthcount;
    INSERT INTO cases_rulingmonthcount (court_id, month, rulings)
    SELECT court_id, date_trunc('month', decided_on)::date, count(*)
      FROM cases_ruling WHERE publication_state = 'published' GROUP BY 1, 2;
"""
# The data version moves when a statement changed a count (0017's cases_move_data_version).
BUMP_IF_CHANGED = """
CREATE OR REPLACE FUNCTION cases_bump_data_version_if_counted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := EXISTS (SELECT 1 FROM old_rows);
    ELSE
        changed := EXISTS (SELECT 1 FROM new_rows);
    END IF;
    IF changed THEN
        PERFORM cases_move_data_version();
    END IF;
    RETURN NULL;
END
$$;
"""


def _version_triggers(schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(BUMP_IF_CHANGED)
            for event in ROWS:
                cursor.execute(
                    f"CREATE TRIGGER data_version_cases_rulingmonthcount_{event.lower()} "
                    f"AFTER {event} ON cases_rulingmonthcount {REFERENCING[event]} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION cases_bump_data_version_if_counted()"
                )
            cursor.execute(
                "CREATE TRIGGER data_version_cases_rulingmonthcount_truncate AFTER TRUNCATE ON "
                "cases_rulingmonthcount FOR EACH STATEMENT EXECUTE FUNCTION "
                "cases_bump_data_version()"
            )
    elif connection.vendor == "sqlite":
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        for event in ROWS:
            schema_editor.execute(
                f"CREATE TRIGGER data_version_cases_rulingmonthcount_{event.lower()} AFTER "
                f"{event} ON cases_rulingmonthcount BEGIN UPDATE cases_data_version SET "
                f"counter = counter + 1, changed_at = {now} WHERE id = 1; END"
            )


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    _version_triggers(schema_editor)
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:  # not schema_editor.execute(): % is not a parameter
        for event, rows in ROWS.items():
            name = f"ruling_month_counts_{event.lower()}"
            body = APPLY.format(rows=rows.format(published=PUBLISHED))
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION cases_{name}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON cases_ruling {REFERENCING[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION cases_{name}()"
            )
        cursor.execute(
            "CREATE OR REPLACE FUNCTION cases_rebuild_ruling_month_counts() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {REBUILD} RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER ruling_month_counts_truncate AFTER TRUNCATE ON cases_ruling "
            "FOR EACH STATEMENT EXECUTE FUNCTION cases_rebuild_ruling_month_counts()"
        )
        cursor.execute(REBUILD)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for event in ROWS:
            name = f"ruling_month_counts_{event.lower()}"
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON cases_ruling")
            cursor.execute(f"DROP FUNCTION IF EXISTS cases_{name}()")
        cursor.execute("DROP TRIGGER IF EXISTS ruling_month_counts_truncate ON cases_ruling")
        cursor.execute("DROP FUNCTION IF EXISTS cases_rebuild_ruling_month_counts()")
        # The table's own triggers go with it; their function stays until here.
        cursor.execute("DROP FUNCTION IF EXISTS cases_bump_data_version_if_counted() CASCADE")


class Migration(migrations.Migration):
    dependencies = [("cases", "0022_data_version_notifies")]

    operations = [
        migrations.CreateModel(
            name="RulingMonthCount",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "court",
                        "month",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("month", models.DateField()),
                ("rulings", models.IntegerField()),
                (
                    "court",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.court",
                    ),
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
