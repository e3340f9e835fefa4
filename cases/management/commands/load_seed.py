"""Load the seed fixtures into a database that has none of them yet, then store every policy's
statuses once (fixtures are saved raw, so the records' own signals rebuild nothing; the links
between them would each have rebuilt their policies as they came).

Safe to run twice: once the seed data is in, it does nothing (so a later `make run` never
overwrites an editor's changes) unless --force is given.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from cases.models import Court, Policy
from cases.status.store import rebuild
from cases.status.triggers import deferred

# Order matters: each file refers only to records of the files before it.
SEED_FIXTURES = [
    "fixtures/courts.json",
    "fixtures/sources.json",
    "fixtures/grounds.json",
    "fixtures/programs.json",
    "fixtures/jurisdictions.json",
    "fixtures/policies.json",
    "fixtures/lawsuits.json",
    "fixtures/rulings.json",
]


class Command(BaseCommand):
    help = "Load the courts and the seed case data, unless they are already loaded."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Reload the fixtures over existing records."
        )

    def handle(self, *args, force: bool = False, **options):
        if not force and Court.objects.exists() and Policy.objects.exists():
            self.stdout.write("Seed data already loaded; nothing to do (use --force to reload).")
            return
        with transaction.atomic():
            with deferred():
                call_command("loaddata", *SEED_FIXTURES, verbosity=options["verbosity"])
            rebuild()
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))
