"""Create an editor: a staff account in the Editors group, without superuser powers."""

from __future__ import annotations

import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

EDITORS_GROUP = "Editors"


class Command(BaseCommand):
    help = (
        "Create a staff (not superuser) account in the Editors group, who can keep the case "
        "records current in the admin. The password is asked for twice when the command runs "
        "in a terminal; otherwise it is read from the first line of standard input, e.g. "
        "`printf '%s\\n' \"$PASSWORD\" | manage.py create_editor alice`. "
        "The password must pass the site's password validators."
    )
    # Lets tests pass a file-like object as standard input through call_command.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username", help="Login name of the new editor.")
        parser.add_argument("--email", default="", help="The editor's email address.")

    def handle(self, *args, username: str, email: str = "", **options):
        User = get_user_model()
        self.stdin = options.get("stdin") or sys.stdin

        username_field = User._meta.get_field(User.USERNAME_FIELD)
        try:
            username = username_field.clean(username, None)
        except ValidationError as exc:
            raise CommandError(f"Invalid username: {'; '.join(exc.messages)}") from None
        if User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"Invalid email address: {email!r}") from None
        try:
            group = Group.objects.get(name=EDITORS_GROUP)
        except Group.DoesNotExist:
            raise CommandError(
                f"The {EDITORS_GROUP!r} group does not exist; run `manage.py migrate` first."
            ) from None

        user = User(**{User.USERNAME_FIELD: username}, email=email, is_staff=True)
        user.set_password(self._read_password(user))
        with transaction.atomic():
            user.save()
            user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"Editor {username!r} created."))

    def _read_password(self, user) -> str:
        if self.stdin.isatty():
            try:
                return self._prompt_password(user)
            except (KeyboardInterrupt, EOFError):
                raise CommandError("Cancelled; no account was created.") from None
        password = self.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("No password on standard input.")
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        return password

    def _prompt_password(self, user) -> str:
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords do not match; try again.")
                continue
            try:
                validate_password(password, user)
            except ValidationError as exc:
                self.stderr.write("\n".join(exc.messages))
                continue
            return password
