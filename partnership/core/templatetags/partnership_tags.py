"""The generic tags of every page: permissions and transitions asked of the rule module, the
query string of a list's links, and numbers written the same way on every page."""

import datetime
import functools

from django import template
from django.template.defaultfilters import floatformat
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, pgettext

from partnership.core import reasons
from partnership.core.admin import back_office_only
from partnership.core.crud import permission_name
from partnership.core.dates import long_day

register = template.Library()


@register.simple_tag(takes_context=True)
def offered_transitions(context, obj, action="change"):
    """The transitions from this status, each with why it must wait (None: possible now), if
    the person may change the record (``action``: the permission's action, when the status
    needs more than "change")."""
    user = context["request"].user
    if not user.has_perm(permission_name(type(obj), action or "change"), obj):
        return []
    return type(obj).lifecycle.offered(obj)


@register.simple_tag(takes_context=True)
def can(context, action, obj=None, model=None):
    """{% can "change" object as can_change %}: the named permission from partnership.rules."""
    target_model = model or type(obj)
    return context["request"].user.has_perm(permission_name(target_model, action), obj)


@register.simple_tag(takes_context=True)
def back_office_allowed(context):
    """{% back_office_allowed as back_office %}: the back office's own check (core.admin)."""
    request = context.get("request")
    return request is not None and back_office_only(request)


# The badge and the progress bar of a record, drawn in Python: on a list, as included
# templates, they were a tenth of the page's cost. The same HTML as the templates they replace.
@register.simple_tag
def status_badge(record):
    """A record's status as a coloured badge."""
    return _status_badge(type(record), record.status, get_language())


@functools.cache
def _status_badge(model, status, language):
    # The same few badges on every page: drawn once per kind of record, status and language
    # (a status's label is looked up and translated at each call otherwise: 14 µs, 71 times
    # on an agreement's page).
    label = capfirst(reasons.status_label(model, status))
    return format_html('<span class="badge status-badge status-{}">{}</span>\n', status, label)


@register.simple_tag
def overdue_badge():
    """The warning that a task or a deliverable is past its due date."""
    return format_html(
        '<span class="badge overdue-badge"><i class="bi bi-exclamation-triangle"'
        ' aria-hidden="true"></i> {}</span>',
        gettext("Overdue"),
    )


@register.simple_tag
def action_progress(action):
    """The progress of one action: a <progress> element named for screen readers, and the
    figure."""
    label = gettext("Progress of “%(title)s”") % {"title": conditional_escape(action.title)}
    figure = conditional_escape(percent(action.progress))
    return mark_safe(
        f'\n<progress class="action-progress" value="{conditional_escape(action.progress)}"'
        f' max="100" aria-label="{label}">{figure}</progress>\n'
        f'<span class="small">{figure}</span>\n'
    )


@register.filter
def amount(value):
    """A sum of money as people write it: two decimals, thousands grouped (“15 000,00”)."""
    return floatformat(value, "2g") if value not in (None, "") else ""


@register.filter
def days(value):
    """A number of person-days: grouped, decimals only when there are some (“12”, “1 212,5”)."""
    return floatformat(value, "-1g") if value not in (None, "") else ""


@register.filter
def percent(value):
    """A percentage in the reader's language: “40 %” in French (a non-breaking space before
    the sign), “40%” in English."""
    if value in (None, ""):
        return ""
    number = formats.number_format(value, use_l10n=True)
    return pgettext("percentage", "%(number)s%%") % {"number": number}


@register.filter
def html_datetime(value):
    """A moment for ``<time datetime>``: ISO 8601, to the second, in the time zone that the
    ``date`` filter would use.

    The ``c`` date format keeps microseconds, which the HTML standard refuses (three digits
    of a second at most).
    """
    if not value:
        return ""
    return timezone.template_localtime(value).replace(microsecond=0).isoformat()


@register.filter
def long_date(value, arg=""):
    """A day as written in a sentence: “1er septembre 2026” in French, nothing when there is
    none; ``long_date:"weekday"``: “mardi 1er septembre 2026”."""
    if isinstance(value, datetime.datetime):
        value = timezone.template_localtime(value).date()
    return long_day(value, weekday=arg == "weekday") if value else ""


@register.filter
def change_reason(stored, about=None):
    """Why a change was made, worded in the reader's language (``about``: the record, its
    historical record or its model's label, for the labels of its statuses)."""
    return reasons.word(stored, about)
