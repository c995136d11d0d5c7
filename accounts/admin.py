from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Linli"), {"fields": ["full_name", "phone", "resident"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Linli"), {"fields": ["full_name", "phone", "resident"]}),
    ]
    list_display = ["username", "full_name", "phone", "is_staff", "is_active", "last_login"]
    search_fields = ["username", "full_name", "phone", "email"]
    autocomplete_fields = ["resident"]
