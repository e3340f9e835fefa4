"""A visitor suggests a correction and subscribes to alerts in a browser without JavaScript,
and both forms (blank, with errors, and the pages after them) pass axe-core.

The data come from the `tracker` fixture (conftest.py).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import Page, expect

from readers.models import Correction, CorrectionState, Subscription, SubscriptionState
from tests.browser.test_accessibility import (
    BLOCKING_IMPACTS,
    DANGLING_ARIA_REFERENCES,
    PHONE,
    RUN_AXE,
)

CONFIRM_LINK = re.compile(re.escape(settings.SITE_URL) + r"(/alerts/confirm/[^\s]+/)")


def test_a_visitor_suggests_a_correction_without_javascript(new_context, tracker) -> None:
    page = new_context(java_script_enabled=False).new_page()
    lawsuit = tracker["lawsuit"]
    page.goto(lawsuit.get_absolute_url())

    page.get_by_role("link", name="Suggest a correction").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suggest a correction")
    page.get_by_label("What is wrong, and what is right").fill(
        "The preliminary injunction was entered on 15 September 2017."
    )
    page.get_by_label("The source that shows it").fill("264 F. Supp. 3d 933 (N.D. Ill. 2017)")
    page.get_by_role("button", name="Send the suggestion").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    correction = Correction.objects.get()
    assert correction.record == lawsuit and correction.state == CorrectionState.NEW
    assert correction.email == ""


def test_a_visitor_subscribes_from_the_rulings_list_without_javascript(
    new_context, tracker
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    mail.outbox.clear()
    page.goto("/rulings/?court=ilnd")

    page.get_by_role("link", name=re.compile("Get an email when a new ruling")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email alerts for new rulings")
    expect(page.locator("dl.facts")).to_contain_text("District Court, N.D. Illinois")
    page.get_by_label("Your email address").fill("reader@example.org")
    page.get_by_label("One daily digest").check()
    page.get_by_role("button", name="Subscribe").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    (message,) = mail.outbox
    (confirm,) = CONFIRM_LINK.findall(message.body)
    page.goto(confirm)
    page.get_by_role("button", name="Confirm this alert").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your alert is confirmed")
    subscription = Subscription.objects.get()
    assert subscription.query == "court=ilnd" and subscription.frequency == "daily"
    assert subscription.state == SubscriptionState.CONFIRMED


def _problems(page: Page, axe_source: str, name: str) -> list[str]:
    page.evaluate(axe_source)
    found = [
        f"  {name}: {v['id']} ({v['impact']}): {v['help']} first: {v['target']} {v['html']}"
        for v in page.evaluate(RUN_AXE)
        if v["impact"] in BLOCKING_IMPACTS
    ]
    found += [f"  {name}: {ref}" for ref in page.evaluate(DANGLING_ARIA_REFERENCES)]
    width, viewport = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    if width > viewport + 1:
        found.append(f"  {name}: {width}px wide on a {viewport}px phone")
    return found


def test_the_correction_and_subscribe_forms_pass_axe(axe_source: str, page: Page, tracker) -> None:
    page.set_viewport_size(PHONE)
    found: list[str] = []

    page.goto(f"/corrections/lawsuit/{tracker['lawsuit'].slug}/")
    found += _problems(page, axe_source, "correction form")
    page.get_by_label("The source that shows it").fill("javascript://nothing")
    page.get_by_role("button", name="Send the suggestion").click()
    expect(page.locator(".errors")).to_be_visible()
    found += _problems(page, axe_source, "correction form with errors")

    page.goto(f"/alerts/?court={tracker['ilnd'].pk}")
    found += _problems(page, axe_source, "subscribe form")
    page.get_by_label("Your email address").fill("not an address")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".errors")).to_be_visible()
    found += _problems(page, axe_source, "subscribe form with errors")

    page.goto("/alerts/manage/")
    found += _problems(page, axe_source, "manage link request")
    page.goto("/alerts/confirm/not-a-token/")
    found += _problems(page, axe_source, "invalid link")

    if found:
        pytest.fail("Accessibility problems:\n" + "\n".join(found), pytrace=False)
