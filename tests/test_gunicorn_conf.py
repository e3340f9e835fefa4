"""gunicorn.conf.py's own settings, read as gunicorn reads them, in a process of their own."""

import subprocess
import sys

import pytest
from django.conf import settings

CHECK = """
import gc, runpy
conf = runpy.run_path("gunicorn.conf.py")
conf["post_worker_init"](None)
print(gc.get_threshold()[0], gc.get_freeze_count() > 0)
"""


def load(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("given", "threshold"), [({}, "50000"), ({"GUNICORN_GC_THRESHOLD": "700"}, "700")]
)
def test_a_worker_freezes_what_it_loaded_and_collects_garbage_less_often(given, threshold):
    done = load(given)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [threshold, "True"]


@pytest.mark.parametrize("value", ["0", "-1", "many", "5e4"])
def test_a_malformed_gc_threshold_stops_start_up_and_names_the_variable(value):
    done = load({"GUNICORN_GC_THRESHOLD": value})

    assert done.returncode != 0
    assert "GUNICORN_GC_THRESHOLD" in done.stderr and repr(value) in done.stderr
