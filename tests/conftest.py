import pytest
from django.core.management import call_command


@pytest.fixture
def seeded(db):
    """The shipped seed data (courts and case fixtures), loaded as `make run` loads it."""
    call_command("load_seed", verbosity=0)
