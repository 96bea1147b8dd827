"""The French full-text vector of actions and meetings kept in a generated column on
PostgreSQL (partnership/overview/search.py, ``stored_vectors_operation``): the search reads it
instead of computing it from the text of each candidate and each ranked match."""

from django.db import migrations

from partnership.overview.search import stored_vectors_operation


class Migration(migrations.Migration):
    dependencies = [("partnership", "0020_notification_within")]

    operations = [stored_vectors_operation("actions", "meetings")]
