from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "partnership"
    verbose_name = _("Partnership")

    def ready(self):
        # The security log's receivers of the login signals; the person's language taken
        # from their profile at login.
        from partnership.core import security  # noqa: F401
        from partnership.directory import language  # noqa: F401
        from partnership.discussion import moves

        # A record moved to another agreement takes its notifications along.
        moves.connect()
