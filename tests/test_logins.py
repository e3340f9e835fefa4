"""Editors' logins: lockout after repeated failures (django-axes), sessions that expire, and
editors who are deactivated, never deleted, so the history keeps their name."""

from __future__ import annotations

import datetime
import importlib

import pytest
from axes.models import AccessAttempt
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.utils import timezone

from tests.factories import PolicyFactory
from tracker.middleware import client_ip

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "tawny-lantern-quiver-22"
HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editors_group():
    group = Group.objects.filter(name="Editors").first()
    if group is None:
        # A transactional test earlier in the run flushed the tables; rebuild the group exactly
        # as the data migration builds it.
        migration = importlib.import_module("cases.migrations.0003_editors_group")
        migration.create_editors_group(django_apps, None)
        group = Group.objects.get(name="Editors")
    return group


@pytest.fixture
def alice(editors_group):
    user = User.objects.create_user("alice", password=PASSWORD, is_staff=True)
    user.groups.add(editors_group)
    return user


def log_in(client, username="alice", password=PASSWORD, ip=HOME, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail_five_times(client, username="alice", ip=HOME, **extra):
    statuses = [
        log_in(client, username, "wrong-password", ip, **extra).status_code for _ in range(5)
    ]
    # Four wrong passwords show the form again; the fifth locks the client out.
    assert statuses == [200, 200, 200, 200, 429]


def test_settings_are_as_documented():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_HTTP_RESPONSE_CODE == 429
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_HANDLER == "tracker.lockout.LoginLockoutHandler"
    assert settings.AUTHENTICATION_BACKENDS[0] == "tracker.middleware.LoginLockoutBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60


def test_a_good_password_logs_in(client, alice):
    assert logged_in(log_in(client))


def test_five_failures_lock_out_even_the_right_password(client, alice):
    fail_five_times(client)

    response = log_in(client)
    assert response.status_code == 429
    assert b"Too many login attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_failures_for_one_username_leave_the_other_editors_at_that_address_alone(client, alice):
    User.objects.create_user("bob", password=PASSWORD, is_staff=True)
    fail_five_times(client)

    # Five wrong passwords for alice lock out alice from there, and no one else.
    assert logged_in(log_in(client, "bob"))
    client.logout()
    assert log_in(client).status_code == 429


def fail_once_for_each(client, usernames, ip=HOME):
    return [log_in(client, name, "wrong-password", ip).status_code for name in usernames]


def test_an_address_is_locked_out_after_failing_for_many_usernames(client, alice, settings):
    assert settings.LOGIN_LOCKOUT_ADDRESS_USERNAMES == 10
    User.objects.create_user("bob", password=PASSWORD, is_staff=True)
    names = [f"guess{i}" for i in range(10)]

    statuses = fail_once_for_each(client, names)

    # Nine usernames are still someone's typos; the tenth locks out the address.
    assert statuses == [200] * 9 + [429]
    assert log_in(client, "bob").status_code == 429
    assert log_in(client).status_code == 429
    # Only that address.
    assert logged_in(log_in(client, "bob", ip=ELSEWHERE))


def test_fewer_usernames_do_not_lock_out_the_address(client, alice):
    User.objects.create_user("bob", password=PASSWORD, is_staff=True)
    # Four wrong passwords each for nine usernames: none of them, nor the address, locked out.
    for _ in range(4):
        assert fail_once_for_each(client, [f"guess{i}" for i in range(9)]) == [200] * 9

    assert logged_in(log_in(client, "bob"))


def test_the_address_lockout_ends_after_fifteen_minutes(client, alice):
    fail_once_for_each(client, [f"guess{i}" for i in range(10)])
    assert log_in(client).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert logged_in(log_in(client))


def test_another_address_is_not_locked_out(client, alice):
    fail_five_times(client)

    assert logged_in(log_in(client, ip=ELSEWHERE))


def test_the_lockout_ends_after_fifteen_minutes(client, alice):
    fail_five_times(client)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=14))
    assert log_in(client).status_code == 429  # a failure during the lockout restarts it

    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert logged_in(log_in(client))


def test_a_success_clears_earlier_failures(client, alice):
    for _ in range(4):
        log_in(client, password="wrong-password")
    assert logged_in(log_in(client))
    client.logout()

    for _ in range(4):
        assert log_in(client, password="wrong-password").status_code == 200


def test_forwarded_for_is_ignored_unless_behind_a_proxy(client, alice):
    # Without a proxy, a client cannot dodge the lockout by writing its own X-Forwarded-For.
    fail_five_times(client, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert log_in(client, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429


def test_behind_a_proxy_the_address_it_appended_counts(client, alice, settings):
    settings.BEHIND_PROXY = True
    proxy = "10.0.0.2"
    fail_five_times(client, ip=proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {HOME}")

    # The same client, whatever it writes to the left of the proxy's entry, is locked out...
    assert log_in(client, ip=proxy, HTTP_X_FORWARDED_FOR=f"5.6.7.8, {HOME}").status_code == 429
    # ...while another client behind the same proxy is not.
    assert logged_in(log_in(client, ip=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE))


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded", "expected"),
    [
        (False, "1.2.3.4", HOME),
        (True, "1.2.3.4", "1.2.3.4"),
        (True, "9.9.9.9, 1.2.3.4", "1.2.3.4"),
        (True, "", HOME),
    ],
)
def test_client_ip(settings, behind_proxy, forwarded, expected):
    settings.BEHIND_PROXY = behind_proxy
    request = RequestFactory().get("/", REMOTE_ADDR=HOME, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_an_admin_session_expires_after_its_age(client, alice):
    assert logged_in(log_in(client))
    session = Session.objects.get(session_key=client.session.session_key)
    lifetime = session.expire_date - timezone.now()
    assert datetime.timedelta(hours=7, minutes=59) < lifetime <= datetime.timedelta(hours=8)
    assert client.get("/admin/").status_code == 200

    # Eight hours later the same cookie is no longer a login.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now())
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_deactivated_editor_cannot_log_in_and_keeps_their_history(client, alice):
    policy = PolicyFactory()
    policy._history_user = alice
    policy.title = "Edited by Alice"
    policy.save()
    assert logged_in(log_in(client))

    alice.is_active = False
    alice.save()

    # The open session ends at once, and the password no longer works.
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert log_in(client).status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302
    # The history still names who made the change.
    assert policy.history.filter(history_user=alice, title="Edited by Alice").exists()


def test_editors_cannot_delete_users(client, alice):
    other = User.objects.create_user("bob", is_staff=True)
    assert not alice.has_perm("auth.delete_user")
    assert logged_in(log_in(client))

    assert client.get(f"/admin/auth/user/{other.pk}/delete/").status_code == 403
    assert client.post(f"/admin/auth/user/{other.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=other.pk).exists()
