"""Every record editors change carries a version, raised by one at each save, so a save from a
stale admin form is refused (cases/editing.py). Existing records and their history start at 1."""

from django.db import migrations, models

from cases.migrations._sqlite_triggers import put_back, set_aside


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_editors_edit_policy_parts"),
    ]

    operations = [
        set_aside(),
        migrations.AddField(
            model_name="court",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="fundingprogram",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="ground",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="historicalcourt",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="historicalfundingprogram",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="historicalground",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="historicaljurisdiction",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="historicallawsuit",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="historicalpolicy",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="historicalruling",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="historicalrulingeffect",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="historicalsource",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="jurisdiction",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="lawsuit",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="policy",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="ruling",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="rulingeffect",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="version",
            field=models.PositiveIntegerField(
                db_default=1,
                default=1,
                editable=False,
                help_text="Number of saves; a stale form is refused.",
            ),
        ),
        put_back(),
    ]
