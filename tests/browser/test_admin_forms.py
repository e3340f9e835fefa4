"""The ruling change form at 1280 px, as an editor sees it: the effects inline stays within the
form, the chosen reviewed ruling is shown whole with its case, and axe-core finds no serious or
critical violation on the change form."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from tests.browser.test_accessibility import BLOCKING_IMPACTS, RUN_AXE

DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "inline-check-heron-52"

# Right edges of the form's main column and of the effects inline (and its widest cell).
EDGES = """() => {
  const form = document.querySelector("#content-main form").getBoundingClientRect();
  const group = document.querySelector("#effects-group");
  const inside = [...group.querySelectorAll("*")]
    .filter(el => el.getClientRects().length)
    .map(el => ({name: el.tagName.toLowerCase() + (el.className ? "." + el.className : ""),
                 right: el.getBoundingClientRect().right}));
  const widest = inside.reduce((a, b) => (b.right > a.right ? b : a), {name: "", right: 0});
  return {form: form.right, group: group.getBoundingClientRect().right, widest,
          viewport: window.innerWidth,
          scrolls: document.documentElement.scrollWidth > window.innerWidth};
}"""


@pytest.fixture
def editor_page(tracker, page: Page) -> Page:
    # The browser tests share their data, so the account may be there from an earlier test.
    if not User.objects.filter(username="inline-editor").exists():
        User.objects.create_superuser("inline-editor", "inline@example.org", PASSWORD)
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/login/")
    page.fill("#id_username", "inline-editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return page


def test_the_effects_inline_stays_within_the_form_at_1280px(tracker, editor_page: Page):
    appeal = tracker["appeal"]
    editor_page.goto(f"/admin/cases/ruling/{appeal.pk}/change/")
    editor_page.click("#effects-group .add-row a")  # a blank row as well as the saved one

    edges = editor_page.evaluate(EDGES)

    assert edges["group"] <= edges["form"] + 1, edges
    assert edges["widest"]["right"] <= edges["form"] + 1, edges
    assert not edges["scrolls"], edges


def test_the_chosen_reviewed_ruling_is_shown_whole(tracker, editor_page: Page):
    appeal = tracker["appeal"]
    editor_page.goto(f"/admin/cases/ruling/{appeal.pk}/change/")
    chosen = editor_page.locator("#id_reviews + .select2 .select2-selection__rendered")

    text = chosen.inner_text()
    fits = chosen.evaluate("el => el.scrollWidth <= el.clientWidth")

    assert "City of Chicago v. Sessions: Preliminary injunction, N.D. Ill., 2017-09-15" in text
    assert fits


def test_the_reviews_picker_finds_a_ruling_by_court_abbreviation(tracker, editor_page: Page):
    editor_page.goto("/admin/cases/ruling/add/")
    editor_page.click("#id_reviews + .select2 .select2-selection")
    editor_page.fill(".select2-dropdown .select2-search__field", "N.D. Cal.")
    options = editor_page.locator(".select2-results__option:not(.loading-results)")
    editor_page.wait_for_function(
        "() => { const found = [...document.querySelectorAll("
        "'.select2-results__option:not(.loading-results)')];"
        " return found.length && found.every(o => !o.textContent.includes('N.D. Ill.')); }"
    )

    texts = options.all_inner_texts()

    assert len(texts) == 2, texts  # Santa Clara's injunction and San Francisco's dismissal
    assert all("N.D. Cal." in text for text in texts), texts
    assert any("County of Santa Clara v. Trump" in text for text in texts), texts


def test_the_ruling_change_form_passes_axe(tracker, editor_page: Page, axe_source: str):
    editor_page.goto(f"/admin/cases/ruling/{tracker['appeal'].pk}/change/")
    editor_page.evaluate(axe_source)

    found = editor_page.evaluate(RUN_AXE)

    blocking = [v for v in found if v["impact"] in BLOCKING_IMPACTS]
    assert blocking == [], "\n".join(str(v) for v in blocking)
