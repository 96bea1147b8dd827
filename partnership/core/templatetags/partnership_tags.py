"""The generic tags of every page: permissions and transitions asked of the rule module, and
the query string of a list's links."""

from django import template
from django.utils import timezone

from partnership.core.admin import back_office_only
from partnership.core.crud import permission_name

register = template.Library()


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
def back_office_allowed(context):
    """{% back_office_allowed as back_office %}: the back office's own check (core.admin)."""
    request = context.get("request")
    return request is not None and back_office_only(request)


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
