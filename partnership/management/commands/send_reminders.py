"""``manage.py send_reminders``: the former name of ``send_digest``, kept for existing crontabs."""

from partnership.management.commands.send_digest import Command  # noqa: F401
