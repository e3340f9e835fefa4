"""The public filter forms' widgets and labels, rendered in Python.

Django renders each widget, and each <option> of a <select>, through its template engine: for the
rulings' filter form (a court <select> of every federal court, the policies, the checkboxes)
that was most of the time a list page took to build on a first view. `FilterFormRenderer`
produces the same markup as Django's own templates, byte for byte (a test renders every public
filter form both ways), for the templates it knows, and hands any other to Django.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from django.forms.renderers import DjangoTemplates


def conditional_escape(value: Any) -> str:
    """django.utils.html.conditional_escape, without its lazy-string wrapper (the same text:
    Django escapes with `html.escape` too); called for every <option> and table cell."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` under autoescaping."""
    return conditional_escape(value if isinstance(value, str) else f"{value}")


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html and django/forms/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(parts)


# Each function returns what its template does, to the byte: Django's widget templates end in a
# newline, and a template that includes another adds its own.


def _input(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/input.html."""
    value = widget["value"]
    shown = f' value="{_text(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>\n'
    )


def _input_wrapper(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/text.html, date.html, checkbox.html...: input.html included."""
    return _input(widget) + "\n"


def _option(option: Mapping[str, Any]) -> str:
    """django/forms/widgets/select_option.html."""
    value, label, attrs = option["value"], option["label"], option["attrs"]
    if type(value) is str and type(label) is str and len(attrs) <= 1:
        selected = attrs.get("selected", False)
        if len(attrs) == 0 or selected is True:
            return _plain_option(value, label, selected)
    return f'<option value="{_text(value)}"{_attrs(attrs)}>{conditional_escape(label)}</option>\n'


@functools.lru_cache(maxsize=4096)
def _plain_option(value: str, label: str, selected: bool) -> str:
    """An <option> with no attribute but `selected`: the same few hundred (courts, policies) on
    every page, so each is escaped and formatted once per process."""
    shown = " selected" if selected else ""
    return f'<option value="{escape(value)}"{shown}>{escape(label)}</option>\n'


def _input_option(option: Mapping[str, Any]) -> str:
    """django/forms/widgets/input_option.html (one checkbox or radio button and its label)."""
    if not option["wrap_label"]:
        return _input(option) + "\n"
    option_id = option["attrs"].get("id")
    label_for = f' for="{conditional_escape(option_id)}"' if option_id else ""
    label = conditional_escape(option["label"])
    return f"<label{label_for}>{_input(option)} {label}</label>\n"


def _checkbox_option(option: Mapping[str, Any]) -> str:
    """django/forms/widgets/checkbox_option.html and radio_option.html: input_option.html."""
    return _input_option(option) + "\n"


_OPTION_RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "django/forms/widgets/select_option.html": _option,
    "django/forms/widgets/input_option.html": _input_option,
    "django/forms/widgets/checkbox_option.html": _checkbox_option,
    "django/forms/widgets/radio_option.html": _checkbox_option,
}


def _render_option(option: Mapping[str, Any]) -> str | None:
    render = _OPTION_RENDERERS.get(option["template_name"])
    return render(option) if render else None


def _groups(widget: Mapping[str, Any], group_start: str, option: str, group_end: str) -> str | None:
    """The loop over a choice widget's groups and options that select.html and
    multiple_input.html share, each with its own markup (`group_start` takes the group's name,
    `option` an option's own HTML); None if an option has a template of its own."""
    parts = []
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(group_start.format(conditional_escape(group_name)))
        for each in options:
            html = _render_option(each)
            if html is None:
                return None
            parts.append(option.format(html))
        if group_name:
            parts.append(group_end)
    return "".join(parts)


def _select(widget: Mapping[str, Any]) -> str | None:
    """django/forms/widgets/select.html."""
    body = _groups(widget, '\n  <optgroup label="{}">', "\n  {}", "\n  </optgroup>")
    if body is None:
        return None
    name = conditional_escape(widget["name"])
    return f'<select name="{name}"{_attrs(widget["attrs"])}>{body}\n</select>\n'


def _multiple_input(widget: Mapping[str, Any]) -> str | None:
    """django/forms/widgets/multiple_input.html (checkboxes, radio buttons)."""
    body = _groups(widget, "\n  <div><label>{}</label>", "<div>\n    {}</div>", "\n  </div>")
    if body is None:
        return None
    widget_id = widget["attrs"].get("id")
    widget_class = widget["attrs"].get("class")
    shown_id = f' id="{conditional_escape(widget_id)}"' if widget_id else ""
    shown_class = f' class="{conditional_escape(widget_class)}"' if widget_class else ""
    return f"<div{shown_id}{shown_class}>{body}\n</div>\n"


def _multiple_input_wrapper(widget: Mapping[str, Any]) -> str | None:
    """django/forms/widgets/checkbox_select.html and radio.html: multiple_input.html."""
    html = _multiple_input(widget)
    return None if html is None else html + "\n"


_INPUT_WRAPPERS = {
    f"django/forms/widgets/{name}.html"
    for name in ("text", "date", "checkbox", "search", "number", "email", "url")
}
_WIDGET_RENDERERS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "django/forms/widgets/input.html": _input,
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/multiple_input.html": _multiple_input,
    "django/forms/widgets/checkbox_select.html": _multiple_input_wrapper,
    "django/forms/widgets/radio.html": _multiple_input_wrapper,
} | dict.fromkeys(_INPUT_WRAPPERS, _input_wrapper)


def _label(context: Mapping[str, Any]) -> str:
    """django/forms/label.html."""
    if not context["use_tag"]:
        return conditional_escape(context["label"]) + "\n"
    tag = conditional_escape(context["tag"])
    attrs = _attrs(context["attrs"] or {})
    return f"<{tag}{attrs}>{conditional_escape(context['label'])}</{tag}>\n"


class FilterFormRenderer(DjangoTemplates):
    """Django's default form renderer, with the widgets of the public filter forms and their
    labels rendered in Python (same markup, a fraction of the time). Keeping rendered widgets in
    the cache as well bought nothing measurable on top of this (bench/layers.py), so they are
    rendered every time."""

    def render(self, template_name: str, context: dict, request=None) -> str:
        html = None
        if template_name == "django/forms/label.html":
            html = _label(context)
        elif template_name in _WIDGET_RENDERERS and "widget" in context:
            html = _WIDGET_RENDERERS[template_name](context["widget"])
        if html is None:
            return super().render(template_name, context, request)
        return html.strip()  # as Django's renderers strip a template's output
