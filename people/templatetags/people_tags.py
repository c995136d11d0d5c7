"""Small pieces the household pages share: ages, badges and the reveal (call) button."""

import datetime

from django import template
from django.utils import timezone

register = template.Library()

REVEAL_FIELDS = ("id_number", "phone", "emergency_phone")


@register.filter
def age(birth_date: datetime.date | None) -> int | str:
    """Whole years from a date of birth to today; '' when unknown."""
    if not birth_date:
        return ""
    today = timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def masked_value(resident, field: str) -> str:
    return {
        "id_number": resident.id_number_masked,
        "phone": resident.phone_masked,
        "emergency_phone": resident.emergency_phone_masked,
    }[field]


@register.inclusion_tag("people/_reveal.html", takes_context=True)
def reveal(context, resident, field: str):
    """The masked value with a button that reveals it (audited); once revealed, a tel: link or the number.

    A view that has revealed a value sets `resident.revealed = {field: value}` before rendering.
    """
    scope = context.get("viewer_scope")
    revealed = getattr(resident, "revealed", {}) or {}
    allowed = field != "id_number" or bool(scope and scope.can_reveal_id_numbers)
    return {
        "resident": resident,
        "field": field,
        "masked": masked_value(resident, field),
        "value": revealed.get(field),
        "is_revealed": field in revealed,
        "allowed": allowed,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("people/_badges.html")
def resident_badges(resident, tags: bool = True):
    return {"special": resident.special_group_labels, "tags": resident.tag_labels if tags else []}


@register.inclusion_tag("people/_badges.html")
def household_badges(household):
    return {"special": getattr(household, "special_labels", []), "tags": []}
