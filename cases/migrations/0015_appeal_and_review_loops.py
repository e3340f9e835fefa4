"""No loop in a court's appeal route (cases_court.appeals_to) or a ruling's review chain
(cases_ruling.reviews).

A loop (the Supreme Court "appealing" to the Ninth Circuit; ruling 9 reviewing 10 and 10
reviewing 9) sends every walk up the chain round for ever. A CHECK constraint sees one row
only, so triggers named court_appeal_route_no_loop and ruling_review_chain_no_loop refuse an
insert or update whose new parent leads, through the stored chain, back to the row itself.
They raise an integrity error, as a CHECK would; the admin forms check the same first
(cases/validation.py) so editors see a form error.

The recursive walk uses UNION, not UNION ALL, so it ends even on a loop already stored.
"""

from django.db import migrations

CHAINS = [
    # (trigger name, table, parent column)
    ("court_appeal_route_no_loop", "cases_court", "appeals_to_id"),
    ("ruling_review_chain_no_loop", "cases_ruling", "reviews_id"),
]


def _reaches_self(table: str, column: str) -> str:
    return f"""
        EXISTS (
            WITH RECURSIVE up(id) AS (
                SELECT NEW.{column}
                UNION
                SELECT t.{column} FROM {table} t JOIN up ON t.id = up.id
                WHERE t.{column} IS NOT NULL
            )
            SELECT 1 FROM up WHERE up.id = NEW.id
        )"""


def sqlite_create(name: str, table: str, column: str) -> list[str]:
    return [
        f"""
        CREATE TRIGGER {name}_{suffix}
        BEFORE {event} ON {table} FOR EACH ROW
        WHEN NEW.{column} IS NOT NULL AND {_reaches_self(table, column)}
        BEGIN SELECT RAISE(ABORT, '{name}'); END
        """
        for suffix, event in (("insert", "INSERT"), ("update", f"UPDATE OF {column}"))
    ]


def sqlite_drop(name: str, table: str, column: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}_{suffix}" for suffix in ("insert", "update")]


def postgres_create(name: str, table: str, column: str) -> list[str]:
    return [
        f"""
        CREATE FUNCTION {name}() RETURNS trigger AS $$
        BEGIN
            IF NEW.{column} IS NOT NULL AND {_reaches_self(table, column)} THEN
                RAISE EXCEPTION '{name}' USING ERRCODE = 'check_violation',
                    CONSTRAINT = '{name}';
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """,
        f"""
        CREATE TRIGGER {name}
        BEFORE INSERT OR UPDATE OF {column} ON {table}
        FOR EACH ROW EXECUTE FUNCTION {name}()
        """,
    ]


def postgres_drop(name: str, table: str, column: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]


STATEMENTS = {
    "sqlite": (sqlite_create, sqlite_drop),
    "postgresql": (postgres_create, postgres_drop),
}


def create(apps, schema_editor):
    build = STATEMENTS.get(schema_editor.connection.vendor)
    for chain in CHAINS if build else []:
        for sql in build[0](*chain):
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    build = STATEMENTS.get(schema_editor.connection.vendor)
    for chain in CHAINS if build else []:
        for sql in build[1](*chain):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_jurisdiction_state_choices")]

    operations = [migrations.RunPython(create, drop)]
