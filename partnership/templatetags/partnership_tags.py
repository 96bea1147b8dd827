from django import template
from django.db import models
from django.utils.translation import gettext as _

from partnership.crud import permission_name

register = template.Library()

HISTORY_LIMIT = 20


def _display(record, field, value):
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    return str(value)


@register.inclusion_tag("includes/history.html")
def history_for(obj, limit=HISTORY_LIMIT):
    """Who changed what and when, newest first, field by field with their French labels."""
    history = obj.history.select_related("history_user").order_by("-history_date")
    records = list(history[: limit + 1])
    m2m_fields = list(getattr(obj.history.model, "_history_m2m_fields", []))
    m2m_values = _m2m_values(records, m2m_fields)
    entries = []
    for record, previous in zip(records, [*records[1:], None], strict=False):
        changes = []
        if previous is not None and record.history_type == "~":
            # Many-to-many fields are compared from one query per field (m2m_values): the
            # library's own diff would ask two queries per entry.
            delta = record.diff_against(
                previous,
                foreign_keys_are_objs=False,
                excluded_fields=[field.name for field in m2m_fields],
            )
            for field in m2m_fields:
                values = m2m_values[field.name]
                if values.get(record.pk, set()) != values.get(previous.pk, set()):
                    changes.append({"label": field.verbose_name, "old": None, "new": None})
            for change in delta.changes:
                field = obj._meta.get_field(change.field)
                if isinstance(field, models.ForeignKey | models.ManyToManyField):
                    changes.append({"label": field.verbose_name, "old": None, "new": None})
                else:
                    changes.append(
                        {
                            "label": field.verbose_name,
                            "old": _display(record, field, change.old),
                            "new": _display(record, field, change.new),
                        }
                    )
        entries.append({"record": record, "changes": changes})
    return {"entries": entries[:limit], "truncated": len(records) > limit}


def _m2m_values(records, m2m_fields):
    """For each many-to-many field, the related ids of each historical record, in one query."""
    values = {}
    for field in m2m_fields:
        values[field.name] = {}
        if not records:
            continue
        through = getattr(records[0], field.name).model  # the historical through model
        rows = through._default_manager.filter(
            history__in=[record.pk for record in records]
        ).values_list("history_id", field.m2m_reverse_field_name())
        for history_id, related_id in rows:
            values[field.name].setdefault(history_id, set()).add(related_id)
    return values


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
