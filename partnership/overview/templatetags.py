"""``{% load history %}{% history_for record %}``: a record's history on its page."""

from django import template

from partnership.core import history
from partnership.overview.restore import add_restore_links, history_url

register = template.Library()

HISTORY_LIMIT = 20


@register.inclusion_tag("includes/history.html", takes_context=True)
def history_for(context, obj, limit=HISTORY_LIMIT):
    """Who changed what and when, newest first, field by field with their French labels,
    related records by their names (partnership.core.history); a coordinator's "restore this
    version" links; the full history page with the record's rows."""
    entries, truncated = history.own_history(obj, limit)
    request = context.get("request")
    if request is not None:
        add_restore_links(obj, request.user, entries)
    return {"entries": entries, "truncated": truncated, "full_history_url": history_url(obj)}
