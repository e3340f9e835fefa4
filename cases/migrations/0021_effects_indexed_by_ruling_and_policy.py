"""Effects are indexed by ruling and policy together: the facets read the policies of a list of
rulings from the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_export_rows_keep_effects_as_written"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="rulingeffect",
            index=models.Index(fields=["ruling", "policy"], name="effect_ruling_policy_idx"),
        ),
    ]
