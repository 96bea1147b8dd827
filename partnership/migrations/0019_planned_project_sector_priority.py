"""The planned projects' sector and COP priority (where they apply), and on PostgreSQL a
trigram index on their folded title and summary: the close words of the side-by-side page
(partnership/programming/services.py, ``_CLOSE_WORDS_SQL``, the same expression)."""

from django.db import migrations, models

INDEX = "partnership_plannedproject_words_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON partnership_plannedproject USING gin "
            "(partnership_fold(title || ' ' || summary) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('partnership', '0016_notifications'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalplannedproject',
            name='priority',
            field=models.CharField(blank=True, choices=[('qvt', 'quality of working life'), ('prevention', 'prevention of occupational risks and health promotion'), ('chronic_illness', 'chronic illness at work'), ('wear', 'prevention of wear')], max_length=30, verbose_name='COP priority'),
        ),
        migrations.AddField(
            model_name='historicalplannedproject',
            name='sector',
            field=models.CharField(blank=True, choices=[('home_care', 'home care services'), ('industry', 'industry'), ('health', 'health'), ('small_firms', 'very small and small firms'), ('large_companies', 'large companies'), ('other', 'other')], max_length=30, verbose_name='sector'),
        ),
        migrations.AddField(
            model_name='plannedproject',
            name='priority',
            field=models.CharField(blank=True, choices=[('qvt', 'quality of working life'), ('prevention', 'prevention of occupational risks and health promotion'), ('chronic_illness', 'chronic illness at work'), ('wear', 'prevention of wear')], max_length=30, verbose_name='COP priority'),
        ),
        migrations.AddField(
            model_name='plannedproject',
            name='sector',
            field=models.CharField(blank=True, choices=[('home_care', 'home care services'), ('industry', 'industry'), ('health', 'health'), ('small_firms', 'very small and small firms'), ('large_companies', 'large companies'), ('other', 'other')], max_length=30, verbose_name='sector'),
        ),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
