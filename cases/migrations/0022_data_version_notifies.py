"""PostgreSQL notifies every change of the data version on the channel `cases_data_version`.

Each app server's connection listens to it, so a public page request can use the version it
read last, without a query, until the database says it has moved (cases.caching). SQLite has
no notifications: there every request reads the version.
"""

from django.db import migrations

CHANNEL = "cases_data_version"

FORWARDS = f"""
CREATE OR REPLACE FUNCTION cases_notify_data_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS data_version_notify ON cases_data_version;
CREATE TRIGGER data_version_notify
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cases_data_version
    FOR EACH STATEMENT EXECUTE FUNCTION cases_notify_data_version();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS data_version_notify ON cases_data_version;
DROP FUNCTION IF EXISTS cases_notify_data_version();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("cases", "0021_effects_indexed_by_ruling_and_policy")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
