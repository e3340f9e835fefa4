"""The published rulings' court index carries their kind, outcome and scope (INCLUDE, on
PostgreSQL): the facets count a court's rulings by kind, outcome and scope from the index
alone instead of reading each ruling's row."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0023_ruling_month_counts"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ruling", name="ruling_court_published_idx"),
        migrations.AddIndex(
            model_name="ruling",
            index=models.Index(
                condition=models.Q(("publication_state", "published")),
                fields=["court", "-decided_on", "-id"],
                include=("kind", "outcome", "scope"),
                name="ruling_court_published_idx",
            ),
        ),
    ]
