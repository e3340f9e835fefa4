"""Settings for running the test suite on the shared PostgreSQL server under the `tracker_bench`
prefix: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench_tests \
.venv/bin/pytest --ds bench.pg_test_settings ...` creates and drops `tracker_bench_tests_run`."""

from tracker.settings import *  # noqa: F403
from tracker.settings import DATABASES

DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"]["NAME"] + "_run"}
