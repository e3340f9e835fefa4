"""Editors may edit policy parts (added in 0009), like every other case record."""

import importlib

from django.db import migrations

editors_group = importlib.import_module("cases.migrations.0003_editors_group")


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_effect_reach_constraints")]

    operations = [
        migrations.RunPython(editors_group.create_editors_group, migrations.RunPython.noop)
    ]
