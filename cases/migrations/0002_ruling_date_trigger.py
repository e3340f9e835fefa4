"""A ruling is never dated before any lawsuit it was issued in was filed.

The rule spans three tables (ruling, lawsuit, and the link between them), which a CHECK
constraint cannot reach, so it is enforced by triggers named ruling_not_before_lawsuit_filed*.
They raise an integrity error, as a CHECK would; the admin validates the same rule first so
editors see a form error instead.
"""

from django.db import migrations

SQLITE_CREATE = [
    """
    CREATE TRIGGER ruling_not_before_lawsuit_filed_link_insert
    BEFORE INSERT ON cases_ruling_lawsuits FOR EACH ROW
    WHEN (SELECT decided_on FROM cases_ruling WHERE id = NEW.ruling_id)
       < (SELECT filed_on FROM cases_lawsuit WHERE id = NEW.lawsuit_id)
    BEGIN SELECT RAISE(ABORT, 'ruling_not_before_lawsuit_filed'); END
    """,
    """
    CREATE TRIGGER ruling_not_before_lawsuit_filed_link_update
    BEFORE UPDATE ON cases_ruling_lawsuits FOR EACH ROW
    WHEN (SELECT decided_on FROM cases_ruling WHERE id = NEW.ruling_id)
       < (SELECT filed_on FROM cases_lawsuit WHERE id = NEW.lawsuit_id)
    BEGIN SELECT RAISE(ABORT, 'ruling_not_before_lawsuit_filed'); END
    """,
    """
    CREATE TRIGGER ruling_not_before_lawsuit_filed_ruling
    BEFORE UPDATE OF decided_on ON cases_ruling FOR EACH ROW
    WHEN EXISTS (
        SELECT 1 FROM cases_ruling_lawsuits rl JOIN cases_lawsuit l ON l.id = rl.lawsuit_id
        WHERE rl.ruling_id = NEW.id AND l.filed_on > NEW.decided_on)
    BEGIN SELECT RAISE(ABORT, 'ruling_not_before_lawsuit_filed'); END
    """,
    """
    CREATE TRIGGER ruling_not_before_lawsuit_filed_lawsuit
    BEFORE UPDATE OF filed_on ON cases_lawsuit FOR EACH ROW
    WHEN EXISTS (
        SELECT 1 FROM cases_ruling_lawsuits rl JOIN cases_ruling r ON r.id = rl.ruling_id
        WHERE rl.lawsuit_id = NEW.id AND r.decided_on < NEW.filed_on)
    BEGIN SELECT RAISE(ABORT, 'ruling_not_before_lawsuit_filed'); END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ruling_not_before_lawsuit_filed_link_insert",
    "DROP TRIGGER IF EXISTS ruling_not_before_lawsuit_filed_link_update",
    "DROP TRIGGER IF EXISTS ruling_not_before_lawsuit_filed_ruling",
    "DROP TRIGGER IF EXISTS ruling_not_before_lawsuit_filed_lawsuit",
]

POSTGRES_CREATE = [
    """
    CREATE FUNCTION ruling_not_before_lawsuit_filed() RETURNS trigger AS $$
    BEGIN
        IF TG_TABLE_NAME = 'cases_ruling_lawsuits' THEN
            IF (SELECT decided_on FROM cases_ruling WHERE id = NEW.ruling_id)
             < (SELECT filed_on FROM cases_lawsuit WHERE id = NEW.lawsuit_id) THEN
                RAISE EXCEPTION 'ruling_not_before_lawsuit_filed' USING ERRCODE = 'check_violation',
                    CONSTRAINT = 'ruling_not_before_lawsuit_filed';
            END IF;
        ELSIF TG_TABLE_NAME = 'cases_ruling' THEN
            IF EXISTS (
                SELECT 1 FROM cases_ruling_lawsuits rl JOIN cases_lawsuit l ON l.id = rl.lawsuit_id
                WHERE rl.ruling_id = NEW.id AND l.filed_on > NEW.decided_on) THEN
                RAISE EXCEPTION 'ruling_not_before_lawsuit_filed' USING ERRCODE = 'check_violation',
                    CONSTRAINT = 'ruling_not_before_lawsuit_filed';
            END IF;
        ELSIF TG_TABLE_NAME = 'cases_lawsuit' THEN
            IF EXISTS (
                SELECT 1 FROM cases_ruling_lawsuits rl JOIN cases_ruling r ON r.id = rl.ruling_id
                WHERE rl.lawsuit_id = NEW.id AND r.decided_on < NEW.filed_on) THEN
                RAISE EXCEPTION 'ruling_not_before_lawsuit_filed' USING ERRCODE = 'check_violation',
                    CONSTRAINT = 'ruling_not_before_lawsuit_filed';
            END IF;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER ruling_not_before_lawsuit_filed_link
    BEFORE INSERT OR UPDATE ON cases_ruling_lawsuits
    FOR EACH ROW EXECUTE FUNCTION ruling_not_before_lawsuit_filed()
    """,
    """
    CREATE TRIGGER ruling_not_before_lawsuit_filed_ruling
    BEFORE UPDATE OF decided_on ON cases_ruling
    FOR EACH ROW EXECUTE FUNCTION ruling_not_before_lawsuit_filed()
    """,
    """
    CREATE TRIGGER ruling_not_before_lawsuit_filed_lawsuit
    BEFORE UPDATE OF filed_on ON cases_lawsuit
    FOR EACH ROW EXECUTE FUNCTION ruling_not_before_lawsuit_filed()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS ruling_not_before_lawsuit_filed_link ON cases_ruling_lawsuits",
    "DROP TRIGGER IF EXISTS ruling_not_before_lawsuit_filed_ruling ON cases_ruling",
    "DROP TRIGGER IF EXISTS ruling_not_before_lawsuit_filed_lawsuit ON cases_lawsuit",
    "DROP FUNCTION IF EXISTS ruling_not_before_lawsuit_filed()",
]

STATEMENTS = {
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
    "postgresql": (POSTGRES_CREATE, POSTGRES_DROP),
}


def create(apps, schema_editor):
    for sql in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
