"""The Content-Security-Policy (no inline script or style) breaks nothing: neither the public
pages nor the editors' admin report a single violation in Chromium.

Violations are collected by an init script, which the DevTools protocol injects and CSP does not
block; `test_the_listener_sees_a_violation` proves the listener works under the policy.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

LISTEN = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));"
)
PASSWORD = "csp-check-kestrel-48"


@pytest.fixture
def watched(page: Page) -> Page:
    page.add_init_script(LISTEN)
    return page


def violations(page: Page) -> list[str]:
    # Violation events are dispatched asynchronously: let any pending one arrive first.
    page.wait_for_timeout(50)
    return page.evaluate("window.__csp")


def visit(page: Page, path: str) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.status < 500, f"{path}: {response and response.status}"
    assert "default-src 'self'" in (response.headers.get("content-security-policy") or "")
    page.wait_for_load_state("load")
    return violations(page)


def test_the_listener_sees_a_violation(tracker, watched: Page):
    watched.goto("/")
    watched.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.body.append(s); }"
    )
    watched.wait_for_function("window.__csp.length > 0")
    assert watched.evaluate("window.__ran") is None  # the inline script was blocked
    assert any(v.startswith("script-src") for v in violations(watched))


def test_public_pages_raise_no_csp_violation(tracker, watched: Page):
    paths = [
        "/",
        "/timeline/",
        "/rulings/",
        "/rulings/?court=zzz",
        tracker["ilnd_rulings"][0].get_absolute_url(),
        "/lawsuits/",
        tracker["lawsuit"].get_absolute_url(),
        "/policies/",
        tracker["policy"].get_absolute_url(),
        "/programs/",
        tracker["program"].get_absolute_url(),
        "/courts/",
        tracker["ilnd"].get_absolute_url(),
        "/jurisdictions/",
        tracker["jurisdiction"].get_absolute_url(),
        "/no-such-page/",
    ]
    found = {path: v for path in paths if (v := visit(watched, path))}
    assert found == {}


def test_admin_raises_no_csp_violation(tracker, watched: Page):
    User.objects.create_superuser("csp-admin", "csp@example.org", PASSWORD)
    ruling = tracker["ilnd_rulings"][0]
    found = {}

    if v := visit(watched, "/admin/login/"):
        found["login"] = v
    watched.fill("#id_username", "csp-admin")
    watched.fill("#id_password", PASSWORD)
    watched.click("input[type=submit]")
    watched.wait_for_url("**/admin/")
    if v := violations(watched):
        found["index"] = v

    for name, path in {
        "ruling changelist": "/admin/cases/ruling/",
        "ruling changelist filtered": "/admin/cases/ruling/?q=Chicago",
        "ruling change form": f"/admin/cases/ruling/{ruling.pk}/change/",
        "ruling add form": "/admin/cases/ruling/add/",
        "ruling history": f"/admin/cases/ruling/{ruling.pk}/history/",
        "lawsuit change form": f"/admin/cases/lawsuit/{tracker['lawsuit'].pk}/change/",
        "user changelist": "/admin/auth/user/",
    }.items():
        if v := visit(watched, path):
            found[name] = v
        assert "/admin/login/" not in watched.url, f"{name}: logged out"

    # The admin's JavaScript ran: the change form's widgets and the changelist's actions work.
    watched.goto(f"/admin/cases/ruling/{ruling.pk}/change/")
    assert watched.evaluate("typeof window.django === 'object'")
    assert found == {}
