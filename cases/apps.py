from django.apps import AppConfig


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from cases.status import triggers

        triggers.connect()
        post_migrate.connect(fill_statuses, sender=self, dispatch_uid="cases-fill-statuses")


def fill_statuses(using="default", apps=None, **kwargs) -> None:
    """After `migrate`: store the statuses of policies that have none yet (the records entered
    before statuses were stored, or restored from a backup taken then)."""
    from django.db import connections

    from cases.models import Policy, StatusInterval
    from cases.status import rebuild

    if StatusInterval._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated back to before statuses were stored
    stored = StatusInterval.objects.using(using).values("policy")
    missing = list(Policy.objects.using(using).exclude(pk__in=stored).values_list("pk", flat=True))
    if missing:
        rebuild(missing)
