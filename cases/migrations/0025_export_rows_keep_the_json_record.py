"""The rulings export's JSON record, kept whole in the export rows.

Building each record (every string escaped by to_json, the lists turned into arrays) was most
of the time a 300,000-ruling JSON export took beyond a plain COPY of the table. PostgreSQL now
keeps each record's text in `cases_rulingexportrow.record_json`, and the export reads it.
The `url` holds U+0003 where the list's address goes (`"url": "<U+0003>123/"`, the control
character itself): the site's address depends on the request, and the export writes it in as
the text streams. JSON text never holds that character unescaped.

`cases_refresh_ruling_export` (migrations 0018 and 0020) now writes the record beside the
lists, in the same set-based statement, so every trigger that rewrites a ruling's lists
rewrites its record too. Two more triggers call it for the rulings that changed a column the
record shows, and for every ruling of a court whose name changed.
The text is byte for byte what `cases.exports.JsonRecord` builds, the marker aside
(tests/test_export_rows.py). SQLite keeps no export rows.
"""

import importlib
import json

from django.db import migrations, models

EFFECTS_AS_WRITTEN = importlib.import_module(
    "cases.migrations.0020_export_rows_keep_effects_as_written"
)

# The export's columns: (name, kind, SQL over the ruling `r`, its court `c` and the lists the
# refresh has just gathered), as cases.exports.RULING_EXPORT lists them when this was written.
COLUMNS = [
    ("id", "integer", "r.id"),
    ("url", "url", "r.id"),
    ("decided_on", "date", "r.decided_on"),
    ("court_id", "text", "r.court_id"),
    ("court", "text", "c.name"),
    ("kind", "text", "r.kind"),
    ("outcome", "text", "r.outcome"),
    ("scope", "text", "r.scope"),
    ("lawsuits", "list", "lawsuits.names"),
    ("docket_number", "text", "r.docket_number"),
    ("judges", "text", "r.judges"),
    ("citation", "text", "r.citation"),
    ("reviews_id", "integer", "r.reviews_id"),
    ("disposition", "text", "r.disposition"),
    ("effects", "records", "effects.json"),
    ("grounds", "list", "grounds.names"),
    ("summary", "text", "r.summary"),
]
# The ruling's own columns the record shows: a change to one rewrites the record.
SHOWN = sorted({sql.removeprefix("r.") for _, _, sql in COLUMNS if sql.startswith("r.")} - {"id"})


def _value(kind: str, sql: str) -> str:
    """A column's JSON text, as cases.exports.JsonRecord writes it."""
    if kind == "integer":
        return f"COALESCE(({sql})::text, 'null')"
    if kind == "date":
        return f"""COALESCE('"' || to_char({sql}, 'YYYY-MM-DD') || '"', 'null')"""
    if kind == "url":  # the list's address, then the key and a slash
        return f"""'"' || chr(3) || ({sql})::text || '/"'"""
    if kind == "records":
        return f"COALESCE({sql}, '[]')"
    if kind == "list":
        return (
            f"COALESCE(replace(to_json(string_to_array({sql}, chr(31)))::text, "
            """'","', '", "'), '[]')"""
        )
    return f"COALESCE(to_json({sql})::text, 'null')"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


RECORD = (
    " || ".join(
        f"{_quoted(('{' if index == 0 else ', ') + json.dumps(name) + ': ')} || {_value(kind, sql)}"
        for index, (name, kind, sql) in enumerate(COLUMNS)
    )
    + " || '}'"
)


def _refresh_sql() -> str:
    """0020's refresh function, writing the record beside the lists."""
    sql = EFFECTS_AS_WRITTEN._refresh_sql()
    replacements = [
        (
            "(ruling_id, lawsuits, effects, grounds, effects_json, effects_csv)\n",
            "(ruling_id, lawsuits, effects, grounds, effects_json, effects_csv,\n"
            "         record_json)\n",
        ),
        (
            "           effects.csv\n      FROM target\n",
            f"           effects.csv, {RECORD}\n"
            "      FROM target\n"
            "      JOIN cases_ruling r ON r.id = target.id\n"
            "      LEFT JOIN cases_court c ON c.id = r.court_id\n",
        ),
        (
            "effects_json = EXCLUDED.effects_json, effects_csv = EXCLUDED.effects_csv\n",
            "effects_json = EXCLUDED.effects_json, effects_csv = EXCLUDED.effects_csv,\n"
            "            record_json = EXCLUDED.record_json\n",
        ),
        # The rows rewritten when the record changes too.
        ("x.effects_json, x.effects_csv)\n", "x.effects_json, x.effects_csv, x.record_json)\n"),
        (
            "EXCLUDED.effects_json, EXCLUDED.effects_csv);",
            "EXCLUDED.effects_json, EXCLUDED.effects_csv,\n"
            "                                EXCLUDED.record_json);",
        ),
    ]
    for old, new in replacements:
        assert sql.count(old) == 1, old
        sql = sql.replace(old, new)
    return sql


# (name, table, the rulings whose records to rewrite: a query over old_rows and new_rows)
TRIGGERS = [
    (
        "ruling_update",
        "cases_ruling",
        "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        f"WHERE ({', '.join(f'n.{c}' for c in SHOWN)}) "
        f"IS DISTINCT FROM ({', '.join(f'o.{c}' for c in SHOWN)})",
    ),
    (
        "court_name_update",
        "cases_court",
        "SELECT r.id FROM cases_ruling r JOIN new_rows n ON n.id = r.court_id "
        "JOIN old_rows o ON o.id = n.id WHERE n.name IS DISTINCT FROM o.name",
    ),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # not execute(): % is not a parameter
        cursor.execute(_refresh_sql())
        for name, table, ids in TRIGGERS:
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION cases_ruling_export_{name}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN PERFORM cases_refresh_ruling_export(ARRAY({ids})); "
                "RETURN NULL; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER ruling_export_{name} AFTER UPDATE ON {table} "
                "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION cases_ruling_export_{name}()"
            )
        # The records of the rulings already recorded.
        cursor.execute("SELECT cases_refresh_ruling_export(ARRAY(SELECT id FROM cases_ruling))")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, table, _ in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS ruling_export_{name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS cases_ruling_export_{name}()")
        cursor.execute(EFFECTS_AS_WRITTEN._refresh_sql())


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0024_ruling_court_index_covers_facets"),
    ]

    operations = [
        migrations.AddField(
            model_name="rulingexportrow",
            name="record_json",
            field=models.TextField(null=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
