from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionField(models.PositiveIntegerField):
    """The version of a record, raised by one at every save of the record.

    An edit form carries the version it was loaded from; saving over a newer one is refused
    (see partnership.core.concurrency), so nobody silently overwrites another person's work.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("verbose_name", _("version"))
        # A version starts at 1 in the database. The fields of the older migrations (default=1)
        # keep meaning what they did: otherwise the migration that adds the database default
        # would find it there already and leave the existing tables without it.
        if "default" not in kwargs:
            kwargs.setdefault("db_default", 1)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        # Like auto_now: every save of an existing record raises its version, so that any
        # change, whoever makes it, makes the forms opened before it out of date. A save
        # limited by update_fields raises it only when "version" is listed.
        if not add:
            setattr(model_instance, self.attname, (getattr(model_instance, self.attname) or 0) + 1)
        return super().pre_save(model_instance, add)
