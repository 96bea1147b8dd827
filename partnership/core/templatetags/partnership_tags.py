"""The generic tags of every page: permissions and transitions asked of the rule module, and
the query string of a list's links."""

from django import template

from partnership.core.admin import back_office_only
from partnership.core.crud import permission_name

register = template.Library()


@register.simple_tag(takes_context=True)
def allowed_transitions(context, obj, action="change"):
    """The transitions that may start from this status, if the person may change the record
    (``action``: the permission's action, when the status needs more than "change")."""
    user = context["request"].user
    if not user.has_perm(permission_name(type(obj), action or "change"), obj):
        return []
    return type(obj).lifecycle.available(obj)


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
