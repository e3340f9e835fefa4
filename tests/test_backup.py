"""Data safety: `make backup` / `make restore` round-trip a PostgreSQL database, a natural-key
`dumpdata` round-trips every record and its history, and a broken fixture changes nothing."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test import override_settings

from cases.models import Lawsuit, Policy, Ruling
from tests.factories import PolicyFactory, RulingFactory

# Records not worth restoring: rebuilt by migrate (content types, permissions) or ephemeral.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry", "axes"]
SCRIPTS = Path(settings.BASE_DIR) / "scripts"


def dump() -> str:
    """Everything worth keeping, as the documented full dump makes it.

    `--natural-foreign` but not `--natural-primary`: a history row stores its record's primary key
    as a plain integer, so records must keep their keys or their history is detached from them
    (with `--natural-primary`, a PostgreSQL round trip gives the records new keys).
    """
    out = io.StringIO()
    call_command(
        "dumpdata",
        natural_foreign=True,
        exclude=EXCLUDED,
        indent=1,
        stdout=out,
    )
    # JSON keeps times to the millisecond: a time with under a millisecond past the second is
    # written "…:01.000Z" and comes back as "…:01Z". The same instant either way.
    return re.sub(r"(T\d\d:\d\d:\d\d)\.000Z", r"\1Z", out.getvalue())


@pytest.fixture
def records(db):
    """A few linked records, each change kept in its history, one made by a named editor."""
    from django.contrib.auth.models import User

    editor = User.objects.create_user("alice", is_staff=True)
    ruling = RulingFactory()
    policy = PolicyFactory()
    policy._history_user = editor
    policy.title = "Edited by Alice"
    policy.save()
    return {"ruling": ruling, "policy": policy, "editor": editor}


def test_dumpdata_round_trip_keeps_every_record_and_its_history(
    transactional_db, records, tmp_path
):
    before = dump()
    assert '"model": "cases.historicalpolicy"' in before
    assert '"history_user": [\n   "alice"\n  ]' in before
    fixture = tmp_path / "all.json"
    fixture.write_text(before, encoding="utf-8")

    call_command("flush", interactive=False, verbosity=0)
    assert not Policy.objects.exists() and not Policy.history.exists()
    # With history on, loaddata's many-to-many assignments would each add a history row (django-
    # simple-history records m2m changes, and m2m_changed has no `raw` flag): a restore loads
    # the history as it was, so it runs with history recording off.
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        call_command("loaddata", str(fixture), verbosity=0)

    assert dump() == before
    policy = Policy.objects.get(slug=records["policy"].slug)
    assert policy.pk == records["policy"].pk
    assert policy.history.filter(history_user__username="alice").exists()
    # Every history row still belongs to its record.
    assert set(Policy.history.values_list("id", flat=True)) == {policy.pk}
    assert set(Ruling.history.values_list("id", flat=True)) == {records["ruling"].pk}

    # New rows get keys after the loaded ones, not a clash with them.
    loaded = [i["pk"] for i in json.loads(before) if i["model"] == "cases.historicalpolicy"]
    new = PolicyFactory()
    assert new.history.get().history_id > max(loaded)
    ruling = RulingFactory()
    assert ruling.pk > records["ruling"].pk


def test_a_broken_fixture_changes_nothing(records, tmp_path):
    before = dump()
    policy = records["policy"]
    good = json.loads(serializers.serialize("json", [policy]))[0]
    good["fields"]["title"] = "Overwritten by a fixture"
    ruling = records["ruling"]
    # A ruling that names a court that does not exist: a foreign key violation.
    bad = {
        "model": "cases.ruling",
        "pk": ruling.pk + 1000,
        "fields": {**_fields_of(ruling), "court": "no-such-court"},
    }
    fixture = tmp_path / "broken.json"
    fixture.write_text(json.dumps([good, bad]), encoding="utf-8")

    with pytest.raises(IntegrityError, match="(?i)foreign key"):
        call_command("loaddata", str(fixture), verbosity=0)

    assert dump() == before
    assert Policy.objects.get(pk=policy.pk).title == "Edited by Alice"


def _fields_of(ruling: Ruling) -> dict:
    """The ruling's own fields as a fixture has them, without its many-to-many relations."""
    data = json.loads(serializers.serialize("json", [ruling]))[0]["fields"]
    return {name: value for name, value in data.items() if not isinstance(value, list)}


# --- pg_dump / pg_restore --------------------------------------------------------------------


def database_url(name: str) -> str:
    params = connection.settings_dict
    auth = quote(params["USER"] or "", safe="")
    if params["PASSWORD"]:
        auth += ":" + quote(params["PASSWORD"], safe="")
    host = params["HOST"] or "localhost"
    port = params["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{name}"


def run(script: str, *args: str, url: str, backup_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "BACKUP_DIR": str(backup_dir)}
    return subprocess.run(
        ["bash", str(SCRIPTS / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def table_rows(url: str) -> dict[str, int]:
    import psycopg2

    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_name LIKE 'cases_%' ORDER BY table_name"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT title FROM cases_policy ORDER BY id")
        counts["policy titles"] = [row[0] for row in cursor.fetchall()]
    return counts


@pytest.fixture
def scratch_database():
    """An empty PostgreSQL database, dropped afterwards."""
    name = f"tracker_restore_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        connection.close()
        with connection.cursor() as cursor:
            # DROP DATABASE waits for a checkpoint of the whole server, which on a busy machine
            # can outlast the site's statement timeout.
            cursor.execute("SET statement_timeout = 0")
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute("RESET statement_timeout")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="make backup / make restore use pg_dump and pg_restore: PostgreSQL only "
    "(run with DATABASE_URL=postgres://...)",
)
def test_backup_and_restore_round_trip(transactional_db, tmp_path, scratch_database):
    RulingFactory()
    policy = PolicyFactory()
    policy.title = "Before the backup"
    policy.save()
    source = database_url(connection.settings_dict["NAME"])

    made = run("backup.sh", url=source, backup_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    assert backup.parent == tmp_path and backup.name.startswith("tracker-")
    assert mode(backup) == 0o600 and mode(tmp_path) == 0o700
    assert backup.name.endswith("Z.dump") and not list(tmp_path.glob("*.partial"))
    expected = table_rows(source)
    assert expected["cases_historicalpolicy"] >= 2

    # Into an empty database, then again over the restored one (--clean replaces it).
    for _ in range(2):
        restored = run("restore.sh", str(backup), url=scratch_database, backup_dir=tmp_path)
        assert restored.returncode == 0, restored.stderr
        assert table_rows(scratch_database) == expected

    # A failing restore leaves the target as it was.
    broken = tmp_path / "broken.dump"
    broken.write_bytes(backup.read_bytes()[: len(backup.read_bytes()) // 2])
    failed = run("restore.sh", str(broken), url=scratch_database, backup_dir=tmp_path)
    assert failed.returncode != 0
    assert table_rows(scratch_database) == expected
    assert Lawsuit.objects.exists()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def fake_pg_dump(tmp_path) -> Path:
    """A stand-in for pg_dump on PATH that writes a file wherever --file= says, as pg_dump
    does (created under the caller's umask): the backup script's own file handling, on any
    database."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pg_dump"
    script.write_text(
        "#!/bin/sh\n"
        'for arg; do case "$arg" in --file=*) echo dump > "${arg#--file=}";; esac; done\n'
    )
    script.chmod(0o755)
    return bin_dir


def run_as_user_with_umask_022(script: str, *, backup_dir: Path, bin_dir: Path):
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        "BACKUP_DIR": str(backup_dir),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    return subprocess.run(
        ["bash", "-c", f'umask 022 && exec bash "{SCRIPTS / script}"'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("existing", [False, True], ids=["new folder", "existing 0755 folder"])
def test_backups_are_readable_by_their_owner_only(tmp_path, fake_pg_dump, existing):
    folder = tmp_path / "backups"
    if existing:
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)

    made = run_as_user_with_umask_022("backup.sh", backup_dir=folder, bin_dir=fake_pg_dump)

    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    assert backup.read_text() == "dump\n"
    assert mode(backup) == 0o600
    assert mode(folder) == 0o700


def test_backup_refuses_a_sqlite_database(tmp_path):
    result = run("backup.sh", url="sqlite:///db.sqlite3", backup_dir=tmp_path)
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr
    assert not list(tmp_path.iterdir())
