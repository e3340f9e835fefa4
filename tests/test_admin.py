"""The admin is the editors' tool: who may open which page, history and revert, form errors in
place of server errors, and changelists whose query count does not grow with their length."""

from __future__ import annotations

import datetime
import io

import factory
import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.admin import CourtWithRecordsFilter
from cases.models import (
    Court,
    Lawsuit,
    Policy,
    PublicationState,
    Ruling,
    RulingOutcome,
)
from tests import factories

pytestmark = pytest.mark.django_db

# Every factory in tests/factories.py, by the model it builds.
FACTORIES = {
    obj._meta.model: obj
    for obj in vars(factories).values()
    if isinstance(obj, type)
    and issubclass(obj, factory.django.DjangoModelFactory)
    and obj._meta.model is not None
}

# Every model the admin shows for the cases app, so a newly registered model is covered here.
CASES_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "cases"),
    key=lambda model: model._meta.model_name,
)
MODEL_IDS = [model._meta.model_name for model in CASES_MODELS]

# Courts are reference data: editors may add and correct them but not delete them.
EDITOR_CANNOT_DELETE = {Court}

# "revert" is simple_history's form for one history row, where an old version is restored.
VIEWS = ["changelist", "add", "change", "delete", "history", "revert"]
ROLES = ["anonymous", "non_staff", "editor", "superuser"]

LOGIN_URL = "/admin/login/"


# --- Fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def editor(editors_group):
    user = User.objects.create_user("editor", is_staff=True)
    user.groups.add(editors_group)
    return user


@pytest.fixture
def superuser():
    return User.objects.create_superuser("boss", email="boss@example.org")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def make(model, **kwargs):
    if model not in FACTORIES:
        pytest.fail(f"Add a factory for {model.__name__} to tests/factories.py.")
    return FACTORIES[model](**kwargs)


def admin_url(model, view: str, obj=None) -> str:
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    if view in ("changelist", "add"):
        return reverse(f"{prefix}_{view}")
    if view == "revert":
        return reverse(f"{prefix}_simple_history", args=[obj.pk, obj.history.first().pk])
    return reverse(f"{prefix}_{view}", args=[obj.pk])


def complete_lawsuit(**kwargs) -> Lawsuit:
    """A lawsuit its admin form accepts as it stands (plaintiffs and policies are required)."""
    return factories.LawsuitFactory(
        plaintiffs=[factories.JurisdictionFactory()],
        policies=[factories.PolicyFactory()],
        **kwargs,
    )


def form_data(response) -> dict:
    """What the page's admin form (and its inlines) would submit if saved unchanged."""
    data: dict = {}

    def add(form):
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if value is None and isinstance(
                field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField
            ):
                continue  # an empty multiple choice submits nothing
            if value is None:
                data[bound.html_name] = ""
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            else:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets") or []:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def inline_formset(response, model):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline.formset
    raise AssertionError(f"No inline for {model.__name__}")


def form_errors(response) -> str:
    """The page's form and inline errors, which must be the date rule's alone."""
    errors = [error for error in response.context["errors"] if error]
    assert len(errors) == 1, errors
    return str(errors[0])


# --- The permission matrix ----------------------------------------------------------------------


def expected_status(role: str, model, view: str) -> int:
    if role in ("anonymous", "non_staff"):
        return 302  # to the login page
    if role == "editor" and view == "delete" and model in EDITOR_CANNOT_DELETE:
        return 403
    return 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", CASES_MODELS, ids=MODEL_IDS)
def test_each_admin_page_answers_each_role_as_its_permissions_say(
    client, editors_group, model, role
):
    if role == "non_staff":
        client.force_login(User.objects.create_user("reader"))
    elif role == "editor":
        user = User.objects.create_user("editor", is_staff=True)
        user.groups.add(editors_group)
        client.force_login(user)
    elif role == "superuser":
        client.force_login(User.objects.create_superuser("boss"))
    obj = make(model)

    for view in VIEWS:
        url = admin_url(model, view, obj)
        response = client.get(url)
        expected = expected_status(role, model, view)
        assert response.status_code == expected, f"{role} {view} {url}"
        if expected == 302:
            assert response.url.startswith(LOGIN_URL)


def test_editor_opens_every_changelist_and_record_of_the_seed_data(seeded, editor_client):
    for model in CASES_MODELS:
        response = editor_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model
        obj = model._default_manager.order_by("pk").last()
        assert obj is not None, f"no {model.__name__} in the seed data"
        for view in ("change", "history"):
            assert editor_client.get(admin_url(model, view, obj)).status_code == 200, (model, view)


def test_editors_group_holds_only_case_data_permissions(editors_group):
    permissions = editors_group.permissions.select_related("content_type")
    # Case data, and the readers' corrections queue (tests/test_corrections.py).
    assert {perm.content_type.app_label for perm in permissions} == {"cases", "readers"}
    outside = Permission.objects.filter(
        content_type__app_label__in=["auth", "admin", "sessions", "contenttypes"]
    )
    assert not editors_group.permissions.filter(pk__in=outside).exists()

    codenames = set(permissions.values_list("codename", flat=True))
    for model in CASES_MODELS:
        name = model._meta.model_name
        assert {f"view_{name}", f"add_{name}", f"change_{name}"} <= codenames
        assert (f"delete_{name}" in codenames) == (model not in EDITOR_CANNOT_DELETE)
    # History is read, never written, by hand.
    historical = {code for code in codenames if code.split("_", 1)[1].startswith("historical")}
    assert historical
    assert all(code.startswith("view_") for code in historical)


def test_editor_cannot_open_the_users_or_groups_admin(editor_client):
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert editor_client.get(reverse("admin:auth_group_changelist")).status_code == 403
    assert editor_client.get(reverse("admin:auth_user_add")).status_code == 403


@pytest.mark.parametrize("model", CASES_MODELS, ids=MODEL_IDS)
def test_admin_form_offers_every_editable_field(rf, superuser, model):
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    form = model_admin.get_form(request, obj=None)
    shown = set(form.base_fields) | set(model_admin.get_readonly_fields(request, None))
    editable = {
        field.name
        for field in model._meta.get_fields()
        if (field.concrete or field.many_to_many)
        and not field.auto_created
        and field.editable
        # Relations with their own table (Ruling.policies via RulingEffect) are inlines.
        and not (field.many_to_many and not field.remote_field.through._meta.auto_created)
    }
    assert editable <= shown, f"missing from the {model.__name__} form: {editable - shown}"


# --- Query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CASES_MODELS, ids=MODEL_IDS)
def test_changelist_query_count_does_not_grow_with_rows(
    editor_client, django_assert_max_num_queries, model
):
    url = admin_url(model, "changelist")
    make(model)
    editor_client.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as one_row:
        assert editor_client.get(url).status_code == 200

    for _ in range(29):
        make(model)
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        response = editor_client.get(url)
    assert response.status_code == 200
    assert model._default_manager.count() >= 30


def test_ruling_changelist_shows_lawsuit_captions_and_offers_only_courts_with_rulings(
    editor_client,
):
    lawsuit = factories.LawsuitFactory(caption="City of Chicago v. Sessions")
    factories.RulingFactory(court=lawsuit.court, lawsuits=[lawsuit])
    idle = factories.CourtFactory(citation_string="Idle D.")

    response = editor_client.get(admin_url(Ruling, "changelist"))

    assert response.status_code == 200
    assert "City of Chicago v. Sessions" in response.content.decode()
    court_filter = next(
        spec
        for spec in response.context["cl"].filter_specs
        if isinstance(spec, CourtWithRecordsFilter)
    )
    offered = [value for value, _ in court_filter.lookup_choices]
    assert offered == [lawsuit.court.pk]
    assert idle.pk not in offered


@pytest.mark.parametrize("model", [Ruling, Lawsuit], ids=["ruling", "lawsuit"])
def test_court_filter_works_and_shows_counts(editor_client, model):
    wanted = make(model)
    make(model)
    url = admin_url(model, "changelist")

    response = editor_client.get(url, {"court": wanted.court_id, "_facets": "True"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted]


def test_ruling_changelist_searches_lawsuit_captions(editor_client):
    wanted = factories.RulingFactory(
        lawsuits=[factories.LawsuitFactory(caption="County of Santa Clara v. Trump")]
    )
    factories.RulingFactory()

    response = editor_client.get(admin_url(Ruling, "changelist"), {"q": "Santa Clara"})

    assert list(response.context["cl"].result_list) == [wanted]


# --- Change, history and revert -----------------------------------------------------------------


def test_editor_changes_a_ruling_and_reverts_it_from_history(editor_client, editor):
    ruling = factories.RulingFactory(outcome=RulingOutcome.CHALLENGERS)
    before = ruling.history.first()  # the newest history row before the editor's change
    change_url = admin_url(Ruling, "change", ruling)

    data = form_data(editor_client.get(change_url))
    data["outcome"] = RulingOutcome.GOVERNMENT
    response = editor_client.post(change_url, data)

    assert response.status_code == 302
    ruling.refresh_from_db()
    assert ruling.outcome == RulingOutcome.GOVERNMENT
    latest = ruling.history.first()
    assert latest.outcome == RulingOutcome.GOVERNMENT
    assert latest.history_user == editor
    history_page = editor_client.get(admin_url(Ruling, "history", ruling))
    assert history_page.status_code == 200
    assert "editor" in history_page.content.decode()

    revert_url = reverse("admin:cases_ruling_simple_history", args=[ruling.pk, before.pk])
    revert_page = editor_client.get(revert_url)
    assert revert_page.status_code == 200
    response = editor_client.post(revert_url, form_data(revert_page))

    assert response.status_code == 302
    ruling.refresh_from_db()
    assert ruling.outcome == RulingOutcome.CHALLENGERS
    assert ruling.history.first().outcome == RulingOutcome.CHALLENGERS
    assert ruling.history.first().history_user == editor


@pytest.mark.parametrize("model", [Policy, Lawsuit, Ruling], ids=["policy", "lawsuit", "ruling"])
def test_publish_and_unpublish_actions_record_each_change_in_history(editor_client, editor, model):
    drafts = [make(model, publication_state=PublicationState.DRAFT) for _ in range(2)]
    history_rows = {obj.pk: obj.history.count() for obj in drafts}
    url = admin_url(model, "changelist")
    selected = [obj.pk for obj in drafts]

    response = editor_client.post(url, {"action": "publish_selected", "_selected_action": selected})

    assert response.status_code == 302
    for obj in drafts:
        obj.refresh_from_db()
        assert obj.publication_state == PublicationState.PUBLISHED
        assert obj.history.count() == history_rows[obj.pk] + 1
        assert obj.history.first().history_user == editor

    response = editor_client.post(
        url, {"action": "unpublish_selected", "_selected_action": selected}
    )

    assert response.status_code == 302
    assert not model.objects.filter(pk__in=selected, publication_state="published").exists()


# --- Form errors instead of server errors -------------------------------------------------------


def test_new_ruling_dated_before_its_lawsuit_was_filed_is_a_form_error(editor_client):
    lawsuit = factories.LawsuitFactory(filed_on=datetime.date(2017, 8, 1))
    add_url = admin_url(Ruling, "add")
    data = form_data(editor_client.get(add_url))
    data.update(
        lawsuits=[str(lawsuit.pk)],
        court=lawsuit.court_id,
        decided_on="2017-07-31",
        kind="order",
        outcome="procedural",
    )

    response = editor_client.post(add_url, data)

    assert response.status_code == 200
    assert "cannot be dated before the case it was issued in was filed" in form_errors(response)
    assert not Ruling.objects.exists()


def test_moving_a_ruling_before_its_lawsuit_was_filed_is_a_form_error(editor_client):
    ruling = factories.RulingFactory(decided_on=datetime.date(2017, 11, 20))
    change_url = admin_url(Ruling, "change", ruling)
    data = form_data(editor_client.get(change_url))
    data["decided_on"] = "2017-02-01"  # the factory's lawsuit was filed on 2017-03-01

    response = editor_client.post(change_url, data)

    assert response.status_code == 200
    assert "cannot be dated before the case it was issued in was filed" in form_errors(response)
    ruling.refresh_from_db()
    assert ruling.decided_on == datetime.date(2017, 11, 20)


def test_ruling_date_and_lawsuits_can_change_together(editor_client):
    """Unlinking a late-filed case while moving the date before its filing saves cleanly."""
    early = factories.LawsuitFactory(filed_on=datetime.date(2017, 3, 1))
    late = factories.LawsuitFactory(filed_on=datetime.date(2017, 9, 1), court=early.court)
    ruling = factories.RulingFactory(
        court=early.court, decided_on=datetime.date(2017, 11, 20), lawsuits=[early, late]
    )
    change_url = admin_url(Ruling, "change", ruling)
    data = form_data(editor_client.get(change_url))
    data.update(decided_on="2017-06-01", lawsuits=[str(early.pk)])

    response = editor_client.post(change_url, data)

    assert response.status_code == 302
    ruling.refresh_from_db()
    assert ruling.decided_on == datetime.date(2017, 6, 1)
    assert list(ruling.lawsuits.all()) == [early]
    assert list(ruling.history.first().lawsuits.values_list("lawsuit", flat=True)) == [early.pk]


def test_moving_a_filing_date_after_one_of_its_rulings_is_a_form_error(editor_client):
    lawsuit = complete_lawsuit(filed_on=datetime.date(2017, 3, 1))
    factories.RulingFactory(decided_on=datetime.date(2017, 11, 20), lawsuits=[lawsuit])
    change_url = admin_url(Lawsuit, "change", lawsuit)
    data = form_data(editor_client.get(change_url))
    data["filed_on"] = "2017-12-01"

    response = editor_client.post(change_url, data)

    assert response.status_code == 200
    assert "rulings dated before this filing date" in form_errors(response)
    lawsuit.refresh_from_db()
    assert lawsuit.filed_on == datetime.date(2017, 3, 1)


def test_linking_a_ruling_older_than_the_lawsuit_in_the_inline_is_a_form_error(editor_client):
    lawsuit = complete_lawsuit(filed_on=datetime.date(2017, 3, 1))
    older = factories.RulingFactory(
        decided_on=datetime.date(2017, 1, 15),
        lawsuits=[factories.LawsuitFactory(filed_on=datetime.date(2017, 1, 2))],
    )
    change_url = admin_url(Lawsuit, "change", lawsuit)
    page = editor_client.get(change_url)
    data = form_data(page)
    prefix = inline_formset(page, Ruling.lawsuits.through).prefix
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    data.update({f"{prefix}-0-ruling": str(older.pk), f"{prefix}-0-lawsuit": str(lawsuit.pk)})

    response = editor_client.post(change_url, data)

    assert response.status_code == 200
    assert "is dated before this case was filed" in form_errors(response)
    assert not older.lawsuits.filter(pk=lawsuit.pk).exists()


def test_rulings_are_linked_and_unlinked_inline_on_their_lawsuit(editor_client, editor):
    lawsuit = complete_lawsuit()
    kept = factories.RulingFactory(court=lawsuit.court, lawsuits=[lawsuit])
    other = factories.RulingFactory(decided_on=datetime.date(2018, 4, 19))
    change_url = admin_url(Lawsuit, "change", lawsuit)
    page = editor_client.get(change_url)
    body = page.content.decode()
    assert reverse("admin:cases_ruling_change", args=[kept.pk]) in body  # "Edit ruling" link
    assert f"{reverse('admin:cases_ruling_add')}?lawsuits={lawsuit.pk}" in body

    data = form_data(page)
    prefix = inline_formset(page, Ruling.lawsuits.through).prefix
    data[f"{prefix}-0-DELETE"] = "on"
    data[f"{prefix}-TOTAL_FORMS"] = "2"
    data.update({f"{prefix}-1-ruling": str(other.pk), f"{prefix}-1-lawsuit": str(lawsuit.pk)})

    response = editor_client.post(change_url, data)

    assert response.status_code == 302
    assert list(lawsuit.rulings.all()) == [other]
    assert not kept.lawsuits.filter(pk=lawsuit.pk).exists()
    # Linking and unlinking went through Ruling.lawsuits, so both rulings' histories show it.
    assert other.history.first().history_user == editor
    assert lawsuit.pk in other.history.first().lawsuits.values_list("lawsuit", flat=True)
    assert kept.history.first().history_user == editor


def test_deleting_a_court_with_lawsuits_is_refused_with_a_message(client, superuser):
    lawsuit = factories.LawsuitFactory()
    court = lawsuit.court
    client.force_login(superuser)

    response = client.post(admin_url(Court, "delete", court), {"post": "yes"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "would require deleting the following protected related objects" in body
    assert str(lawsuit) in body
    assert Court.objects.filter(pk=court.pk).exists()

    response = client.post(
        admin_url(Court, "changelist"),
        {"action": "delete_selected", "_selected_action": [court.pk], "post": "yes"},
    )

    assert response.status_code == 200
    assert "protected related objects" in response.content.decode()
    assert Court.objects.filter(pk=court.pk).exists()


def test_court_identifier_cannot_be_edited_once_saved(client, superuser):
    court = factories.CourtFactory()
    client.force_login(superuser)
    response = client.get(admin_url(Court, "change", court))
    assert "id" not in response.context["adminform"].form.fields


# --- create_editor ------------------------------------------------------------------------------


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_create_editor_makes_a_staff_editor_who_can_use_the_admin(
    client, editors_group, fast_hashing
):
    password = "plaid-ferret-quarry-71"
    out = io.StringIO()

    call_command(
        "create_editor",
        "alice",
        email="alice@example.org",
        stdin=io.StringIO(password + "\n"),
        stdout=out,
    )

    user = User.objects.get(username="alice")
    assert user.is_staff and user.is_active and not user.is_superuser
    assert user.email == "alice@example.org"
    assert list(user.groups.all()) == [editors_group]
    assert "created" in out.getvalue()
    assert client.login(username="alice", password=password)
    assert client.get(admin_url(Ruling, "changelist")).status_code == 200
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_create_editor_refuses_a_weak_password_or_a_taken_name(editors_group, fast_hashing):
    with pytest.raises(CommandError, match="too common|too short"):
        call_command("create_editor", "bob", stdin=io.StringIO("password\n"))
    assert not User.objects.filter(username="bob").exists()

    User.objects.create_user("carol")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_editor", "carol", stdin=io.StringIO("plaid-ferret-quarry-71\n"))
