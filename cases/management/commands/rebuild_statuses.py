"""Rebuild every policy's stored statuses from the records (after a bulk load, a restore from an
older backup, or a change made in SQL). Safe to run at any time: each batch of policies is
rewritten in one transaction, and readers see the old statuses until it commits."""

import time

from django.core.management.base import BaseCommand

from cases.models import StatusProblem
from cases.status import rebuild


class Command(BaseCommand):
    help = "Rebuild the stored status intervals of every policy from its rulings."

    def add_arguments(self, parser):
        parser.add_argument("policies", nargs="*", help="Policy slugs (default: every policy).")

    def handle(self, *args, policies=(), **options):
        from cases.models import Policy

        ids = None
        if policies:
            found = dict(Policy.objects.filter(slug__in=policies).values_list("slug", "pk"))
            unknown = sorted(set(policies) - set(found))
            if unknown:
                self.stderr.write(f"No policy with the slug: {', '.join(unknown)}")
                raise SystemExit(2)
            ids = found.values()
        started = time.monotonic()
        count = rebuild(ids)
        self.stdout.write(
            f"Rebuilt the statuses of {count} policies in {time.monotonic() - started:.1f} s."
        )
        problems = StatusProblem.objects.all()
        if ids is not None:
            problems = problems.filter(policy__in=ids)
        shown = 20
        for problem in problems.select_related("policy")[:shown]:
            self.stdout.write(f"  {problem.policy.slug}: {problem.message}")
        if (count := problems.count()) > shown:
            self.stdout.write(
                f"  ... and {count - shown} more (each policy's admin page lists them)."
            )
