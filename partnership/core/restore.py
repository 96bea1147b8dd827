"""Bringing back an earlier version of a record, or a deleted record, from its history.

Both functions are keyword-only, check the current state first and leave their trace in the
record's history with its author. ``restore_version`` runs in its caller's transaction (the
subjects' ``*_restore`` services, atomic) on a locked copy of the record, so that two people
acting at once give one restore, not two; ``record_restore_deleted`` is atomic itself.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from partnership.core import history, reasons
from partnership.core.lifecycle import TransitionError, lock


def _restore_reason(record) -> str:
    return reasons.reason("restored_version", date=record.history_date.isoformat())


def restore_version(*, instance, history_id: int, version: int, fields, user, adjust=None):
    """Bring back some fields of an earlier version of a record, as its newest version.

    The person saw the record at ``version`` when they asked: a change made since then
    refuses the restore, as it refuses an edit form. The restore is recorded in the
    history, with its author and the date of the version brought back. To be called in a
    transaction (the record is locked until it ends).
    """
    locked = lock(instance)
    if locked.version != version:
        raise TransitionError(
            _(
                "Someone else changed this record since you opened the page: nothing was "
                "restored. Look at the differences again."
            ),
            code="stale",
        )
    record = (
        history.history_manager(type(locked))
        .filter(id=locked.pk, history_id=history_id)
        .exclude(history_type="-")
        .first()
    )
    if record is None:
        raise TransitionError(_("This version of the record does not exist."))
    values = history.version_values(record, fields)
    missing = history.missing_related(type(locked), values)
    if missing:
        raise TransitionError(
            _(
                "This version points to records deleted since (%(fields)s): it cannot be "
                "restored as it was."
            )
            % {"fields": ", ".join(missing)}
        )
    related_sets = {}
    for name, value in values.items():
        field = locked._meta.get_field(name)
        if field.many_to_many:
            related_sets[name] = value
        else:
            setattr(locked, field.attname, value)
    if adjust is not None:
        adjust(locked)
    try:
        locked.full_clean()
    except ValidationError as error:
        raise TransitionError(error.messages) from error
    locked._history_user = user
    locked._change_reason = _restore_reason(record)
    # The many-to-many rows change first, silently: the save below records everything once.
    locked.skip_history_when_saving = True
    for name, ids in related_sets.items():
        getattr(locked, name).set(ids)
    del locked.skip_history_when_saving
    locked.save()
    del locked._change_reason
    return locked


def _restore_plan(record, tree, plan):
    """The records to bring back, each before the rows deleted with it (those that do not
    exist again)."""
    model = record.instance_type
    if not model._base_manager.filter(pk=record.id).exists():
        plan.append(record)
    for child, grandchildren in tree:
        _restore_plan(child, grandchildren, plan)
    return plan


@transaction.atomic
def record_restore_deleted(*, record, user):
    """Bring back a deleted record, with the rows deleted with it, from its history.

    ``record`` is the historical record of the deletion. The records it points to must
    exist (or come back with it); a unique value taken since (a reference, an annex number,
    a year) refuses the restore. Each record comes back with its last values, recorded in
    its history as restored by the person.
    """
    model = record.instance_type
    if record.history_type != "-":
        raise TransitionError(_("This record was not deleted."))
    later = (
        history.history_manager(model)
        .filter(id=record.id, history_id__gt=record.history_id)
        .exists()
    )
    if later or model._base_manager.filter(pk=record.id).exists():
        raise TransitionError(_("This record exists again: it was restored already."))
    plan = _restore_plan(record, history.deleted_with(record), [])
    coming_back = {(rec.instance_type, rec.id) for rec in plan}
    missing = []
    for rec in plan:
        rec_model = rec.instance_type
        for field in rec_model._meta.concrete_fields:
            value = getattr(rec, field.attname)
            if not field.many_to_one or value is None:
                continue
            if (field.related_model, value) in coming_back:
                continue
            if not field.related_model._base_manager.filter(pk=value).exists():
                missing.append(f"{capfirst(rec_model._meta.verbose_name)} : {field.verbose_name}")
    if missing:
        raise TransitionError(
            _(
                "It cannot be restored: records it points to were deleted (%(fields)s). "
                "Restore them first."
            )
            % {"fields": ", ".join(sorted(set(missing)))}
        )
    restored = []
    try:
        with transaction.atomic():
            for rec in plan:
                instance = rec.instance
                instance.version = rec.version + 1
                instance._history_user = user
                instance._change_reason = reasons.reason("restored")
                instance.save(force_insert=True)
                before = (
                    history.history_manager(rec.instance_type)
                    .filter(id=rec.id, history_id__lt=rec.history_id)
                    .order_by("-history_id")
                    .first()
                )
                for field in history.m2m_fields(rec.instance_type):
                    if before is not None:
                        ids = history.version_values(before, [field.name])[field.name]
                        getattr(instance, field.name).set(ids)
                restored.append(instance)
    except IntegrityError as error:
        raise TransitionError(
            _(
                "It cannot be restored: another record now has the same unique values (a "
                "reference, a number or a year)."
            )
        ) from error
    return restored[0] if restored else None
