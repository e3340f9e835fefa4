"""Helpers for bench/run.sh (run with the project's Python, DATABASE_URL set).

python bench/helpers.py export-url ROWS   -> "<query string> <exact row count>" for about ROWS
                                             rulings (a decided_after filter)
python bench/helpers.py copy-sql QUERY    -> the COPY statement the CSV export of
                                             /rulings/?QUERY runs
python bench/helpers.py table-copy-sql QUERY -> the floor: a COPY of the same rows, in the same
                                             order, straight from the rulings table (its own
                                             columns, no joins)
Both statements come after the settings the export runs its COPY under (exports.COPY_SETTINGS:
its work_mem, no JIT, two parallel workers), so the floor gets whatever the export is given.
python bench/helpers.py queries           -> `queries_per_page` lines, measured in-process
python bench/helpers.py load-paths        -> the URL mix of bench/load.sh, one path per line
"""

from __future__ import annotations

import os
import random
import sys
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from cases import exports, facets, selectors, tables, views  # noqa: E402
from cases.models import Court, Lawsuit, Policy, Ruling  # noqa: E402


def export_url(rows: int) -> None:
    qs = selectors.published_rulings().order_by("-decided_on", "-id")
    dates = list(qs.values_list("decided_on", flat=True)[rows - 1 : rows])
    if not dates:
        print("-", qs.count())  # fewer rulings than asked for: all of them
        return
    query = f"decided_after={dates[0]:%Y-%m-%d}"
    print(query, qs.filter(decided_on__gte=dates[0]).count())


def copy_settings() -> str:
    """The SET statements of the session settings the export's COPY runs under."""
    with connection.cursor() as cursor:
        return " ".join(
            cursor.mogrify(f"SET {name} = %s;", [value]).decode()
            for name, value in exports.COPY_SETTINGS.items()
        )


def copy_sql(query: str) -> None:
    query = "" if query == "-" else query
    page = views.RULING_LIST
    filterset = page.filterset(QueryDict(query), queryset=page.queryset())
    assert filterset.is_valid(), filterset.errors_text
    print(copy_settings())
    print(exports.copy_statement(page.export, filterset.qs, "http://127.0.0.1/rulings/"))


def table_copy_sql(query: str) -> None:
    query = "" if query == "-" else query
    page = views.RULING_LIST
    filterset = page.filterset(QueryDict(query), queryset=page.queryset())
    assert filterset.is_valid(), filterset.errors_text
    columns = [field.attname for field in Ruling._meta.concrete_fields]
    rows = filterset.qs.values_list(*columns)
    sql, params = rows.query.sql_with_params()
    assert " JOIN " not in sql, sql
    with connection.cursor() as cursor:
        select = cursor.mogrify(sql, params).decode()
    print(copy_settings())
    print(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)")


LIST_URLS = [
    "/rulings/",
    "/rulings/?court=ilnd&kind=preliminary_injunction",
    "/lawsuits/",
    "/policies/",
    "/programs/",
    "/courts/",
    "/jurisdictions/",
]


def count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def afresh(fresh: bool):
    """facets.until_next_change, or, if `fresh`, one that always counts."""
    if fresh:
        return lambda version, name, build: build()
    return facets.until_next_change


def queries() -> None:
    """Queries of each list page and export at 1 and 50 rows (the court filter's ilnd rows:
    every generated ruling is put in the N.D. Ill. for this count), in this order after each
    change: `<list>?page=1` first (it also reads the form's choices, kept until the next
    change), then the list itself (a first view of that address: not in the page cache, and
    its facets counted afresh and its rows read afresh, as for filters no one asked before, not
    taken from what `?page=1` kept: the facet counts, the monthly tallies, the rows), then its
    exports."""
    client = Client()
    results: dict[str, list[int]] = {}
    for rows in (1, 50):
        call_command("generate_bulk", rulings=rows, lawsuits=rows, seed=1, verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_ruling SET court_id = 'ilnd'")
            cursor.execute("UPDATE cases_ruling SET kind = 'preliminary_injunction'")
        for url in LIST_URLS:
            joiner = "&" if "?" in url else "?"
            variants = [f"{url}{joiner}page=1", url]
            variants += [f"{url}{joiner}format=csv", f"{url}{joiner}format=json"]
            for variant in variants:
                if variant == url:
                    facets.KEPT.clear()
                    tables.KEPT_ROWS.clear()
                with mock.patch.object(facets, "until_next_change", afresh(variant == url)):
                    results.setdefault(variant, []).append(count(client, variant))
    for url, (one, fifty) in results.items():
        print(f"queries_per_page[{url}]: {one} at 1 row, {fifty} at 50 rows")


def load_paths() -> None:
    """A mix like a news day's traffic: mostly list and filtered list pages, then detail pages,
    feeds and small exports (a court's rulings), every URL valid and answering 200."""
    rulings = list(Ruling.objects.published().order_by("-decided_on", "-id")[:400])
    lawsuits = list(Lawsuit.objects.published().order_by("-filed_on", "slug")[:200])
    policies = list(Policy.objects.published().order_by("slug")[:50])
    busy = list(
        Court.objects.filter(rulings__isnull=False)
        .distinct()
        .order_by("id")
        .values_list("id", flat=True)[:40]
    )
    quiet = [
        court for court in busy if Ruling.objects.published().filter(court_id=court).count() <= 2000
    ][:10]
    lists = ["/", "/rulings/", "/lawsuits/", "/policies/", "/courts/", "/timeline/?kind=policy"]
    lists += [f"/rulings/?court={court}" for court in busy]
    lists += [f"/rulings/?court={court}&kind=preliminary_injunction" for court in busy[:10]]
    lists += [f"/rulings/?policy={policy.slug}&sort=court" for policy in policies[:20]]
    lists += [f"/lawsuits/?court={court}&status=pending" for court in busy[:10]]
    details = [ruling.get_absolute_url() for ruling in rulings]
    details += [lawsuit.get_absolute_url() for lawsuit in lawsuits]
    details += [policy.get_absolute_url() for policy in policies]
    feeds = ["/rulings/feed/"] + [f"/rulings/feed/?court={court}" for court in busy[:10]]
    exports_ = [f"/rulings/?court={court}&format=csv" for court in quiet]
    exports_ += [f"/lawsuits/?court={court}&format=json" for court in quiet]
    mix = lists * 4 + details + feeds * 2 + exports_
    random.Random(1).shuffle(mix)
    print("\n".join(mix))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "export-url":
        export_url(int(sys.argv[2]))
    elif command == "copy-sql":
        copy_sql(sys.argv[2] if len(sys.argv) > 2 else "")
    elif command == "table-copy-sql":
        table_copy_sql(sys.argv[2] if len(sys.argv) > 2 else "")
    elif command == "queries":
        queries()
    elif command == "load-paths":
        load_paths()
    else:
        raise SystemExit(f"unknown command {command}")
