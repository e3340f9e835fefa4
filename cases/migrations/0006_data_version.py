"""One row, `cases_data_version`, that every write to the case data moves forward.

Public pages are cached and answered with ETags keyed on this counter (cases.caching), so it
must move on *every* change: the admin, `loaddata`, `generate_bulk`'s COPY, a bulk `update()`,
raw SQL. Signals miss the last three, so database triggers named data_version_<table> do it: on
PostgreSQL one statement-level trigger per table (INSERT, UPDATE, DELETE, TRUNCATE: a bulk load
bumps it once), on SQLite row-level ones. History tables are left out: they only ever change
with the record they follow.

A test checks that every case table has its trigger, so a table added later without one fails.
"""

from django.db import migrations

VERSION_TABLE = "cases_data_version"


def case_tables(connection) -> list[str]:
    tables = connection.introspection.table_names()
    return sorted(
        name
        for name in tables
        if name.startswith("cases_")
        and not name.startswith("cases_historical")
        and name != VERSION_TABLE
    )


POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION cases_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {VERSION_TABLE} (id, counter, changed_at) VALUES (1, 1, clock_timestamp())
    ON CONFLICT (id) DO UPDATE
        SET counter = {VERSION_TABLE}.counter + 1, changed_at = clock_timestamp();
    RETURN NULL;
END
$$
"""


def create(apps, schema_editor):
    connection = schema_editor.connection
    execute = schema_editor.execute
    if connection.vendor == "postgresql":
        execute(
            f"CREATE TABLE {VERSION_TABLE} (id smallint PRIMARY KEY CHECK (id = 1), "
            "counter bigint NOT NULL, changed_at timestamptz NOT NULL)"
        )
        execute(f"INSERT INTO {VERSION_TABLE} VALUES (1, 1, clock_timestamp())")
        execute(POSTGRES_FUNCTION)
        for table in case_tables(connection):
            execute(
                f"CREATE TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE OR "
                f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION "
                "cases_bump_data_version()"
            )
    elif connection.vendor == "sqlite":
        execute(
            f"CREATE TABLE {VERSION_TABLE} (id integer PRIMARY KEY CHECK (id = 1), "
            "counter integer NOT NULL, changed_at text NOT NULL)"
        )
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        execute(f"INSERT INTO {VERSION_TABLE} VALUES (1, 1, {now})")
        for table in case_tables(connection):
            for event in ("INSERT", "UPDATE", "DELETE"):
                execute(
                    f"CREATE TRIGGER data_version_{table}_{event.lower()} AFTER {event} ON "
                    f"{table} BEGIN UPDATE {VERSION_TABLE} SET counter = counter + 1, "
                    f"changed_at = {now} WHERE id = 1; END"
                )
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"no data-version triggers for {connection.vendor}")


def drop(apps, schema_editor):
    connection = schema_editor.connection
    execute = schema_editor.execute
    if connection.vendor == "postgresql":
        for table in case_tables(connection):
            execute(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}")
        execute("DROP FUNCTION IF EXISTS cases_bump_data_version()")
    elif connection.vendor == "sqlite":
        for table in case_tables(connection):
            for event in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event}")
    execute(f"DROP TABLE IF EXISTS {VERSION_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_list_filter_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
