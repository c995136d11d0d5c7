"""The API as a whole: documentation renders, and every route needs a logged-in user."""

import pytest
from django.urls import reverse

from linli.api import api

# One example URL per route, with ids that need not exist: authentication is checked first.
ROUTES = [
    ("get", "/api/territory/units"),
    ("get", "/api/territory/units/1"),
    ("get", "/api/people/households"),
    ("get", "/api/people/households/1"),
    ("get", "/api/people/residents?q=张"),
    ("get", "/api/people/residents/1"),
    ("post", "/api/people/residents/1/reveal"),
    ("get", "/api/leaders/appointments"),
]


def test_route_list_covers_every_operation_in_the_schema():
    schema = api.get_openapi_schema()
    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert len(operations) == len(ROUTES)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_request_is_refused_with_401(client, method, url):
    response = (
        getattr(client, method)(url, content_type="application/json", data={"field": "phone"})
        if (method == "post")
        else client.get(url)
    )
    assert response.status_code == 401


@pytest.mark.django_db
def test_openapi_schema_renders_with_every_router(client):
    response = client.get(reverse("api:openapi-json"))
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/territory/units", "/api/people/households", "/api/leaders/appointments"} <= set(paths)


@pytest.mark.django_db
def test_api_docs_page_renders(client):
    response = client.get(reverse("api:openapi-view"))
    assert response.status_code == 200
    assert b"openapi.json" in response.content
