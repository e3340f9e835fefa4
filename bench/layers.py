"""What each speed layer of the list pages buys: `python bench/layers.py` (DATABASE_URL set to
the bench's database), run by bench/run.sh as the `layers` part.

Each layer is switched off in turn, in process (the WSGI application called directly, as
gunicorn calls it, without sockets), and `/rulings/?court=ilnd` measured: first views (a new
address each request, as bench/first_views.lua asks) and repeat views; the hand-rendered
widgets also on first views of the lawsuits and policies lists, whose forms they render. The
variants take turns for a few rounds and each keeps its best round, so a busy machine disturbs
them alike. Prints `layer[<name>]: <ms> ms per view without it, <ms> with it (<ratio>x)`.
"""

from __future__ import annotations

import copy
import io
import os
import sys
import time
from contextlib import ExitStack, contextmanager

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

import django_filters  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.forms.renderers import DjangoTemplates  # noqa: E402
from django.template import engines  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.utils.safestring import mark_safe  # noqa: E402

from cases import caching, circuits, facets, filters, rendering, selectors, tables  # noqa: E402
from cases.templatetags import tracker  # noqa: E402

PATH = "/rulings/"
QUERY = "court=ilnd"
ROUNDS = int(os.environ.get("LAYER_ROUNDS", "3"))
REQUESTS = int(os.environ.get("LAYER_REQUESTS", "60"))
counter = 0


def call(query: str, path: str = PATH) -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    status = []
    body = application(environ, lambda s, h, e=None: status.append(s))
    b"".join(body)
    body.close()
    assert status[0].startswith("200"), status


def new_date(first_year: int) -> str:
    """A date no request of this run asked for before, from `first_year` on."""
    global counter
    counter += 1
    n = counter
    return f"{first_year + n // 336:04d}-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}"


def first_view_of(path: str, query: str, date_param: str, first_year: int = 1000):
    """First views of a list: `date_param` a new date each request (from `first_year` on)."""

    def view() -> None:
        date = f"{date_param}={new_date(first_year)}"
        call(f"{query}&{date}" if query else date, path)

    return view


first_view = first_view_of(PATH, QUERY, "decided_after")


def repeat_view() -> None:
    call(QUERY)


def next_page() -> None:
    """The second page of a first view: a new address whose filters were just counted (a kind
    chosen too: the monthly tallies do not answer it)."""
    query = f"{QUERY}&kind=preliminary_injunction&decided_after={new_date(2000)}"
    call(query)
    call(f"{query}&page=2")


@contextmanager
def patched(target, name, value):
    old = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, old)


ROW_TEMPLATE = engines["django"].from_string(
    """{% load tracker %}{% for ruling in rows %}
    <tr>
      <td><a href="{{ ruling.get_absolute_url }}"><time datetime="{{ ruling.decided_on|date:'Y-m-d' }}">{{ ruling.decided_on|as_known }}</time></a></td>
      <td><a href="{% url 'cases:court-detail' ruling.court_id %}">{{ ruling.court_label }}</a></td>
      <td>{% for c in ruling.case_links %}{% if not forloop.first %}; {% endif %}<a href="{{ c.url }}">{{ c.label }}</a>{% endfor %}</td>
      <td><a href="{{ ruling.get_absolute_url }}">{{ ruling.kind }}</a>{% if ruling.citation %}<br><small>{{ ruling.citation }}</small>{% endif %}</td>
      <td><span class="outcome outcome-{{ ruling.outcome }}">{{ ruling.outcome }}</span></td>
      <td>{{ ruling.scope }}</td>
      <td>{% for p in ruling.policy_links %}{% if not forloop.first %}<br>{% endif %}{{ p.note }}: <a href="{{ p.url }}">{{ p.label }}</a>{% endfor %}</td>
    </tr>{% endfor %}"""  # noqa: E501
)


def template_rows(rulings):
    return mark_safe(ROW_TEMPLATE.render({"rows": list(rulings)}))


def template_facet(facet):
    """A facet's choices through includes/facet.html, the markup `{% facet_markup %}` writes."""
    return mark_safe(render_to_string("includes/facet.html", {"facet": facet}))


def template_fields(form):
    """A form's fields through includes/filter_fields.html, the markup `{% filter_fields %}`
    writes."""
    return mark_safe(render_to_string("includes/filter_fields.html", {"form": form}))


def no_choice_cache(version, name, build):
    return build()


def no_tallies(filterset, specs, tallies):
    return None  # the facets counted by their query


def deep_copied_fields(fields, memo):
    return {name: copy.deepcopy(field, memo) for name, field in fields.items()}  # as Django does


def nothing_kept(version, key, build=None):
    return build() if build else None  # KeptForVersion.get, keeping nothing


# name -> (how a view is made, the patches that switch the layer off)
LAYERS = {
    "page cache (repeat view)": (repeat_view, [(settings, "PAGE_CACHE_SECONDS", 0)]),
    "choice caches (first view)": (
        first_view,
        [
            (module, "until_next_change", no_choice_cache)
            for module in (filters, circuits, selectors)
        ],
    ),
    "choices kept as objects, not unpickled (first view)": (
        first_view,
        [(caching.CHOICES, "get", nothing_kept)],
    ),
    "monthly tallies (first view)": (first_view, [(facets, "tallied", no_tallies)]),
    "rows kept (first view)": (first_view, [(tables.KEPT_ROWS, "get", nothing_kept)]),
    "facet counts cache (a first view and its next page)": (
        next_page,
        [(facets, "until_next_change", no_choice_cache)],
    ),
    "hand-rendered widgets (first view)": (
        first_view,
        [(rendering.FilterFormRenderer, "render", DjangoTemplates.render)],
    ),
    # The lists whose filter forms the widgets still render (the rulings' choices are facets).
    "hand-rendered widgets (/lawsuits/?court=ilnd, first view)": (
        first_view_of("/lawsuits/", "court=ilnd", "filed_after"),
        [(rendering.FilterFormRenderer, "render", DjangoTemplates.render)],
    ),
    "hand-rendered widgets (/policies/, first view: a new as_of)": (
        first_view_of("/policies/", "", "as_of", first_year=2017),
        [(rendering.FilterFormRenderer, "render", DjangoTemplates.render)],
    ),
    "Python-built rows (first view)": (first_view, [(tracker, "tag:ruling_rows", template_rows)]),
    "Python-built facets (first view)": (
        first_view,
        [(tracker, "tag:facet_markup", template_facet)],
    ),
    "Python-built form fields (first view)": (
        first_view,
        [(tracker, "tag:filter_fields", template_fields)],
    ),
    "form fields kept (first view)": (first_view, [(tracker.KEPT_FIELDS, "get", nothing_kept)]),
    "facet options escaped once (first view)": (
        first_view,
        [
            (tracker, "_option_parts", tracker._option_parts.__wrapped__),
            (tracker, "_checkbox_parts", tracker._checkbox_parts.__wrapped__),
        ],
    ),
    "navigation and addresses reversed once (first view)": (
        first_view,
        [
            (tracker, "_site_nav", tracker._site_nav.__wrapped__),
            (tracker, "_reversed", tracker._reversed.__wrapped__),
        ],
    ),
    "filters and form fields copied shallowly (first view)": (
        first_view,
        [
            (filters.TrackerFilterSet, "__init__", django_filters.FilterSet.__init__),
            (filters.ShallowlyCopiedFields, "__deepcopy__", deep_copied_fields),
        ],
    ),
}


def reset_templates() -> None:
    for engine in engines.all():
        for loader in engine.engine.template_loaders:
            if hasattr(loader, "reset"):
                loader.reset()


@contextmanager
def template_tag(name, function):
    """The tag `name` of cases/templatetags/tracker.py as `function` (templates parsed again):
    `{% ruling_rows %}` as a template loop over the rows, `{% facet_markup %}` and
    `{% filter_fields %}` as their templates."""
    with patched(tracker.register, "tags", dict(tracker.register.tags)):
        tracker.register.simple_tag(function, name=name)
        reset_templates()
        try:
            yield
        finally:
            reset_templates()


def measure(view, patches) -> float:
    with ExitStack() as stack:
        for target, name, value in patches:
            if name.startswith("tag:"):
                stack.enter_context(template_tag(name.removeprefix("tag:"), value))
            else:
                stack.enter_context(patched(target, name, value))
        cache.clear()
        for _ in range(5):
            view()
        start = time.perf_counter()
        for _ in range(REQUESTS):
            view()
        return (time.perf_counter() - start) / REQUESTS * 1000


def main() -> None:
    best: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for name, (view, patches) in LAYERS.items():
            with_layer = measure(view, [])
            without = measure(view, patches)
            runs = best.setdefault(name, [float("inf"), float("inf")])
            runs[0] = min(runs[0], with_layer)
            runs[1] = min(runs[1], without)
    for name, (with_layer, without) in best.items():
        print(
            f"layer[{name}]: {without:.2f} ms per view without it, {with_layer:.2f} with it "
            f"({without / with_layer:.2f}x)"
        )


if __name__ == "__main__":
    main()
