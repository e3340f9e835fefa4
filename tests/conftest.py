"""Shared fixtures.

Data that tests only read is loaded once, not once per test. `seeded` (the shipped seed data),
`court_data` (every federal court) and any fixture made with `shared_data` are each loaded inside
a transaction that stays open across consecutive tests asking for the same data: each test runs
in a savepoint inside it (as in Django's TestCase with setUpTestData), so whatever a test writes
is rolled back and the next test sees the data exactly as loaded. The first test that asks for
other data (or none, or a transactional database) rolls the shared transaction back, so no test
ever sees data it did not ask for. Browser tests share theirs the same way (browser/conftest.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction


class SharedData:
    """The open shared transaction, if any: the name of the data loaded in it and what its
    loader returned."""

    def __init__(self, blocker) -> None:
        self.blocker = blocker
        self.atomic: transaction.Atomic | None = None
        self.name: str | None = None
        self.value: Any = None

    def enter(self, name: str, load: Callable[[], Any]) -> None:
        if self.name == name:
            return
        self.leave()
        with self.blocker.unblock():
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.name = name
            self.value = load()

    def leave(self) -> None:
        if self.atomic is None:
            return
        with self.blocker.unblock():
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
        self.atomic, self.name, self.value = None, None, None


# Loaders of the data that may be shared, by fixture name; a test asking for several shares the
# one registered last (the most specific) and loads the others for itself.
SHARED_LOADERS: dict[str, Callable[[], Any]] = {}


def shared_data(load: Callable[[], Any]):
    """Make `load` (which loads data into the database and returns what tests need of it) a
    fixture of its name, loaded once for the consecutive tests asking for it."""
    name = load.__name__
    SHARED_LOADERS[name] = load

    @pytest.fixture(name=name)
    def fixture(_shared_data_gate, db):
        if _shared_data_gate.name == name:
            return _shared_data_gate.value
        return load()  # another test's data is shared, or the test is transactional

    fixture.__doc__ = load.__doc__
    return fixture


_SHARED: list[SharedData] = []  # the session's SharedData, once made


@pytest.fixture(scope="session")
def _shared_data(django_db_setup, django_db_blocker):
    shared = SharedData(django_db_blocker)
    _SHARED.append(shared)
    yield shared
    shared.leave()
    _SHARED.remove(shared)


def _wanted(item: pytest.Item) -> str | None:
    """The shared data the test asks for; None for a transactional test, which must start from
    (and leaves) a flushed database."""
    names = item.fixturenames
    if "transactional_db" in names or "live_server" in names:
        return None
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return None
    return next((name for name in reversed(SHARED_LOADERS) if name in names), None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Roll the shared transaction back before a test that does not share it sets up any fixture:
    a browser test's fixtures start Playwright, after which the test thread counts as async and
    Django gives it a connection of its own, on which the shared transaction is not open."""
    if _SHARED and _wanted(item) is None:
        _SHARED[0].leave()


@pytest.fixture
def _shared_data_gate(request, _shared_data):
    """Opens (or keeps) the shared transaction the test asks for, or rolls back the open one."""
    wanted = _wanted(request.node)
    if wanted is None:
        _shared_data.leave()
    else:
        _shared_data.enter(wanted, SHARED_LOADERS[wanted])
    return _shared_data


@pytest.fixture
def _django_db_helper(_shared_data_gate, _django_db_helper):
    """pytest-django's per-test database set-up (the plugin's fixture of this name), after the
    gate: the test's own transaction then opens as a savepoint inside the shared one."""
    return _django_db_helper


@shared_data
def court_data() -> None:
    """Every federal court, as fixtures/courts.json ships them."""
    call_command("loaddata", "fixtures/courts.json", verbosity=0)


@shared_data
def seeded() -> None:
    """The shipped seed data (courts and case fixtures), loaded as `make run` loads it."""
    call_command("load_seed", verbosity=0)


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Every test starts with an empty page cache, and nothing kept in the process for a data
    version (caching.KeptForVersion).

    Both are keyed on the data version, a counter that a test's rolled-back transaction winds
    back: without this, one test could be served a page another test rendered.
    """
    from django.core.cache import cache

    from cases.caching import KeptForVersion

    cache.clear()
    KeptForVersion.clear_every()
    yield
    cache.clear()
    KeptForVersion.clear_every()


@pytest.fixture
def editors_group(db):
    """The "Editors" group with the permissions the migrations give it. A transactional test
    (a browser test, say) flushes the tables, the group with them; it is then rebuilt exactly
    as the data migrations build it."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    group = Group.objects.filter(name="Editors").first()
    if group is None:
        cases = importlib.import_module("cases.migrations.0003_editors_group")
        cases.create_editors_group(apps, None)
        group = Group.objects.get(name="Editors")
    if not group.permissions.filter(content_type__app_label="readers").exists():
        readers = importlib.import_module("readers.migrations.0002_editors_and_ledger")
        readers.grant_editors(apps, None)
    return group
