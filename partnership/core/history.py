"""Reading the change history that django-simple-history records for every model.

What changed between two historical records, field by field with the fields' (French)
labels; related records by their names, fetched with the history itself (the historical
foreign keys are joined in the same query, the many-to-many rows in one query per field),
so that a page shows any number of entries in a constant number of queries.

A record's rows (its parties, commitments, agenda items...: the records deleted with it)
have their own history; ``row_relations`` names them and ``record_history`` merges their
entries with the record's own.
"""

import datetime
import inspect
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from partnership.core import reasons
from partnership.core.fields import VersionField

EMPTY = "—"


def has_history(model) -> bool:
    return hasattr(model._meta, "simple_history_manager_attribute")


def history_manager(model):
    return getattr(model, model._meta.simple_history_manager_attribute)


def historical_model(model):
    """The model of a model's history rows, read from its class: ``history_manager`` makes a
    new manager class at each call (simple-history's descriptor), about 0.1 ms each."""
    return inspect.getattr_static(model, model._meta.simple_history_manager_attribute).model


def tracked_fields(model) -> list:
    """The fields whose changes are shown: not the key, the version or the timestamps."""
    fields = []
    for field in model._meta.concrete_fields:
        if field.primary_key or isinstance(field, VersionField):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        fields.append(field)
    return fields


def m2m_fields(model) -> list:
    """The many-to-many fields the history records (``HistoricalRecords(m2m_fields=...)``)."""
    historical = historical_model(model)
    return list(getattr(historical, "_history_m2m_fields", []))


def foreign_keys(model) -> list[str]:
    return [field.name for field in tracked_fields(model) if field.many_to_one]


def history_queryset(model):
    """The historical records of a model with their authors and related records joined."""
    return historical_model(model)._default_manager.select_related(
        "history_user", *foreign_keys(model)
    )


def related_object(record, field):
    """The related record a historical foreign key points to (None if gone or empty)."""
    if getattr(record, field.attname) is None:
        return None
    try:
        return getattr(record, field.name)
    except ObjectDoesNotExist:
        return None


def instance_of(record):
    """The record as it was, with the related records joined to the historical query kept
    (so that its name needs no further query)."""
    instance = record.instance
    for name in foreign_keys(instance._meta.model):
        field = instance._meta.get_field(name)
        related = related_object(record, field)
        if related is not None:
            field.set_cached_value(instance, related)
    return instance


def m2m_values(records, fields) -> dict:
    """For each many-to-many field, {history_id: {related id: related record}}, one query
    per field for all the records."""
    values = {field.name: {} for field in fields}
    if not records:
        return values
    for field in fields:
        through = getattr(records[0], field.name).model  # the historical through model
        target = field.m2m_reverse_field_name()
        rows = through._default_manager.filter(
            history__in=[record.pk for record in records]
        ).select_related(target)
        for row in rows:
            related_id = getattr(row, f"{target}_id")
            try:
                related = getattr(row, target)
            except ObjectDoesNotExist:
                related = None
            values[field.name].setdefault(row.history_id, {})[related_id] = related
    return values


def _related_name(related, related_id):
    if related is None:
        return _("deleted record no. %(id)s") % {"id": related_id}
    if related._meta.model_name == "user":
        return related.get_full_name() or related.get_username()
    return str(related)


def author_name(record) -> str:
    """Who made a historical record: their name, or "the system" for a command."""
    user = record.history_user if record is not None else None
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


def display(field, value) -> str:
    """A field's value as a person reads it (choices by label, dates in French...)."""
    if value is None or value == "":
        return EMPTY
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal | float):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if isinstance(value, models.Model):
        return _related_name(value, value.pk)
    return str(value)


def display_related_set(related: dict) -> str:
    names = sorted(_related_name(obj, pk) for pk, obj in related.items())
    return ", ".join(names) if names else EMPTY


def record_value(record, field):
    """The value shown for a field of a historical record (a name for a foreign key)."""
    if field.many_to_one:
        related = related_object(record, field)
        related_id = getattr(record, field.attname)
        return EMPTY if related_id is None else _related_name(related, related_id)
    return display(field, getattr(record, field.attname))


def changes_between(record, previous, m2m=None) -> list[dict]:
    """What changed from ``previous`` to ``record`` (two historical records of one row).

    Not simple-history's ``diff_against``: it compares only the fields a form may edit, so a
    status moved by a transition (``editable=False``) would not show, and it reads the
    many-to-many rows again for every pair of records (two queries a field and a pair).
    """
    model = record.instance_type
    changes = []
    for field in tracked_fields(model):
        old, new = getattr(previous, field.attname), getattr(record, field.attname)
        if old != new:
            changes.append(
                {
                    "name": field.name,
                    "label": field.verbose_name,
                    "old": record_value(previous, field),
                    "new": record_value(record, field),
                }
            )
    for field in m2m_fields(model):
        values = (m2m or {}).get(field.name, {})
        old, new = values.get(previous.pk, {}), values.get(record.pk, {})
        if set(old) != set(new):
            changes.append(
                {
                    "name": field.name,
                    "label": field.verbose_name,
                    "old": display_related_set(old),
                    "new": display_related_set(new),
                }
            )
    return changes


def entries_of(records, m2m=None) -> list[dict]:
    """History entries, newest first, from the records of ONE row ordered newest first."""
    entries = []
    for record, previous in zip(records, [*records[1:], None], strict=False):
        changes = []
        if previous is not None and record.history_type == "~":
            changes = changes_between(record, previous, m2m)
        entries.append({"record": record, "changes": changes})
    return entries


def own_history(obj, limit=None):
    """The entries of one record, newest first (``limit`` of them, and whether there are
    more). Two queries, whatever the number of entries: the records with their authors and
    related records, and the many-to-many rows (one per such field)."""
    model = type(obj)
    records = history_queryset(model).filter(**{model._meta.pk.attname: obj.pk})
    records = list(records.order_by("-history_date", "-history_id")[: limit + 1 if limit else None])
    # The oldest record shown is compared with the one before it, which is fetched too.
    entries = entries_of(records, m2m_values(records, m2m_fields(model)))
    truncated = limit is not None and len(records) > limit
    return entries[:limit] if limit else entries, truncated


# A record's rows -----------------------------------------------------------------------


def row_relations(model) -> list:
    """The rows of a record that have a history: the records deleted with it (CASCADE).

    Returns the foreign keys from the rows' models to ``model``.
    """
    relations = []
    for relation in model._meta.related_objects:
        if not relation.one_to_many or relation.on_delete is not models.CASCADE:
            continue
        if not has_history(relation.related_model):
            continue
        relations.append(relation.field)
    return relations


def row_label(record) -> str:
    instance = instance_of(record)
    return _("%(kind)s “%(record)s”") % {
        "kind": capfirst(instance._meta.verbose_name),
        "record": instance,
    }


def record_history(obj, limit=500) -> list[dict]:
    """The entries of a record and of its rows, newest first, each with what changed.

    One query for the record's own history, one for each model of rows, one for each
    many-to-many field: a constant number, whatever the number of rows and changes.
    """
    entries = [dict(entry, row=None) for entry in own_history(obj)[0]]
    for fk in row_relations(type(obj)):
        model = fk.model
        # The newest records of these rows: enough for the newest ``limit`` entries and,
        # mostly, the records they are compared with.
        records = list(
            history_queryset(model)
            .filter(**{fk.attname: obj.pk})
            .order_by("-history_date", "-history_id")[: limit * 2]
        )
        m2m = m2m_values(records, m2m_fields(model))
        by_row = {}
        for record in records:
            by_row.setdefault(getattr(record, model._meta.pk.attname), []).append(record)
        for row_records in by_row.values():
            for entry in entries_of(row_records, m2m):
                entries.append(dict(entry, row=row_label(entry["record"])))
    entries.sort(key=lambda entry: entry["record"].history_date, reverse=True)
    return entries[:limit]


def history_since(model, pk, version):
    """The base record (the latest one at ``version`` or before) and the entries of the
    changes made after it, oldest first, each compared with the one before."""
    queryset = history_queryset(model).filter(**{model._meta.pk.attname: pk})
    base = None
    if version is not None:
        base = queryset.filter(version__lte=version).order_by("-history_id").first()
    newer = queryset.order_by("history_id")
    if base is not None:
        newer = newer.filter(history_id__gt=base.history_id)
    records = list(newer)
    chain = [base, *records] if base is not None else records
    m2m = m2m_values([record for record in chain if record is not None], m2m_fields(model))
    entries = []
    for previous, record in zip([None, *chain], chain, strict=False):
        if record is base:
            continue
        changes = []
        if previous is not None and record.history_type == "~":
            changes = changes_between(record, previous, m2m)
        entries.append({"record": record, "changes": changes})
    return base, entries, m2m


def base_m2m(base, field, m2m) -> set:
    """The related ids a many-to-many field had in a historical record."""
    return set(m2m.get(field.name, {}).get(base.pk, {}))


def model_field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


# Restoring ---------------------------------------------------------------------------------


def version_values(record, fields) -> dict:
    """The values of some fields in a historical record: a foreign key by its id, a
    many-to-many field by the set of related ids."""
    model = record.instance_type
    values = {}
    for name in fields:
        field = model._meta.get_field(name)
        if field.many_to_many:
            through = getattr(record, name)
            values[name] = frozenset(through.values_list(field.m2m_reverse_field_name(), flat=True))
        else:
            values[name] = getattr(record, field.attname)
    return values


def current_values(instance, fields) -> dict:
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values[name] = frozenset(getattr(instance, name).values_list("pk", flat=True))
        else:
            values[name] = getattr(instance, field.attname)
    return values


def _shown_value(field, value, names):
    if field.many_to_many:
        return ", ".join(sorted(names.get((field.name, pk), str(pk)) for pk in value)) or EMPTY
    if field.many_to_one:
        return EMPTY if value is None else names.get((field.name, value), str(value))
    return display(field, value)


def restore_changes(instance, record, fields) -> list[dict]:
    """What restoring ``record`` would change in ``instance``: label, now, restored."""
    model = type(instance)
    now, then = current_values(instance, fields), version_values(record, fields)
    wanted = {}
    for name in fields:
        field = model._meta.get_field(name)
        if (field.many_to_one or field.many_to_many) and now[name] != then[name]:
            ids = set()
            for value in (now[name], then[name]):
                if field.many_to_many:
                    ids |= set(value)
                elif value is not None:
                    ids.add(value)
            wanted[name] = (field.related_model, ids)
    names = {}
    for name, (related_model, ids) in wanted.items():
        for obj in related_model._default_manager.filter(pk__in=ids):
            names[(name, obj.pk)] = _related_name(obj, obj.pk)
        for pk in ids:
            names.setdefault((name, pk), _related_name(None, pk))
    changes = []
    for name in fields:
        if now[name] == then[name]:
            continue
        field = model._meta.get_field(name)
        changes.append(
            {
                "name": name,
                "label": capfirst(field.verbose_name),
                "now": _shown_value(field, now[name], names),
                "restored": _shown_value(field, then[name], names),
            }
        )
    return changes


def missing_related(model, values) -> list[str]:
    """The labels of the fields whose related records no longer exist."""
    missing = []
    for name, value in values.items():
        field = model._meta.get_field(name)
        if not (field.many_to_one or field.many_to_many) or value in (None, frozenset()):
            continue
        ids = set(value) if field.many_to_many else {value}
        found = set(
            field.related_model._base_manager.filter(pk__in=ids).values_list("pk", flat=True)
        )
        if ids - found:
            missing.append(capfirst(field.verbose_name))
    return missing


# Deleting and bringing back -----------------------------------------------------------------


def delete_with_history(obj, user):
    """Delete a record and what goes with it, each deletion recorded with its author (the rows
    deleted with the record say so in their history)."""
    from django.db import router
    from django.db.models.deletion import Collector

    collector = Collector(using=router.db_for_write(type(obj)), origin=obj)
    collector.collect([obj])
    reason = reasons.reason("deleted_with", record=obj._meta.label_lower, name=str(obj))
    for model, instances in collector.data.items():
        for instance in instances:
            instance._history_user = user
            if not (model is type(obj) and instance.pk == obj.pk):
                instance._change_reason = reason
    obj._history_user = user
    return collector.delete()


# The deletion of a record and of its rows happen within one request: the rows' deletions
# are recorded just before the record's, by the same person.
CASCADE_WINDOW = datetime.timedelta(minutes=2)


def deleted_with(record) -> list:
    """The "-" records of the rows deleted with a deleted record (recursively), each with
    the rows deleted with it, as (record, children) pairs."""
    model = record.instance_type
    found = []
    for fk in row_relations(model):
        row_model = fk.model
        # Without the related records joined: filtering on the deleted parent's key would
        # turn the join into an inner one, and the parent is gone.
        candidates = (
            history_manager(row_model)
            .filter(
                **{fk.attname: record.id},
                history_type="-",
                history_user_id=record.history_user_id,
                history_date__lte=record.history_date,
                history_date__gte=record.history_date - CASCADE_WINDOW,
            )
            .order_by("history_id")
        )
        for candidate in candidates:
            found.append((candidate, deleted_with(candidate)))
    return found
