"""The "Editors" group: staff who keep the case records current in the admin.

Editors may view, add, change and delete every record type of the cases app, except that courts
(reference data loaded from courts-db, and protected by every lawsuit and ruling filed in them)
can be added and corrected but not deleted. They may view the history tables (the admin's history
pages; reverting uses the record's own change permission), but not write to them, so history stays
an audit trail. They get no permission over users, groups, permissions, sessions, content types or
the admin log.

Permissions are normally created after `migrate` finishes, so they are created here first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Editors"
APP_LABEL = "cases"
ACTIONS = ("view", "add", "change", "delete")
# Reference data: editors may add or correct a court but never delete one.
NO_DELETE = {"court"}


def editor_codenames(model_names):
    """The permission codenames the Editors group holds, for the cases app's model names."""
    codenames = set()
    for name in model_names:
        if name.startswith("historical"):
            codenames.add(f"view_{name}")  # history is read, never written, by hand
            continue
        codenames.update(
            f"{action}_{name}"
            for action in ACTIONS
            if not (action == "delete" and name in NO_DELETE)
        )
    return codenames


def create_editors_group(apps, schema_editor):
    using = schema_editor.connection.alias if schema_editor else "default"
    for app_config in apps.get_app_configs():
        # App configs of the migration state have no models module; create_permissions skips
        # such apps unless told otherwise.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, verbosity=0, using=using, apps=apps)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    model_names = [model._meta.model_name for model in apps.get_app_config(APP_LABEL).get_models()]
    codenames = editor_codenames(model_names)
    permissions = Permission.objects.using(using).filter(
        content_type__app_label=APP_LABEL, codename__in=codenames
    )
    missing = codenames - set(permissions.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"Permissions missing for the Editors group: {sorted(missing)}")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP_NAME)
    group.permissions.set(permissions)


def delete_editors_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_ruling_date_trigger"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors_group, delete_editors_group)]
