"""The JSON API (django-ninja), OpenAPI 3 at /api/docs. Each app adds its router in its api.py;
every endpoint reads through the viewer-scoped querysets, like the pages. Session authentication
(django_auth) also enforces CSRF on unsafe methods."""

from ninja import NinjaAPI
from ninja.security import django_auth

from leaders.api import router as leaders_router
from people.api import router as people_router
from territory.api import router as territory_router

api = NinjaAPI(title="Linli API", version="1", auth=django_auth, urls_namespace="api")
api.add_router("/territory", territory_router)
api.add_router("/people", people_router)
api.add_router("/leaders", leaders_router)
