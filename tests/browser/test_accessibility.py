"""Every public page passes axe-core with no serious or critical violation, and fits a phone.

axe-core is evaluated from node_modules' file text (no <script> tag, CSP left in force).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

PHONE = {"width": 375, "height": 812}
BLOCKING_IMPACTS = {"serious", "critical"}

# name -> (path given the `tracker` records, expected status)
PAGES: dict[str, tuple[Callable[[dict], str], int]] = {
    "home": (lambda t: "/", 200),
    "ruling-list": (lambda t: "/rulings/", 200),
    "ruling-list-invalid-filter": (lambda t: "/rulings/?court=zzz", 400),
    "ruling-detail": (lambda t: t["ilnd_rulings"][0].get_absolute_url(), 200),
    "lawsuit-list": (lambda t: "/lawsuits/", 200),
    "lawsuit-detail": (lambda t: t["lawsuit"].get_absolute_url(), 200),
    "policy-list": (lambda t: "/policies/", 200),
    "policy-detail": (lambda t: t["policy"].get_absolute_url(), 200),
    "program-list": (lambda t: "/programs/", 200),
    "program-detail": (lambda t: t["program"].get_absolute_url(), 200),
    "court-list": (lambda t: "/courts/", 200),
    "court-detail": (lambda t: t["ilnd"].get_absolute_url(), 200),
    "jurisdiction-list": (lambda t: "/jurisdictions/", 200),
    "jurisdiction-detail": (lambda t: t["jurisdiction"].get_absolute_url(), 200),
    "timeline": (lambda t: "/timeline/", 200),
    "timeline-policy": (lambda t: f"/timeline/?policy={t['policy'].slug}", 200),
    "timeline-invalid": (lambda t: "/timeline/?court=zzz&kind=zzz&after=yesterday", 400),
}

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.length,
    target: v.nodes.length ? v.nodes[0].target.join(" ") : "",
    html: v.nodes.length ? v.nodes[0].html.slice(0, 160) : "",
  }));
}"""

# The outermost elements that stick out to the right of the viewport, for the failure message.
# Content inside a .table-wrap scrolls in its own box, so it is not looked at.
WIDE_ELEMENTS = """() => {
  const limit = window.innerWidth + 1;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map(c => "." + c).join("");
  const found = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.parentElement.closest(".table-wrap")) continue;
    const right = el.getBoundingClientRect().right;
    const parentRight = el.parentElement.getBoundingClientRect().right;
    if (right > limit && parentRight <= limit) {
      found.push(`${name(el.parentElement)} > ${name(el)} (right edge ${Math.round(right)}px)`);
    }
  }
  return found.slice(0, 8);
}"""


# Each ARIA attribute that names other elements by id, with the ids that are not in the page.
DANGLING_ARIA_REFERENCES = """() => {
  const attrs = ["aria-describedby", "aria-labelledby", "aria-errormessage", "aria-controls",
                 "aria-owns", "aria-details", "aria-flowto"];
  const found = [];
  for (const el of document.querySelectorAll(attrs.map(a => `[${a}]`).join(","))) {
    for (const attr of attrs) {
      const missing = (el.getAttribute(attr) || "").split(/\\s+/)
        .filter(id => id && !document.getElementById(id));
      if (missing.length) {
        found.push(`<${el.tagName.toLowerCase()} id="${el.id}"> ${attr}: ${missing.join(" ")}`);
      }
    }
  }
  return found;
}"""


def open_page(page: Page, name: str, tracker: dict) -> None:
    make_path, status = PAGES[name]
    response = page.goto(make_path(tracker))
    assert response is not None
    assert response.status == status, f"{name}: expected HTTP {status}, got {response.status}"


def test_no_serious_or_critical_axe_violations(axe_source: str, page: Page, tracker) -> None:
    """axe-core's default rules (WCAG 2.x A/AA and best practices) on every page.

    One test visits all the pages: each test costs a browser context, a data set and (on
    PostgreSQL) a TRUNCATE of every table, a page load far less. The report names every page."""
    found = []
    for name in PAGES:
        open_page(page, name, tracker)
        page.evaluate(axe_source)
        for v in page.evaluate(RUN_AXE):
            if v["impact"] in BLOCKING_IMPACTS:
                found.append(
                    f"  {name} ({page.url}): {v['id']} ({v['impact']}, {v['nodes']} element(s)):"
                    f" {v['help']}\n    first: {v['target']}  {v['html']}"
                )
    if found:
        pytest.fail("axe-core violations:\n" + "\n".join(found), pytrace=False)


def test_no_page_scrolls_sideways_on_a_phone(page: Page, tracker) -> None:
    """At 375 px the document never scrolls horizontally (a table may, inside its .table-wrap)."""
    page.set_viewport_size(PHONE)
    too_wide = []
    for name in PAGES:
        open_page(page, name, tracker)
        scroll_width, inner_width = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll_width > inner_width + 1:
            too_wide.append(
                f"  {name} ({page.url}): {scroll_width}px wide in a {inner_width}px viewport; "
                f"sticking out: {page.evaluate(WIDE_ELEMENTS)}"
            )
    if too_wide:
        pytest.fail(
            "Pages wider than a phone (a grid or flex item wider than its track usually needs "
            "min-width: 0, or minmax(0, 1fr) as its column):\n" + "\n".join(too_wide),
            pytrace=False,
        )


def test_aria_references_name_elements_that_exist(page: Page, tracker) -> None:
    """aria-describedby & co. point at ids present in the page, so help text and errors are read.

    axe-core only lists a missing id as "needs review", so it is checked here directly, on every
    page and on a list whose filters are all wrong (where the errors should be described)."""
    dangling = []
    for name in PAGES:
        open_page(page, name, tracker)
        dangling += [f"  {name}: {ref}" for ref in page.evaluate(DANGLING_ARIA_REFERENCES)]
    response = page.goto("/rulings/?court=zzz&kind=zzz&decided_after=yesterday")
    assert response is not None and response.status == 400
    dangling += [f"  invalid filters: {ref}" for ref in page.evaluate(DANGLING_ARIA_REFERENCES)]
    if dangling:
        pytest.fail(
            "ARIA attributes naming ids that are not in the page:\n" + "\n".join(dangling),
            pytrace=False,
        )
