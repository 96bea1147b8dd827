"""The planned projects' sector and COP priority, where they apply; the sessions opened by
single sign-on, for the provider's back-channel logout."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('partnership', '0018_delivery'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
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
        migrations.CreateModel(
            name='SSOSession',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('session_key', models.CharField(max_length=40, unique=True, verbose_name='session key')),
                ('issuer', models.CharField(max_length=255, verbose_name='issuer')),
                ('subject', models.CharField(max_length=255, verbose_name='subject (sub)')),
                ('sid', models.CharField(blank=True, max_length=255, verbose_name='provider session (sid)')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user account')),
            ],
            options={
                'verbose_name': 'single sign-on session',
                'verbose_name_plural': 'single sign-on sessions',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['issuer', 'subject'], name='partnership_ssosession_sub'), models.Index(fields=['issuer', 'sid'], name='partnership_ssosession_sid')],
            },
        ),
    ]
