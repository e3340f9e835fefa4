"""For migrations that make SQLite rebuild a table (adding a NOT NULL column, changing a
constraint): SQLite drops a table's triggers with the table and checks the others' SQL when a
table is renamed, so every trigger is set aside before the rebuild and put back after it.

Use `set_aside()` as the migration's first operation and `put_back()` as its last. On other
databases both do nothing.
"""

from django.db import migrations

_SAVED: list[tuple[str, str]] = []


def _stash(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        _SAVED[:] = cursor.fetchall()
    for name, _sql in _SAVED:
        schema_editor.execute(f'DROP TRIGGER "{name}"')


def _restore(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for _name, sql in _SAVED:
        schema_editor.execute(sql)
    _SAVED.clear()


def set_aside():
    return migrations.RunPython(_stash, _restore)


def put_back():
    return migrations.RunPython(_restore, _stash)
