"""Any screen: at 390 px the filter form folds behind "Filter" above the results and tables
become labelled stacked rows; at 1280 px the form stands beside the results. Nothing is cut
off, and axe-core finds no violation at either width.

The data come from the `tracker` fixture (conftest.py).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import RUN_AXE

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
WIDTHS = {"390": PHONE, "1280": LAPTOP}


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not shown"
    return found


def document_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_on_a_phone_the_first_ruling_shows_before_any_scrolling(page: Page, tracker) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/rulings/")

    summary = page.locator("summary", has_text="Filter")
    expect(summary).to_be_visible()
    # The form is folded: its fields are not shown, and the results start right under it.
    expect(page.get_by_role("button", name="Apply filters")).to_be_hidden()
    first = page.locator(".results tbody tr").first
    expect(first).to_be_visible()
    assert box(summary)["y"] < box(first)["y"]
    assert box(first)["y"] < PHONE["height"], "the first ruling is below the fold"
    # The row is stacked, each cell labelled by its column, none cut off.
    outcome = first.locator('td[data-label="Outcome"]')
    expect(outcome).to_be_visible()
    label = outcome.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Outcome: "'
    for cell in first.locator("td").all():
        right = box(cell)["x"] + box(cell)["width"]
        assert right <= PHONE["width"], f"{cell.inner_text()!r} is cut off at {right}px"
    assert document_width(page) <= PHONE["width"]


def test_on_a_phone_the_filter_unfolds_and_filters(page: Page, tracker) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/rulings/")

    page.locator("summary", has_text="Filter").click()
    court = page.get_by_role("group", name="Court", exact=True)
    expect(court.get_by_role("group", name="Seventh Circuit")).to_be_visible()
    court.get_by_label(re.compile(r"^District Court, N\.D\. Illinois \d+")).check()
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"court=ilnd"))
    expect(page.locator(".results tbody tr")).to_have_count(2)
    # Folded again above the results, saying that a filter is in force.
    expect(page.locator("summary", has_text="Filter")).to_contain_text("1 in force")
    expect(page.get_by_role("button", name="Apply filters")).to_be_hidden()


def test_an_invalid_filter_opens_the_form_on_a_phone(page: Page, tracker) -> None:
    page.set_viewport_size(PHONE)
    response = page.goto("/rulings/?decided_after=yesterday")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Decided on or after")).to_be_visible()


def test_on_a_laptop_the_form_stands_beside_the_results(page: Page, tracker) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto("/rulings/")

    expect(page.locator("summary", has_text="Filter")).to_be_hidden()
    form = page.locator("form.filters")
    expect(form).to_be_visible()
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()
    table = page.locator(".results table")
    assert box(form)["x"] + box(form)["width"] <= box(table)["x"]
    assert abs(box(form)["y"] - page.locator(".results").bounding_box()["y"]) < 5
    # A normal table: its header row is shown, the cells carry no labels of their own.
    expect(table.locator("thead th").first).to_be_visible()
    label = table.locator('tbody td[data-label="Outcome"]').first.evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert label in ("none", "normal")
    assert document_width(page) <= LAPTOP["width"]


@pytest.mark.parametrize("width", WIDTHS)
def test_statuses_carry_a_shape_with_a_legend(page: Page, tracker, width) -> None:
    page.set_viewport_size(WIDTHS[width])
    page.goto("/")

    badge = page.locator("td[data-label='Status'] .status-badge").first
    expect(badge).to_be_visible()
    shape = badge.locator(".status-shape")
    expect(shape).to_be_visible()
    assert shape.inner_text().strip()
    legend = page.locator(".status-legend")
    expect(legend).to_be_visible()
    expect(legend.locator("dt", has_text="Blocked nationwide")).to_be_visible()
    assert document_width(page) <= WIDTHS[width]["width"]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_axe_violations_at_either_width(
    axe_source: str, page: Page, tracker, width: str
) -> None:
    page.set_viewport_size(WIDTHS[width])
    found = []
    for path in [
        "/",
        "/rulings/",
        "/rulings/?all_courts=true",
        "/lawsuits/?court=ilnd",
        tracker["policy"].get_absolute_url(),
        "/policies/",
        "/timeline/",
    ]:
        page.goto(path)
        if width == "390" and page.locator("summary", has_text="Filter").count():
            page.locator("summary", has_text="Filter").first.click()  # check the open form too
        page.evaluate(axe_source)
        found += [
            f"{path}: {v['id']} ({v['impact']}): {v['help']} {v['target']}"
            for v in page.evaluate(RUN_AXE)
        ]
    assert not found, "\n".join(found)
