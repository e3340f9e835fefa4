"""The rulings export's JSON record, kept whole in the export rows.

Building each record (every string escaped by to_json, the lists turned into arrays) was most
of the time a 300,000-ruling JSON export took beyond a plain COPY of the table. PostgreSQL now
keeps each record's text in `cases_rulingexportrow.record_json`, and the export reads it.
The `url` holds U+0003 where the list's address goes (`"url": "<U+0003>123/"`, the control
character itself): the site's address depends on the request, and the export writes it in as
the text streams. JSON text never holds that character unescaped.

A row trigger works the text out whenever an export row is written (so every trigger of
migrations 0018 and 0020 that rewrites a ruling's lists rewrites it too), from the row's
lists, its ruling and the ruling's court. Two more triggers rewrite the rows whose ruling
changed a column the record shows, and those of every ruling of a court whose name changed.
The text is byte for byte what `cases.exports.JsonRecord` builds, the marker aside
(tests/test_export_rows.py). SQLite keeps no export rows.
"""

import json

from django.db import migrations, models

# The export's columns: (name, kind, SQL over the ruling `r`, its court `c` and the export row
# `NEW`), as cases.exports.RULING_EXPORT lists them when this was written.
COLUMNS = [
    ("id", "integer", "r.id"),
    ("url", "url", "r.id"),
    ("decided_on", "date", "r.decided_on"),
    ("court_id", "text", "r.court_id"),
    ("court", "text", "c.name"),
    ("kind", "text", "r.kind"),
    ("outcome", "text", "r.outcome"),
    ("scope", "text", "r.scope"),
    ("lawsuits", "list", "NEW.lawsuits"),
    ("docket_number", "text", "r.docket_number"),
    ("judges", "text", "r.judges"),
    ("citation", "text", "r.citation"),
    ("reviews_id", "integer", "r.reviews_id"),
    ("disposition", "text", "r.disposition"),
    ("effects", "records", "NEW.effects_json"),
    ("grounds", "list", "NEW.grounds"),
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

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION cases_ruling_export_record() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT {RECORD} INTO NEW.record_json
      FROM cases_ruling r LEFT JOIN cases_court c ON c.id = r.court_id
     WHERE r.id = NEW.ruling_id;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION cases_ruling_export_ruling_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases_rulingexportrow x SET record_json = NULL
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE x.ruling_id = n.id
       AND ({", ".join(f"n.{c}" for c in SHOWN)})
           IS DISTINCT FROM ({", ".join(f"o.{c}" for c in SHOWN)});
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION cases_ruling_export_court_name_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases_rulingexportrow x SET record_json = NULL
      FROM cases_ruling r, new_rows n JOIN old_rows o ON o.id = n.id
     WHERE r.court_id = n.id AND x.ruling_id = r.id AND n.name IS DISTINCT FROM o.name;
    RETURN NULL;
END
$$;
"""

# (trigger, table, when)
TRIGGERS = [
    (
        "ruling_export_record",
        "cases_rulingexportrow",
        "BEFORE INSERT OR UPDATE ON cases_rulingexportrow FOR EACH ROW "
        "EXECUTE FUNCTION cases_ruling_export_record()",
    ),
    (
        "ruling_export_ruling_update",
        "cases_ruling",
        "AFTER UPDATE ON cases_ruling REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION cases_ruling_export_ruling_update()",
    ),
    (
        "ruling_export_court_name_update",
        "cases_court",
        "AFTER UPDATE ON cases_court REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION cases_ruling_export_court_name_update()",
    ),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # not execute(): % is not a parameter
        cursor.execute(FUNCTIONS)
        for name, _, when in TRIGGERS:
            cursor.execute(f"CREATE TRIGGER {name} {when}")
        # Every row written once more: the trigger works out the records of the rulings
        # already recorded.
        cursor.execute("UPDATE cases_rulingexportrow SET record_json = NULL")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, table, _ in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in ("record", "ruling_update", "court_name_update"):
            cursor.execute(f"DROP FUNCTION IF EXISTS cases_ruling_export_{name}()")


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
