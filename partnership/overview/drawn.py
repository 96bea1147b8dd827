"""The rows of the dashboard's longest sections, drawn in Python (templates/home.html prints
them): each programme's bar, legend and average progress, what ends soon, the deliverables due
and the recent changes. The template language spent about half of the dashboard's template
time on their loops (24.5 → 11.5 ms on the benchmark data). The HTML is the template's,
character for character, escaped as the template would: ``tests/test_drawn_in_python.py``
holds the template each must match, in both languages and with hostile values.
"""

from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext

from partnership.core import reasons
from partnership.core.dates import long_day
from partnership.core.templatetags.partnership_tags import (
    html_datetime,
    overdue_badge,
    percent,
)


def programme_progress(programme):
    """A programme's bar of its actions by status, its legend and its average progress, as the
    template drew them."""
    rects = "".join(
        f'<rect class="bar-{escape(segment["status"])}" x="{escape(segment["x"])}" y="0"'
        f' width="{escape(segment["width"])}" height="4"></rect>'
        for segment in programme.segments
        if segment["count"]
    )
    legend = "".join(
        '\n            <li class="list-inline-item"><span class="legend-swatch'
        f' bar-{escape(segment["status"])}" aria-hidden="true"></span>'
        f" {escape(capfirst(segment['label']))} <strong>{formats.localize(segment['count'])}"
        "</strong></li>\n            "
        for segment in programme.segments
    )
    count = programme.action_count
    # As {% blocktranslate %} does: its variables escaped, not the translation itself.
    total = ngettext("%(counter)s action:", "%(counter)s actions:", count) % {
        "counter": escape(formats.localize(count))
    }
    pk, value = formats.localize(programme.pk), formats.localize(programme.progress_value)
    figure = escape(percent(programme.progress_value))
    by_status, average = escape(gettext("Actions by status")), escape(gettext("Average progress"))
    return mark_safe(  # noqa: S308 - every value is escaped
        '<svg class="status-bar mb-2" viewBox="0 0 100 4" preserveAspectRatio="none"'
        ' aria-hidden="true" focusable="false">\n'
        f"            {rects}\n"
        "          </svg>\n"
        '          <ul class="list-inline small mb-2" aria-label="'
        f'{by_status}">\n'
        f'            <li class="list-inline-item">{total}</li>\n'
        f"            {legend}\n"
        "          </ul>\n"
        '          <div class="d-flex align-items-center gap-2 small">\n'
        f'            <label for="progress-{pk}" class="text-nowrap mb-0">'
        f"{average}</label>\n"
        f'            <progress id="progress-{pk}" class="dashboard-progress flex-grow-1"'
        f' max="100" value="{value}">{figure}</progress>\n'
        f'            <span class="text-nowrap">{figure}</span>\n'
        "          </div>"
    )


def deliverable_due(deliverable, today):
    """A deliverable due: its action, agreement and due date, as the template drew them."""
    due_on = deliverable.due_on
    overdue = overdue_badge() if due_on < today else ""
    action = deliverable.action
    return mark_safe(  # noqa: S308 - every value is escaped
        "<span>\n"
        f'            <a href="{escape(deliverable.get_absolute_url())}"'
        f' class="text-wrap-anywhere">{escape(str(deliverable))}</a>\n'
        f'            <span class="d-block small text-body-secondary">{escape(str(action))} ·'
        f" {escape(action.programme.agreement.reference)}</span>\n"
        "          </span>\n"
        '          <span class="small text-nowrap">\n'
        f"            {overdue}\n"
        f'            <time datetime="{due_on.isoformat()}">'
        f"{escape(formats.date_format(due_on, 'SHORT_DATE_FORMAT'))}</time>\n"
        "          </span>"
    )


def ending_soon(row):
    """A record ending soon, its kind, agreement and dates, as the template drew them."""
    record = row["record"]
    where = escape(capfirst(row["kind"]))
    if getattr(record, "agreement_id", None):
        where += f" · {escape(record.agreement.reference)}"
    bold = ' class="fw-semibold"'
    notice = ""
    if row["notice_date"]:
        day = row["notice_date"]
        renewal = escape(gettext("tacit renewal otherwise"))
        renewal = f" ({renewal})" if record.tacit_renewal else ""
        before = escape(gettext("Notice before"))
        notice = (
            f"<li{bold if row['notice_soon'] else ''}>"
            f'{before} <time datetime="{day.isoformat()}">'
            f"{escape(long_day(day))}</time>{renewal}</li>"
        )
    ends_on, ends = row["ends_on"], escape(gettext("Ends on"))
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<a href="{escape(record.get_absolute_url())}" class="text-wrap-anywhere">'
        f"{escape(str(record))}</a>\n"
        f'          <span class="d-block small text-body-secondary">{where}</span>\n'
        '          <ul class="list-unstyled small mb-0">\n'
        f"            {notice}\n"
        f"            <li{bold if row['end_soon'] else ''}>"
        f'{ends} <time datetime="{ends_on.isoformat()}">'
        f"{escape(long_day(ends_on))}</time></li>\n"
        "          </ul>"
    )


def recent_change(change):
    """One recent change: what, on which record, why, by whom and when, as the template drew it."""
    record = change["record"]
    if change["type"] == "+":
        what = '<i class="bi bi-plus-circle text-success" aria-hidden="true"></i> '
        what += escape(gettext("Created"))
    else:
        what = '<i class="bi bi-pencil text-primary" aria-hidden="true"></i> '
        what += escape(gettext("Changed"))
    reason = ""
    if change["reason"]:
        reason = (
            '<span class="d-block fst-italic">'
            f"{escape(reasons.word(change['reason'], record))}</span>"
        )
    if change["author"]:
        # As {% blocktranslate %} does: its variables escaped, not the translation itself.
        by = gettext("by %(author)s") % {"author": escape(change["author"])}
    else:
        by = escape(gettext("by the system"))
    moment = change["date"]
    local = timezone.template_localtime(moment)
    return mark_safe(  # noqa: S308 - every value is escaped
        "<span>\n"
        f"            {what}\n"
        f'            · <span class="text-body-secondary">{escape(change["kind"])}</span>\n'
        f'            <a href="{escape(record.get_absolute_url())}" class="text-wrap-anywhere">'
        f"{escape(str(record))}</a>\n"
        f"            {reason}\n"
        "          </span>\n"
        '          <span class="text-body-secondary">\n'
        f"            {by},\n"
        f'            <time datetime="{escape(html_datetime(moment))}" class="text-nowrap">'
        f"{escape(formats.date_format(local, 'SHORT_DATETIME_FORMAT'))}</time>\n"
        "          </span>"
    )
