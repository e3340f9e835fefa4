"""Statuses stored as intervals (cases/status/store.py).

The tables are filled after `migrate` (cases/apps.py, `fill_statuses`) from the records already
entered, by the same code that keeps them current, and `manage.py rebuild_statuses` rebuilds
them at any time. Like every case table, a change to them moves the public data version when
it concerns a published policy, so a rebuild after a change of rules refreshes cached pages.
"""

import datetime

import django.db.models.deletion
from django.db import migrations, models

TABLES = ("cases_statusinterval", "cases_statusblock", "cases_statusproblem")
EVENTS = {
    "INSERT": ("REFERENCING NEW TABLE AS new_rows", "NEW"),
    "UPDATE": ("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows", "NEW"),
    "DELETE": ("REFERENCING OLD TABLE AS old_rows", "OLD"),
}


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    with connection.cursor() as cursor:  # not schema_editor.execute(): % is not a parameter
        for table in TABLES:
            for event, (referencing, row) in EVENTS.items():
                name = f"data_version_{table}_{event.lower()}"
                if connection.vendor == "postgresql":
                    # The version follows the policy's publication state (migration 0017).
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} {referencing} "
                        "FOR EACH STATEMENT EXECUTE FUNCTION "
                        "cases_bump_public_data_version('policy_id:cases_policy')"
                    )
                else:
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} WHEN EXISTS (SELECT 1 "
                        f"FROM cases_policy p WHERE p.id = {row}.policy_id AND "
                        "p.publication_state = 'published') BEGIN UPDATE cases_data_version SET "
                        f"counter = counter + 1, changed_at = {now} WHERE id = 1; END"
                    )


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    for table in TABLES:
        for event in EVENTS:
            name = f"data_version_{table}_{event.lower()}"
            on = f" ON {table}" if connection.vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0018_ruling_export_rows'),
    ]

    operations = [
        migrations.CreateModel(
            name='StatusProblem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('since', models.DateField()),
                ('message', models.TextField()),
                ('policy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='status_problems', to='cases.policy')),
            ],
            options={
                'ordering': ['policy', 'since', 'id'],
            },
        ),
        migrations.CreateModel(
            name='StatusBlock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('part_slug', models.CharField(blank=True, max_length=60)),
                ('source', models.IntegerField(help_text='Id of the ruling that granted the block.')),
                ('valid_from', models.DateField()),
                ('valid_to', models.DateField(default=datetime.date(9999, 12, 31))),
                ('detail', models.JSONField(default=dict, help_text='Steps, reach, ordered reach and stay.')),
                ('policy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.policy')),
            ],
            options={
                'indexes': [models.Index(fields=['policy', 'valid_from', 'valid_to'], name='status_block_lookup')],
                'constraints': [models.CheckConstraint(condition=models.Q(('valid_to__gt', models.F('valid_from'))), name='status_block_not_empty')],
            },
        ),
        migrations.CreateModel(
            name='StatusInterval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('part_slug', models.CharField(max_length=60, null=True)),
                ('valid_from', models.DateField()),
                ('valid_to', models.DateField(default=datetime.date(9999, 12, 31))),
                ('code', models.CharField(max_length=32)),
                ('label', models.CharField(max_length=200)),
                ('text', models.TextField(help_text='The headline (the policy) or the clause (a part).')),
                ('reach', models.TextField(blank=True, help_text='Who is protected, in words.')),
                ('controlling', models.JSONField(default=list, help_text='Ids of the controlling rulings.')),
                ('detail', models.JSONField(default=dict, help_text="Holdings, appeal, the day's rulings.")),
                ('is_change', models.BooleanField(default=False)),
                ('policy', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.policy')),
            ],
            options={
                'indexes': [models.Index(fields=['policy', 'valid_from', 'valid_to'], name='status_interval_lookup')],
                'constraints': [models.CheckConstraint(condition=models.Q(('valid_to__gt', models.F('valid_from'))), name='status_interval_not_empty')],
            },
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
