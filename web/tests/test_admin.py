"""Every model of our apps is in the admin, and its pages open for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import User

OUR_APPS = {"accounts", "territory", "people", "leaders", "audit"}
OUR_MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in OUR_APPS
)


@pytest.fixture
def superuser_client(client, cast):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    return client


def test_every_model_of_our_apps_is_registered():
    from django.apps import apps

    models = {
        (model._meta.app_label, model._meta.model_name)
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.model_name.startswith("historical")
    }
    assert models == set(OUR_MODELS)


@pytest.mark.parametrize(("app_label", "model_name"), OUR_MODELS)
def test_superuser_opens_changelist_add_and_change_pages(superuser_client, app_label, model_name):
    from django.apps import apps

    model = apps.get_model(app_label, model_name)
    model_admin = admin.site._registry[model]
    assert superuser_client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200
    add = superuser_client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)
    first = model.objects.order_by("pk").first()
    if first is not None:
        change = superuser_client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[first.pk]))
        assert change.status_code == 200


@pytest.mark.parametrize(("app_label", "model_name"), OUR_MODELS)
def test_changelist_search_answers(superuser_client, app_label, model_name):
    response = superuser_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"), {"q": "幸福"})
    assert response.status_code == 200


def test_admin_index_labels_models_by_their_verbose_names(superuser_client):
    from django.apps import apps
    from django.utils.text import capfirst
    from django.utils.translation import override

    with override("zh-hans"):
        content = superuser_client.get(reverse("admin:index")).content.decode()
        for app_label, model_name in OUR_MODELS:
            assert str(capfirst(apps.get_model(app_label, model_name)._meta.verbose_name_plural)) in content
