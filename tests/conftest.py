import pytest
from django.core.management import call_command


@pytest.fixture
def seeded(db):
    """The shipped seed data (courts and case fixtures), loaded as `make run` loads it."""
    call_command("load_seed", verbosity=0)


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Every test starts with an empty page cache.

    Pages are cached under the data version, a counter that a test's rolled-back transaction
    winds back: without this, one test could be served a page another test rendered.
    """
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
