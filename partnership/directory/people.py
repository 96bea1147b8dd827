"""A person taking part in something: a staff member (an account) or a contact (none)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnership.directory.models import Contact


def person_fields(related_name):
    """The two fields of a person: ``user, contact = person_fields("...")``."""
    return (
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            verbose_name=_("staff member"),
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name=related_name,
        ),
        models.ForeignKey(
            Contact,
            verbose_name=_("contact"),
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name=related_name,
        ),
    )


def one_person_constraint(name):
    """Exactly one of the two fields is set, in the database."""
    return models.CheckConstraint(
        condition=Q(user__isnull=False, contact__isnull=True)
        | Q(user__isnull=True, contact__isnull=False),
        name=name,
    )


def person_name(record):
    if record.user_id:
        return record.user.get_full_name() or record.user.get_username()
    return str(record.contact)


def check_one_person(record):
    """Exactly one of the two fields is set, with a message next to the field."""
    if bool(record.user_id) == bool(record.contact_id):
        raise ValidationError(
            {"user": _("Choose either a staff member or a contact, not both and not neither.")}
        )
