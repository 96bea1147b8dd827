from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demonstration and scale data: nothing else imports this package."""

    name = "partnership.demo"
    label = "demo"
