"""The writes of the conventions app: creation with its annex number, lifecycle, amendments."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from conventions.models import Amendment, Convention
from partnership.agreements.models import Agreement
from partnership.core.lifecycle import TransitionError, apply_transition, lock
from partnership.core.restore import restore_version
from partnership.discussion.events import notify
from partnership.discussion.models import Event

ATTEMPTS = 3


def _told(record, user):
    """The record's followers hear of its new status."""
    notify(Event.STATUS_CHANGED, record, user)
    return record


def _next_number(queryset, field):
    return (queryset.aggregate(last=Max(field))["last"] or 0) + 1


def convention_create(*, agreement: Agreement, user, **fields) -> Convention:
    """Create a convention annexed to the agreement under the next free annex number.

    The agreement row is locked while the number is chosen, so two conventions created at
    once get two numbers; the unique constraint stays the last guard (retried if it fires).
    """
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                Agreement.objects.select_for_update().only("pk").get(pk=agreement.pk)
                convention = Convention(
                    agreement=agreement,
                    annex_number=_next_number(agreement.conventions.all(), "annex_number"),
                    **fields,
                )
                convention.full_clean()
                convention._history_user = user
                convention.save()
                return convention
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def convention_negotiate(*, convention: Convention, user) -> Convention:
    convention = lock(convention)
    Convention.lifecycle.check_source(convention, "negotiate")
    return _told(apply_transition(convention, "negotiate", user=user), user)


@transaction.atomic
def convention_sign(*, convention: Convention, user, signed_on: datetime.date | None = None):
    convention = lock(convention)
    Convention.lifecycle.check_source(convention, "sign")
    signed_on = signed_on or convention.signed_on
    if convention.agreement.status != Agreement.Status.SIGNED:
        raise TransitionError(
            _("A convention cannot be signed before its framework agreement is signed.")
        )
    if convention.parties.count() < 2:
        raise TransitionError(
            _("A convention is signed by at least two parties: add the parties first.")
        )
    if signed_on is None:
        raise TransitionError(_("Give the date of signature before signing the convention."))
    if signed_on > timezone.localdate():
        raise TransitionError(_("The date of signature cannot be in the future."))
    if convention.agreement.signed_on and signed_on < convention.agreement.signed_on:
        raise TransitionError(
            _("A convention cannot be signed before the date its framework agreement was signed.")
        )
    convention.signed_on = signed_on
    return _told(apply_transition(convention, "sign", user=user, update_fields=["signed_on"]), user)


@transaction.atomic
def convention_enter_into_force(*, convention: Convention, user) -> Convention:
    convention = lock(convention)
    Convention.lifecycle.check_source(convention, "enter_into_force")
    if convention.starts_on and convention.starts_on > timezone.localdate():
        raise TransitionError(_("The convention enters into force on its start date, not before."))
    return _told(apply_transition(convention, "enter_into_force", user=user), user)


@transaction.atomic
def convention_end(*, convention: Convention, user) -> Convention:
    convention = lock(convention)
    Convention.lifecycle.check_source(convention, "end")
    if convention.ends_on is None or convention.ends_on >= timezone.localdate():
        raise TransitionError(_("The convention has not reached its end date yet."))
    return _told(apply_transition(convention, "end", user=user), user)


@transaction.atomic
def convention_terminate(
    *, convention: Convention, user, reason: str, terminated_on: datetime.date | None = None
) -> Convention:
    convention = lock(convention)
    Convention.lifecycle.check_source(convention, "terminate")
    if not reason.strip():
        raise TransitionError(_("Give the reason for the termination."))
    convention.terminated_on = terminated_on or timezone.localdate()
    convention.termination_reason = reason.strip()
    return _told(
        apply_transition(
            convention,
            "terminate",
            user=user,
            update_fields=["terminated_on", "termination_reason"],
        ),
        user,
    )


def amendment_create(
    *, convention: Convention, user, signed_on: datetime.date, summary: str
) -> Amendment:
    """Add an amendment (avenant) under the next number of a signed convention."""
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                locked = lock(convention)
                if locked.status not in Convention.RUNNING:
                    raise TransitionError(
                        _(
                            "Only a signed or in-force convention can be amended "
                            "(it is “%(status)s”)."
                        )
                        % {"status": locked.get_status_display()}
                    )
                amendment = Amendment(
                    convention=locked,
                    number=_next_number(locked.amendments.all(), "number"),
                    signed_on=signed_on,
                    summary=summary,
                )
                amendment.full_clean()
                amendment._history_user = user
                amendment.save()
                return amendment
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# Restoring an earlier version ------------------------------------------------------------

CONVENTION_RESTORED_FIELDS = (
    "theme",
    "title",
    "purpose",
    "starts_on",
    "ends_on",
    "financial_terms",
    "intellectual_property",
    "confidentiality",
    "follow_up_arrangements",
)


@transaction.atomic
def convention_restore(*, convention: Convention, user, history_id: int, version: int):
    """Bring back the text of an earlier version of a convention: its theme, title, purpose,
    dates and conditions (its status, number and parties stay as they are)."""
    return restore_version(
        instance=convention,
        history_id=history_id,
        version=version,
        fields=CONVENTION_RESTORED_FIELDS,
        user=user,
    )
