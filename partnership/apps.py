from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "partnership"
    verbose_name = _("Partnership")

    def ready(self):
        # The security log's receivers of the login signals; the person's language taken
        # from their profile at login.
        from django.db.backends.signals import connection_created

        from partnership.core import fragments, security  # noqa: F401
        from partnership.directory import language  # noqa: F401
        from partnership.discussion import moves

        # A record moved to another agreement takes its notifications along.
        moves.connect()
        # Every connection notes the tables it writes: what the shared cache keeps of them is
        # drawn again after a commit (partnership/core/fragments.py).
        connection_created.connect(fragments.install, dispatch_uid="fragments.install")
        # Writes said to be for some rows only (fragments.written_for): a person's
        # notifications, an action's edit (its agreement's).
        from partnership.discussion.models import Notification
        from partnership.programmes.models import action_edit_models

        fragments.partitioned("recipient", Notification)
        fragments.partitioned("agreement", *action_edit_models())
