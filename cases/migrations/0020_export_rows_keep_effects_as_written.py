"""The rulings export's `effects` column as it is written, kept in the export rows.

Each effect now says whom it protects (a JSON object per effect; 'policy (parts): effect
(protects who)' in CSV). Built per ruling by a correlated subquery, that column made the export
of 300,000 rulings four to five times slower; PostgreSQL now keeps both texts in
cases_rulingexportrow, rewritten by the triggers of migration 0018 and by new ones on what the
texts also show: the effects' parts and protected jurisdictions, the parts' and jurisdictions'
names. The texts are byte for byte what `cases.exports.ruling_effects` builds (tested). SQLite
keeps no export rows.
"""

import importlib

from django.db import migrations, models

OLD = importlib.import_module("cases.migrations.0018_ruling_export_rows")

PARTS = (
    "(SELECT string_agg(pp.name, ', ' ORDER BY pp.name, pp.id) FROM cases_rulingeffect_parts ep "
    "JOIN cases_policypart pp ON pp.id = ep.policypart_id WHERE ep.rulingeffect_id = e.id)"
)
PARTS_JSON = (
    "COALESCE((SELECT replace(to_json(array_agg(pp.name ORDER BY pp.name, pp.id))::text, "
    """'","', '", "') FROM cases_rulingeffect_parts ep JOIN cases_policypart pp """
    "ON pp.id = ep.policypart_id WHERE ep.rulingeffect_id = e.id), '[]')"
)
PROTECTED = (
    "(SELECT string_agg(j.name, ', ' ORDER BY j.name, j.id) FROM cases_rulingeffect_protected ej "
    "JOIN cases_jurisdiction j ON j.id = ej.jurisdiction_id WHERE ej.rulingeffect_id = e.id)"
)
PROTECTED_JSON = (
    "COALESCE((SELECT replace(to_json(array_agg(j.name ORDER BY j.name, j.id))::text, "
    """'","', '", "') FROM cases_rulingeffect_protected ej JOIN cases_jurisdiction j """
    "ON j.id = ej.jurisdiction_id WHERE ej.rulingeffect_id = e.id), '[]')"
)
STATES = "regexp_replace(btrim(e.states), '\\s+', ', ', 'g')"
STATES_JSON = (
    "CASE WHEN btrim(e.states) = '' THEN '[]' ELSE replace(to_json("
    """regexp_split_to_array(btrim(e.states), '\\s+'))::text, '","', '", "') END"""
)
PROTECTS = (
    "(CASE e.reach WHEN 'nationwide' THEN 'nationwide' "
    f"WHEN 'states' THEN 'every government within ' || {STATES} "
    f"WHEN 'jurisdictions' THEN {PROTECTED} WHEN 'nobody' THEN 'nobody' ELSE NULL END)"
)
CSV_ITEM = (
    f"p.short_title || COALESCE(' (' || {PARTS} || ')', '') || ': ' || e.effect "
    f"|| COALESCE(' (protects ' || {PROTECTS} || ')', '')"
)
JSON_ITEM = (
    """'{"policy": ' || to_json(p.short_title)::text || ', "parts": ' || """
    f"""{PARTS_JSON} || ', "effect": ' || to_json(e.effect)::text || """
    f"""', "protects": ' || COALESCE(to_json({PROTECTS})::text, 'null') || """
    f"""', "states": ' || {STATES_JSON} || ', "jurisdictions": ' || """
    f"""{PROTECTED_JSON} || '}}'"""
)
ORDER = "p.issued_on, p.slug, e.id"


def _refresh_sql() -> str:
    """0018's refresh function, with the two texts beside the names."""
    sql = OLD.REFRESH
    old_effects = """               string_agg(p.short_title || ': ' || e.effect, chr(31)
                          ORDER BY p.issued_on, p.slug) AS names
"""
    assert old_effects in sql
    sql = sql.replace(
        old_effects,
        """               string_agg(p.short_title || ': ' || e.effect, chr(31)
                          ORDER BY p.issued_on, p.slug) AS names,
"""
        f"               '[' || string_agg({JSON_ITEM}, ', ' ORDER BY {ORDER}) || ']' AS json,\n"
        f"               string_agg({CSV_ITEM}, '; ' ORDER BY {ORDER}) AS csv\n",
    )
    replacements = [
        (
            "INSERT INTO cases_rulingexportrow AS x (ruling_id, lawsuits, effects, grounds)\n"
            "    SELECT target.id, lawsuits.names, effects.names, grounds.names",
            "INSERT INTO cases_rulingexportrow AS x\n"
            "        (ruling_id, lawsuits, effects, grounds, effects_json, effects_csv)\n"
            "    SELECT target.id, lawsuits.names, effects.names, grounds.names, effects.json,\n"
            "           effects.csv",
        ),
        (
            "SET lawsuits = EXCLUDED.lawsuits, effects = EXCLUDED.effects, grounds = "
            "EXCLUDED.grounds\n",
            "SET lawsuits = EXCLUDED.lawsuits, effects = EXCLUDED.effects, grounds = "
            "EXCLUDED.grounds,\n            effects_json = EXCLUDED.effects_json, "
            "effects_csv = EXCLUDED.effects_csv\n",
        ),
        (
            "WHERE (x.lawsuits, x.effects, x.grounds)\n"
            "              IS DISTINCT FROM "
            "(EXCLUDED.lawsuits, EXCLUDED.effects, EXCLUDED.grounds);",
            "WHERE (x.lawsuits, x.effects, x.grounds, x.effects_json, x.effects_csv)\n"
            "              IS DISTINCT FROM "
            "(EXCLUDED.lawsuits, EXCLUDED.effects, EXCLUDED.grounds,\n"
            "                                EXCLUDED.effects_json, EXCLUDED.effects_csv);",
        ),
    ]
    for old, new in replacements:
        assert old in sql, old
        sql = sql.replace(old, new)
    return sql


# (name, table, event, the rulings to refresh)
EFFECT_RULINGS = "ARRAY(SELECT e.ruling_id FROM cases_rulingeffect e WHERE e.id IN ({ids}))"
NEW_TRIGGERS = []
for _table in ("cases_rulingeffect_parts", "cases_rulingeffect_protected"):
    for _event, _rows in OLD.EVENT_ROWS.items():
        _ids = " UNION ".join(f"SELECT rulingeffect_id FROM {r}" for r in _rows)
        NEW_TRIGGERS.append(
            (
                f"{_table.removeprefix('cases_')}_{_event.lower()}",
                _table,
                _event,
                EFFECT_RULINGS.format(ids=_ids),
            )
        )
for _table, _link, _key in (
    ("cases_policypart", "cases_rulingeffect_parts", "policypart_id"),
    ("cases_jurisdiction", "cases_rulingeffect_protected", "jurisdiction_id"),
):
    NEW_TRIGGERS.append(
        (
            f"{_table.removeprefix('cases_')}_name_update",
            _table,
            "UPDATE",
            EFFECT_RULINGS.format(
                ids=f"SELECT link.rulingeffect_id FROM {_link} link JOIN new_rows n "
                f"ON n.id = link.{_key} JOIN old_rows o ON o.id = n.id WHERE n.name <> o.name"
            ),
        )
    )
NEW_TABLES = sorted({table for _, table, _, _ in NEW_TRIGGERS})


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # not execute(): % is not a parameter
        cursor.execute(_refresh_sql())
        for name, table, event, ids in NEW_TRIGGERS:
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION cases_ruling_export_{name}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN PERFORM cases_refresh_ruling_export({ids}); "
                "RETURN NULL; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER ruling_export_{name} AFTER {event} ON {table} "
                f"{OLD.REFERENCING[event]} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION cases_ruling_export_{name}()"
            )
        for table in NEW_TABLES:
            cursor.execute(
                f"CREATE TRIGGER ruling_export_{table.removeprefix('cases_')}_truncate "
                f"AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION cases_rebuild_ruling_export()"
            )
        cursor.execute("SELECT cases_refresh_ruling_export(ARRAY(SELECT id FROM cases_ruling))")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, table, _, _ in NEW_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS ruling_export_{name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS cases_ruling_export_{name}()")
        for table in NEW_TABLES:
            short = table.removeprefix("cases_")
            cursor.execute(f"DROP TRIGGER IF EXISTS ruling_export_{short}_truncate ON {table}")
        cursor.execute(OLD.REFRESH)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0019_stored_statuses"),
    ]

    operations = [
        migrations.AddField(
            model_name="rulingexportrow",
            name="effects_csv",
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name="rulingexportrow",
            name="effects_json",
            field=models.TextField(null=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
