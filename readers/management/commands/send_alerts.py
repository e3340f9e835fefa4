"""Send each confirmed alert subscription the rulings published since its last message."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from readers.alerts import send_alerts


class Command(BaseCommand):
    help = (
        "Email each confirmed subscription the newly published rulings that match its filters, "
        "once each: immediate alerts at every run, daily digests at the first run after "
        "DJANGO_ALERTS_DAILY_HOUR (UTC). Safe to run from cron every few minutes, even when a "
        "run overlaps the last. Subscriptions whose filters no longer validate are reported on "
        "standard error and skipped; the command exits with status 1 if a message could not "
        "be sent (it is tried again at the next run)."
    )

    def handle(self, *args, **options):
        report = send_alerts()
        self.stdout.write(
            f"{report.messages} message(s) sent with {report.rulings} ruling(s); "
            f"{report.published} ruling(s) newly published; "
            f"{report.held} subscription(s) left to another run; "
            f"{report.expired} unconfirmed subscription(s) expired."
        )
        for pk, query, why in report.invalid:
            self.stderr.write(
                f"Subscription {pk}: its filters no longer validate ({query or 'no filters'}): "
                f"{why}"
            )
        for pk, error in report.failed:
            self.stderr.write(f"Subscription {pk}: not sent, will be retried: {error}")
        if report.failed:
            raise CommandError(f"{len(report.failed)} message(s) could not be sent.")
