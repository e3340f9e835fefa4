"""Reporter citations ("888 F.3d 272", "275 F. Supp. 3d 1196") found with eyecite and linked to
CourtListener's citation lookup, https://www.courtlistener.com/c/<reporter>/<volume>/<page>/.

Only full case citations are linked; short forms ("id.", "888 F.3d at 280"), statutes and the
Federal Register are left as text. eyecite takes a moment to import and to build its patterns
on first use, so it is imported inside the function: pages that show no citation never pay for
it, and list pages must not call it per row (only the ruling detail page does).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

COURTLISTENER_CITATION_URL = "https://www.courtlistener.com/c/{reporter}/{volume}/{page}/"


def courtlistener_url(reporter: str, volume: str, page: str) -> str:
    """CourtListener's page for a citation, which redirects to the opinion it finds."""
    return COURTLISTENER_CITATION_URL.format(
        reporter=quote(reporter, safe="."), volume=quote(volume, safe=""), page=quote(page, safe="")
    )


@lru_cache(maxsize=256)
def _citation_links(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, url) of each full case citation in `text`, in order, not overlapping."""
    from eyecite import get_citations
    from eyecite.models import FullCaseCitation

    found = []
    end_of_last = 0
    for citation in get_citations(text):
        if not isinstance(citation, FullCaseCitation):
            continue
        groups = citation.groups
        volume, page = groups.get("volume"), groups.get("page")
        reporter = citation.corrected_reporter() or groups.get("reporter")
        if not (volume and page and reporter and page.isdigit()):
            continue  # "___ F.4th ___" and the like: nothing to look up
        start, end = citation.span()
        if start < end_of_last:
            continue
        found.append((start, end, courtlistener_url(reporter, volume, page)))
        end_of_last = end
    return tuple(found)


def linked_citations(text: str | None) -> SafeString:
    """`text` escaped as HTML, with each full case citation a link to CourtListener."""
    text = "" if text is None else str(text)
    if not text.strip():
        return escape(text)
    parts: list[str] = []
    position = 0
    for start, end, url in _citation_links(text):
        parts.append(escape(text[position:start]))
        parts.append(
            format_html(
                '<a class="citation" href="{}" rel="external noopener" '
                'title="Look up {} on CourtListener">{}</a>',
                url,
                text[start:end],
                text[start:end],
            )
        )
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # every part above is escaped
