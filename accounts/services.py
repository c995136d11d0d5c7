"""Changes to accounts."""

import secrets

from django.db import transaction

from accounts.models import User


def _free_username() -> str:
    while True:
        username = f"p{secrets.token_hex(4)}"
        if not User.objects.filter(username=username).exists():
            return username


@transaction.atomic
def person_create(*, actor, full_name: str, phone: str = "", resident=None) -> User:
    """A person who can hold a post: a new account that cannot log in until someone sets a password.

    `resident` links the account to the person's own resident record (so we know where a leader lives).
    """
    user = User(username=_free_username(), full_name=full_name, phone=phone, resident=resident)
    user.set_unusable_password()
    user.save()
    return user
