from django.db import migrations, models

from cases.migrations._sqlite_triggers import put_back, set_aside


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_effect_reach_from_old_records")]

    operations = [
        set_aside(),
        migrations.AddConstraint(
            model_name="rulingeffect",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("effect__in", ["blocks", "narrows_block", "stays"]), _negated=True),
                    models.Q(("reach", ""), _negated=True),
                    _connector="OR",
                ),
                name="effect_reach_given",
            ),
        ),
        migrations.AddConstraint(
            model_name="rulingeffect",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("effect", "stays"), ("stays_ruling__isnull", False)),
                    models.Q(
                        models.Q(("effect", "stays"), _negated=True), ("stays_ruling__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="effect_stay_names_ruling",
            ),
        ),
        put_back(),
    ]
