from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperimentationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "experimentations"
    verbose_name = _("Experimentations")
