"""The Editors group works through the corrections queue; the ledger starts from today's rulings.

Editors may view suggested corrections, change their state and note (and so who handled them
and when), and delete spam; they may read a suggestion's history. Suggestions are never added
by hand. Subscriptions (readers' email addresses) are private data for the site's operators
(superusers): editors get no permission on them.

Every ruling already published is entered in the ledger of publications, so none of them is
"new" to the subscriptions made from now on.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.utils import timezone

GROUP_NAME = "Editors"
EDITOR_CODENAMES = {
    "view_correction",
    "change_correction",
    "delete_correction",
    "view_historicalcorrection",
}


def grant_editors(apps, schema_editor):
    using = schema_editor.connection.alias if schema_editor else "default"
    # Permissions are normally created after `migrate` finishes, so they are created here first.
    app_config = apps.get_app_config("readers")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    finally:
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="readers", codename__in=EDITOR_CODENAMES
    )
    missing = EDITOR_CODENAMES - set(permissions.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"Permissions missing for the Editors group: {sorted(missing)}")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP_NAME)
    group.permissions.add(*permissions)


def revoke_editors(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    group = Group.objects.using(using).filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.using(using).filter(
                content_type__app_label="readers", codename__in=EDITOR_CODENAMES
            )
        )


def start_ledger(apps, schema_editor):
    using = schema_editor.connection.alias
    Ruling = apps.get_model("cases", "Ruling")
    RulingPublication = apps.get_model("readers", "RulingPublication")
    now = timezone.now()
    published = Ruling.objects.using(using).filter(publication_state="published")
    RulingPublication.objects.using(using).bulk_create(
        (
            RulingPublication(ruling_id=pk, first_seen_at=now)
            for pk in published.values_list("pk", flat=True).iterator()
        ),
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("readers", "0001_initial"),
        ("cases", "0003_editors_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant_editors, revoke_editors),
        migrations.RunPython(start_ledger, migrations.RunPython.noop),
    ]
