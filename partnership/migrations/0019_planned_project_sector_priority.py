"""The planned projects' sector and COP priority, where they apply."""

from django.db import migrations, models


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
        ]
