"""On PostgreSQL a public page asks the database nothing while the data has not changed: the
connection listens to the data version's notifications (migration 0022) and keeps the version
it read last. A change committed anywhere is in the next answer once its notification is in;
an editor's request always reads the version; a connection the database dropped is replaced.

These run outside a transaction (notifications reach a connection only between transactions),
as a production request does.
"""

import select

import psycopg2
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import caching
from tests.factories import RulingFactory
from tests.test_backup import database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL notifications (SQLite reads the version on every request)",
    ),
]


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in queries]


def commit_elsewhere(sql: str, params=()) -> None:
    """`sql`, committed through a connection of its own, as another app server would."""
    other = psycopg2.connect(database_url(connection.settings_dict["NAME"]))
    try:
        with other, other.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        other.close()


def until_notified(timeout: float = 10.0) -> None:
    """Wait until the database has sent this connection something (the notification)."""
    readable, _, _ = select.select([connection.connection], [], [], timeout)
    assert readable, f"no notification within {timeout} s"


@pytest.fixture
def ruling(transactional_db):
    return RulingFactory(summary="The summary as first published.")


def test_a_repeat_view_asks_the_database_nothing(client, ruling):
    url = ruling.get_absolute_url()
    first, queries = get(client, url)
    assert any(caching.VERSION_CHANNEL in sql for sql in queries)  # listens, then reads

    again, queries = get(client, url)

    assert again == first and queries == []


def test_a_change_committed_through_another_connection_is_in_the_next_answer(client, ruling):
    url = ruling.get_absolute_url()
    page, _ = get(client, url)
    assert "The summary as first published." in page

    commit_elsewhere(
        "UPDATE cases_ruling SET summary = %s WHERE id = %s", ["Corrected elsewhere.", ruling.pk]
    )
    until_notified()
    page, queries = get(client, url)

    assert "Corrected elsewhere." in page and "first published" not in page
    assert sum(caching.VERSION_QUERY in sql for sql in queries) == 1  # read again, once
    page, queries = get(client, url)
    assert "Corrected elsewhere." in page and queries == []


def test_a_draft_edit_elsewhere_leaves_the_cached_version_alone(client, ruling):
    """Edits the public cannot see do not move the version, so nothing is notified."""
    draft = RulingFactory(publication_state="draft", summary="Not yet published.")
    url = ruling.get_absolute_url()
    get(client, url)

    commit_elsewhere("UPDATE cases_ruling SET summary = 'Still a draft.' WHERE id = %s", [draft.pk])
    readable, _, _ = select.select([connection.connection], [], [], 0.5)

    assert not readable
    _, queries = get(client, url)
    assert queries == []


def test_an_editors_request_always_reads_the_version(admin_client, client, ruling):
    url = ruling.get_absolute_url()
    get(client, url)  # the connection now knows the version

    _, queries = get(admin_client, url)

    assert caching.VERSION_QUERY in "\n".join(queries)


def test_a_connection_the_database_dropped_is_replaced_on_the_next_request(client, ruling):
    url = ruling.get_absolute_url()
    get(client, url)
    dropped = connection.connection
    commit_elsewhere("SELECT pg_terminate_backend(%s)", [dropped.info.backend_pid])
    until_notified()  # the server's goodbye

    commit_elsewhere(
        "UPDATE cases_ruling SET summary = 'Changed while it was gone.' WHERE id = %s",
        [ruling.pk],
    )
    page, queries = get(client, url)

    assert connection.connection is not dropped
    assert "Changed while it was gone." in page
    assert any(caching.VERSION_CHANNEL in sql for sql in queries)  # listening again
