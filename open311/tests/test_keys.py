"""API keys: the open311_key command, the keys page for street admins, revoking."""

import io

import pytest
from django.core.management import CommandError, call_command

from open311.models import ApiKey
from open311.services import Open311Error, api_key_check, api_key_issue

KEYS = "/open311/v2/keys/"


def _run(*args) -> list[str]:
    out = io.StringIO()
    call_command("open311_key", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_open311_key_prints_the_key_last_and_stores_only_its_hash(cast):
    lines = _run("--name", "12345热线")
    plain = lines[-1]
    key = ApiKey.objects.get()
    assert key.name == "12345热线"
    assert key.street == cast.street
    assert key.prefix == plain[:8]
    stored = [str(getattr(key, field.attname)) for field in ApiKey._meta.concrete_fields]
    assert not any(plain in value for value in stored)
    assert api_key_check(plain) == key


def test_open311_key_revokes_by_prefix(cast):
    plain = _run("--name", "12345热线")[-1]
    _run("--revoke", plain[:8])
    with pytest.raises(Open311Error) as caught:
        api_key_check(plain)
    assert caught.value.code == 403


def test_open311_key_needs_a_street_that_exists(cast):
    with pytest.raises(CommandError):
        _run("--name", "x", "--street", "不存在街道")


def test_keys_page_is_for_street_admins_only(client, cast):
    for user in (cast.staff, cast.cell_leader, cast.resident, cast.outsider):
        client.force_login(user)
        assert client.get(KEYS).status_code == 404
    client.force_login(cast.street_admin)
    assert client.get(KEYS).status_code == 200


def test_keys_page_asks_anonymous_visitors_to_log_in(client, cast):
    response = client.get(KEYS)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_issuing_on_the_page_shows_the_plain_key_once(client, cast):
    client.force_login(cast.street_admin)
    response = client.post(KEYS, {"name": "网格平台", "street": cast.street.pk})
    plain = response.context["issued"]["plain"]
    assert plain in response.content.decode()
    assert api_key_check(plain).name == "网格平台"
    assert plain not in client.get(KEYS).content.decode()


def test_revoking_on_the_page_stops_the_key(client, cast):
    key, plain = api_key_issue(actor=cast.street_admin, name="网格平台", street=cast.street)
    client.force_login(cast.street_admin)
    response = client.post(f"{KEYS}{key.pk}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == cast.street_admin
    with pytest.raises(Open311Error):
        api_key_check(plain)


def test_community_staff_cannot_revoke_a_key(client, cast):
    key, _plain = api_key_issue(actor=cast.street_admin, name="网格平台", street=cast.street)
    client.force_login(cast.staff)
    assert client.post(f"{KEYS}{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_issuing_for_a_street_one_does_not_manage_is_404(client, cast):
    from territory.services import unit_create

    other = unit_create(parent=None, level="street", name="东风街道")
    client.force_login(cast.street_admin)
    assert client.post(KEYS, {"name": "网格平台", "street": other.pk}).status_code == 404
    assert client.post(KEYS, {"name": "网格平台", "street": "abc"}).status_code == 404
    assert not ApiKey.objects.exists()


def test_issuing_without_a_name_says_so_and_issues_nothing(client, cast):
    client.force_login(cast.street_admin)
    response = client.post(KEYS, {"name": "  "})
    assert response.status_code == 200
    assert response.context["issued"] is None
    assert [str(m) for m in response.context["messages"]]
    assert not ApiKey.objects.exists()
