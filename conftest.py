import pytest

from linli.testing import build_cast


@pytest.fixture
def cast(db):
    """The named users and territory of linli.testing.Cast, built fresh for each test."""
    return build_cast()


@pytest.fixture(autouse=True)
def _chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    settings.AXES_ENABLED = False
    # Argon2 is slow on purpose; tests need no protection against password cracking.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
