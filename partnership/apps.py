from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "partnership"
    verbose_name = _("Partnership")

    def ready(self):
        # The security log's receivers of the login signals.
        from partnership.core import security  # noqa: F401
