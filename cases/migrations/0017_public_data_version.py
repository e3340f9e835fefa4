"""The data version moves only when the public can see the change, and a restore starts an epoch.

* A change that touches only drafts (a draft ruling, lawsuit or policy saved, or a link whose
  ruling, lawsuit or policy is a draft) no longer moves `cases_data_version`, so public ETags
  and Last-Modified stay as they were: the public sees nothing new, and the dates must not hint
  at unpublished work. A change in which any published record takes part still moves it, as do
  changes to the tables that are public without a publication state (courts, grounds, ...).
* `epoch`, set afresh by scripts/restore.sh, is part of every page key and ETag: a restore
  rewinds the counter to the backup's, and without the epoch the next edit would reuse a number
  that pages cached before the restore carry.

On PostgreSQL the statement-level triggers of the tables concerned are replaced by one per event
that looks at the statement's rows (transition tables); on SQLite the row-level triggers get a
WHEN clause. TRUNCATE always moves the version.
"""

from django.db import migrations

VERSION_TABLE = "cases_data_version"
PUBLISHED = "'published'"

# Tables with a publication state: a change counts if a row was or is published.
PUBLISHABLE = ("cases_ruling", "cases_lawsuit", "cases_policy")
# Link tables: a change counts if every publishable record the row links is published.
LINKS = {
    "cases_ruling_lawsuits": [("ruling_id", "cases_ruling"), ("lawsuit_id", "cases_lawsuit")],
    "cases_ruling_grounds": [("ruling_id", "cases_ruling")],
    "cases_ruling_sources": [("ruling_id", "cases_ruling")],
    "cases_rulingeffect": [("ruling_id", "cases_ruling"), ("policy_id", "cases_policy")],
    "cases_lawsuit_plaintiffs": [("lawsuit_id", "cases_lawsuit")],
    "cases_lawsuit_policies": [("lawsuit_id", "cases_lawsuit"), ("policy_id", "cases_policy")],
    "cases_lawsuit_related": [
        ("from_lawsuit_id", "cases_lawsuit"),
        ("to_lawsuit_id", "cases_lawsuit"),
    ],
    "cases_lawsuit_sources": [("lawsuit_id", "cases_lawsuit")],
    "cases_policy_programs": [("policy_id", "cases_policy")],
    "cases_policy_sources": [("policy_id", "cases_policy")],
    "cases_policy_targets": [("policy_id", "cases_policy")],
    "cases_policypart": [("policy_id", "cases_policy")],
}
EVENTS = ("INSERT", "UPDATE", "DELETE")

POSTGRES_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION cases_move_data_version() RETURNS void LANGUAGE sql AS $$
    INSERT INTO {VERSION_TABLE} (id, counter, changed_at, epoch)
    VALUES (1, 1, clock_timestamp(), '')
    ON CONFLICT (id) DO UPDATE
        SET counter = {VERSION_TABLE}.counter + 1, changed_at = clock_timestamp();
$$;

-- Arguments: 'self' (the table has a publication state), or one 'column:table' per
-- publishable record a row links.
CREATE OR REPLACE FUNCTION cases_bump_public_data_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    condition text := '';
    seen boolean := false;
BEGIN
    IF TG_ARGV[0] = 'self' THEN
        condition := 'c.publication_state = ''published''';
    ELSE
        FOR i IN 0 .. TG_NARGS - 1 LOOP
            condition := condition || CASE WHEN i > 0 THEN ' AND ' ELSE '' END || format(
                'EXISTS (SELECT 1 FROM %I p WHERE p.id = c.%I '
                'AND p.publication_state = ''published'')',
                split_part(TG_ARGV[i], ':', 2), split_part(TG_ARGV[i], ':', 1));
        END LOOP;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM new_rows c WHERE %s)', condition)
            INTO seen;
    END IF;
    IF NOT seen AND TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM old_rows c WHERE %s)', condition)
            INTO seen;
    END IF;
    IF seen THEN
        PERFORM cases_move_data_version();
    END IF;
    RETURN NULL;
END
$$;
"""


def _referencing(event: str) -> str:
    return {
        "INSERT": "REFERENCING NEW TABLE AS new_rows",
        "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "REFERENCING OLD TABLE AS old_rows",
    }[event]


def _tables():
    yield from ((table, None) for table in PUBLISHABLE)
    yield from LINKS.items()


def _sqlite_condition(row: str, links) -> str:
    if links is None:
        return f"{row}.publication_state = {PUBLISHED}"
    return " AND ".join(
        f"EXISTS (SELECT 1 FROM {table} p WHERE p.id = {row}.{column} "
        f"AND p.publication_state = {PUBLISHED})"
        for column, table in links
    )


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    execute = schema_editor.execute
    execute(f"ALTER TABLE {VERSION_TABLE} ADD COLUMN epoch text NOT NULL DEFAULT ''")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # not execute(): its % are not parameters
            cursor.execute(POSTGRES_FUNCTIONS)
        for table, links in _tables():
            args = "'self'" if links is None else ", ".join(f"'{c}:{t}'" for c, t in links)
            execute(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}")
            for event in EVENTS:
                execute(
                    f"CREATE TRIGGER data_version_{table}_{event.lower()} AFTER {event} ON "
                    f"{table} {_referencing(event)} FOR EACH STATEMENT EXECUTE FUNCTION "
                    f"cases_bump_public_data_version({args})"
                )
            execute(
                f"CREATE TRIGGER data_version_{table}_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION cases_bump_data_version()"
            )
    elif connection.vendor == "sqlite":
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        for table, links in _tables():
            for event in EVENTS:
                rows = {"INSERT": ["NEW"], "UPDATE": ["NEW", "OLD"], "DELETE": ["OLD"]}[event]
                when = " OR ".join(f"({_sqlite_condition(row, links)})" for row in rows)
                execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event.lower()}")
                execute(
                    f"CREATE TRIGGER data_version_{table}_{event.lower()} AFTER {event} ON "
                    f"{table} WHEN {when} BEGIN UPDATE {VERSION_TABLE} SET "
                    f"counter = counter + 1, changed_at = {now} WHERE id = 1; END"
                )
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(connection.vendor)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    execute = schema_editor.execute
    if connection.vendor == "postgresql":
        for table, _ in _tables():
            for event in (*EVENTS, "TRUNCATE"):
                execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event.lower()} ON {table}")
            execute(
                f"CREATE TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE OR "
                f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION "
                "cases_bump_data_version()"
            )
        execute("DROP FUNCTION IF EXISTS cases_bump_public_data_version()")
        execute("DROP FUNCTION IF EXISTS cases_move_data_version()")
    else:
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        for table, _ in _tables():
            for event in EVENTS:
                execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event.lower()}")
                execute(
                    f"CREATE TRIGGER data_version_{table}_{event.lower()} AFTER {event} ON "
                    f"{table} BEGIN UPDATE {VERSION_TABLE} SET counter = counter + 1, "
                    f"changed_at = {now} WHERE id = 1; END"
                )
    execute(f"ALTER TABLE {VERSION_TABLE} DROP COLUMN epoch")


class Migration(migrations.Migration):
    dependencies = [("cases", "0016_policy_part_version")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
