from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionField(models.PositiveIntegerField):
    """The version of a record, raised by one at every save through the staff pages and admin.

    An edit form carries the version it was loaded from; saving over a newer one is refused
    (see partnership.concurrency), so nobody silently overwrites another person's work.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("verbose_name", _("version"))
        kwargs.setdefault("default", 1)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)
