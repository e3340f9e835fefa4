"""Browser tests: headless Debian Chromium driven by Playwright against pytest-django's live server.

Every test in this folder is marked `browser` (so `pytest -m "not browser"` leaves them out).
Without /usr/bin/chromium they are skipped with a reason that `pytest -ra` prints, unless
REQUIRE_BROWSER=1 (CI): then each one fails at setup with the reason, and so does the run. The
same goes for the accessibility test without node_modules/axe-core. The browser may reach
127.0.0.1 only: other host names do not resolve and any other request is aborted and reported.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

# The live server runs in a thread of the test process while Playwright's sync API runs an
# event loop in the same thread as the test; without this the ORM refuses to run.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Serve on the IPv4 loopback address (pytest-django's default is "localhost").
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
COURTS_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "courts.json"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--metrics-recording-only",
    "--no-pings",
    # Any host name other than the loopback address fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# Any request whose URL does not start with the live server's address.
NOT_LOOPBACK = re.compile(r"^(?!http://127\.0\.0\.1[:/])")


def require_browser() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes", "on"}


def missing(what: str, fix: str) -> None:
    """Skip the current test because `what` is missing, or fail it when REQUIRE_BROWSER=1."""
    if require_browser():
        pytest.fail(f"{what} is missing and REQUIRE_BROWSER=1: {fix}", pytrace=False)
    pytest.skip(f"{what} is missing: {fix} (REQUIRE_BROWSER=1 makes this a failure)")


CHROMIUM_FIX = "install it with `apt-get install -y chromium` (not `playwright install`)"
AXE_FIX = "run `npm ci` (or `make test`) to install node_modules/axe-core"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: the mark must be on the items before `-m "not browser"` deselects by mark.
    skip = None
    if not CHROMIUM.exists() and not require_browser():
        skip = pytest.mark.skip(
            reason=f"browser test skipped: {CHROMIUM} is missing; {CHROMIUM_FIX} "
            "(REQUIRE_BROWSER=1 makes this a failure)"
        )
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not CHROMIUM.exists():
        missing(f"Chromium ({CHROMIUM})", CHROMIUM_FIX)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Relative URLs in page.goto() go to the live server (pytest-playwright reads this)."""
    if NOT_LOOPBACK.match(live_server.url):
        pytest.fail(
            f"The live server listens on {live_server.url}; browser tests only reach 127.0.0.1 "
            "(unset DJANGO_LIVE_TEST_SERVER_ADDRESS / --liveserver or set it to 127.0.0.1).",
            pytrace=False,
        )
    return live_server.url


@pytest.fixture
def new_context(new_context):
    """pytest-playwright's context factory, with every request off 127.0.0.1 aborted and reported.

    Tests that build their own context (e.g. without JavaScript) should use this factory too.
    """
    escaped: list[str] = []

    def block(route) -> None:
        escaped.append(route.request.url)
        route.abort()

    def make(**kwargs):
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)  # fail in seconds, not pytest-playwright's 30 s
        context.route(NOT_LOOPBACK, block)
        return context

    yield make
    if escaped:
        pytest.fail(f"The browser tried to leave 127.0.0.1: {escaped}", pytrace=False)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's source, to evaluate in a page (no <script> tag, so the page's CSP still holds)."""
    if not AXE_JS.exists():
        missing(f"axe-core ({AXE_JS.relative_to(settings.BASE_DIR)})", AXE_FIX)
    return AXE_JS.read_text(encoding="utf-8")


class BrowserData:
    """The courts and the small tracker every browser test reads, built once and committed (the
    live server sees committed data only), and built again only if a test flushed them."""

    def __init__(self, blocker) -> None:
        self.blocker = blocker
        self.records: dict | None = None

    def ensure(self) -> dict:
        with self.blocker.unblock():
            from cases.models import Ruling

            if self.records is None or not Ruling.objects.filter(pk=self.records["draft"].pk):
                call_command("loaddata", str(COURTS_FIXTURE), verbosity=0)
                # Edit history is not shown on public pages; skipping it makes this 3x quicker.
                with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
                    self.records = _build_tracker()
        return self.records

    def flush(self) -> None:
        """Empty the database as a transactional test leaves it, for the tests that follow."""
        if self.records is not None:
            with self.blocker.unblock():
                call_command("flush", interactive=False, verbosity=0)
            self.records = None


@pytest.fixture(scope="package")
def _browser_data(django_db_setup, django_db_blocker):
    # (tests/conftest.py has rolled back any shared transaction before the first browser test.)
    data = BrowserData(django_db_blocker)
    yield data
    data.flush()


@pytest.fixture(autouse=True)
def _live_server_helper(request, django_db_blocker):
    """Replaces pytest-django's helper of that name, which makes every live-server test a
    transactional one, flushing the database after it: here the tests read the data built once
    by `_browser_data` instead, and may use the database while they run."""
    if "live_server" not in request.fixturenames:
        yield
        return
    live_server = request.getfixturevalue("live_server")
    live_server._live_server_modified_settings.enable()
    with django_db_blocker.unblock():
        yield
    live_server._live_server_modified_settings.disable()


@pytest.fixture
def courts(_browser_data) -> None:
    """Every federal court, as shipped."""
    _browser_data.ensure()


@pytest.fixture
def tracker(_browser_data) -> dict:
    """A small tracker: rulings in N.D. Illinois (Chicago, Evanston) and N.D. California
    (San Francisco, Santa Clara), one appeal in the 7th Circuit, a draft ruling and everything a
    detail page links to. Returns the records by name. Built once for all the browser tests,
    which only read it."""
    return _browser_data.ensure()


def _build_tracker() -> dict:
    from cases.models import (
        Court,
        Disposition,
        JurisdictionKind,
        PolicyKind,
        PublicationState,
        RulingKind,
        RulingOutcome,
        RulingScope,
    )
    from tests.factories import (
        FundingProgramFactory,
        GroundFactory,
        JurisdictionFactory,
        LawsuitFactory,
        PolicyFactory,
        RulingEffectFactory,
        RulingFactory,
        SourceFactory,
    )

    ilnd, cand, ca7 = (Court.objects.get(pk=pk) for pk in ("ilnd", "cand", "ca7"))
    jag = FundingProgramFactory(
        slug="byrne-jag",
        name="Edward Byrne Memorial Justice Assistance Grant Program",
        short_name="Byrne JAG",
    )
    conditions = PolicyFactory(
        slug="jag-conditions-2017",
        title="Notice, access and compliance conditions on FY2017 Byrne JAG awards",
        short_title="FY2017 JAG conditions",
        programs=[jag],
    )
    order = PolicyFactory(
        slug="eo-13768",
        title="Executive Order 13768, Enhancing Public Safety in the Interior of the United States",
        short_title="EO 13768 §9(a)",
        kind=PolicyKind.EXECUTIVE_ORDER,
        issued_on=datetime.date(2017, 1, 25),
    )
    chicago = JurisdictionFactory(slug="chicago", name="City of Chicago", state="IL")
    evanston = JurisdictionFactory(slug="evanston", name="City of Evanston", state="IL")
    san_francisco = JurisdictionFactory(
        slug="san-francisco",
        name="City and County of San Francisco",
        kind=JurisdictionKind.CITY_COUNTY,
        state="CA",
    )
    santa_clara = JurisdictionFactory(
        slug="santa-clara", name="County of Santa Clara", kind=JurisdictionKind.COUNTY, state="CA"
    )
    source = SourceFactory(title="Complaint", url="https://example.org/complaint.pdf")

    def suit(slug, caption, court, plaintiff, policy, filed_on):
        lawsuit = LawsuitFactory(
            slug=slug,
            caption=caption,
            court=court,
            filed_on=filed_on,
            plaintiffs=[plaintiff],
            policies=[policy],
            defendants="Jefferson B. Sessions III\nUnited States Department of Justice",
            summary=f"{plaintiff.name} challenges the {policy.short_title}.",
        )
        lawsuit.sources.set([source])
        return lawsuit

    chicago_suit = suit(
        "chicago-v-sessions",
        "City of Chicago v. Sessions",
        ilnd,
        chicago,
        conditions,
        datetime.date(2017, 8, 7),
    )
    evanston_suit = suit(
        "evanston-v-sessions",
        "City of Evanston v. Sessions",
        ilnd,
        evanston,
        conditions,
        datetime.date(2018, 8, 1),
    )
    sf_suit = suit(
        "san-francisco-v-trump",
        "City and County of San Francisco v. Trump",
        cand,
        san_francisco,
        order,
        datetime.date(2017, 1, 31),
    )
    santa_clara_suit = suit(
        "santa-clara-v-trump",
        "County of Santa Clara v. Trump",
        cand,
        santa_clara,
        order,
        datetime.date(2017, 2, 3),
    )
    ground = GroundFactory(slug="separation-of-powers", name="Separation of powers")

    def ruling(court, lawsuits, decided_on, **kwargs):
        made = RulingFactory(court=court, lawsuits=lawsuits, decided_on=decided_on, **kwargs)
        made.grounds.set([ground])
        made.sources.set([source])
        return made

    chicago_pi = ruling(
        ilnd,
        [chicago_suit],
        datetime.date(2017, 9, 15),
        judges="Leinenweber",
        citation="264 F. Supp. 3d 933",
    )
    evanston_pi = ruling(
        ilnd,
        [evanston_suit],
        datetime.date(2018, 10, 31),
        kind=RulingKind.PRELIMINARY_INJUNCTION,
        outcome=RulingOutcome.CHALLENGERS,
        scope=RulingScope.PLAINTIFFS,
    )
    chicago_draft = ruling(
        ilnd, [chicago_suit], datetime.date(2018, 7, 27), publication_state=PublicationState.DRAFT
    )
    chicago_appeal = ruling(
        ca7,
        [chicago_suit],
        datetime.date(2018, 4, 19),
        kind=RulingKind.APPELLATE_OPINION,
        reviews=chicago_pi,
        disposition=Disposition.AFFIRMED,
    )
    santa_clara_pi = ruling(
        cand, [sf_suit, santa_clara_suit], datetime.date(2017, 4, 25), judges="Orrick"
    )
    sf_dismissal = ruling(
        cand,
        [sf_suit],
        datetime.date(2017, 11, 20),
        kind=RulingKind.SUMMARY_JUDGMENT,
        outcome=RulingOutcome.GOVERNMENT,
    )
    RulingEffectFactory(ruling=chicago_pi, policy=conditions)
    RulingEffectFactory(ruling=chicago_appeal, policy=conditions)
    RulingEffectFactory(ruling=santa_clara_pi, policy=order)
    return {
        "ilnd": ilnd,
        "cand": cand,
        "program": jag,
        "policy": conditions,
        "jurisdiction": chicago,
        "lawsuit": chicago_suit,
        "ilnd_rulings": [chicago_pi, evanston_pi],
        "cand_rulings": [santa_clara_pi, sf_dismissal],
        "appeal": chicago_appeal,
        "draft": chicago_draft,
    }
