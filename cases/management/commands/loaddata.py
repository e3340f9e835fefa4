"""Django's `loaddata`, which then stores the statuses of every policy.

Fixtures are saved raw, without the signals that keep stored statuses current
(cases/status/triggers.py), so the statuses are rebuilt once the fixtures are in, in the same
transaction.
"""

from django.core.management.commands import loaddata

from cases.status import rebuild


class Command(loaddata.Command):
    help = loaddata.Command.help + " Then rebuilds the stored policy statuses."

    def loaddata(self, fixture_labels):
        super().loaddata(fixture_labels)
        if self.loaded_object_count:
            rebuild()
