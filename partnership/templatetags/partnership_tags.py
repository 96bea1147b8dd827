from django import template

from partnership import history
from partnership.crud import permission_name

register = template.Library()

HISTORY_LIMIT = 20


@register.inclusion_tag("includes/history.html", takes_context=True)
def history_for(context, obj, limit=HISTORY_LIMIT):
    """Who changed what and when, newest first, field by field with their French labels,
    related records by their names (partnership.history); a coordinator's "restore this
    version" links; the full history page with the record's rows."""
    from partnership.views.restore import add_restore_links, history_url

    entries, truncated = history.own_history(obj, limit)
    request = context.get("request")
    if request is not None:
        add_restore_links(obj, request.user, entries)
    return {"entries": entries, "truncated": truncated, "full_history_url": history_url(obj)}


@register.simple_tag(takes_context=True)
def allowed_transitions(context, obj):
    """The transitions that may start from this status, if the person may change the record."""
    user = context["request"].user
    if not user.has_perm(permission_name(type(obj), "change"), obj):
        return []
    return type(obj).lifecycle.available(obj)


@register.simple_tag(takes_context=True)
def can(context, action, obj=None, model=None):
    """{% can "change" object as can_change %}: the named permission from partnership.rules."""
    target_model = model or type(obj)
    return context["request"].user.has_perm(permission_name(target_model, action), obj)


@register.simple_tag(takes_context=True)
def querystring_with(context, **changes):
    """The current query string with some parameters replaced (sorting, paging)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
