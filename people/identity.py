"""National ID numbers (GB 11643-1999) and mobile phone numbers: validation, normalisation, masking,
encryption at rest and the keyed digest used for exact-match search and uniqueness."""

import base64
import datetime
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_SHAPE = re.compile(r"^1[3-9]\d{9}$")


class InvalidIdentity(ValueError):
    """Raised with a message a community worker can act on."""


def normalise(value: str) -> str:
    """Full-width digits and letters to ASCII, spaces and dashes removed, upper case."""
    value = unicodedata.normalize("NFKC", value or "")
    # Zero-width characters come along when numbers are pasted from WeChat.
    return re.sub(r"[\s\-\u200b-\u200d\u2060\ufeff()（）]", "", value).upper()


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdNumberFacts:
    number: str
    birth_date: datetime.date
    gender: str  # "M" or "F": the 17th digit is odd for men, even for women


def id_number_parse(raw: str) -> IdNumberFacts:
    number = normalise(raw)
    if not _ID_SHAPE.match(number):
        raise InvalidIdentity(_("An ID number has 18 characters: 17 digits and a final digit or X."))
    if id_check_char(number[:17]) != number[17]:
        raise InvalidIdentity(_("The ID number's check character is wrong; please check each digit."))
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdentity(_("The ID number holds no valid date of birth.")) from exc
    if birth.year < 1900 or birth > datetime.date.today():
        raise InvalidIdentity(_("The ID number holds no valid date of birth."))
    gender = "M" if int(number[16]) % 2 else "F"
    return IdNumberFacts(number=number, birth_date=birth, gender=gender)


def id_number_mask(number: str) -> str:
    """4301**********1234: region prefix and last four stay readable."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def phone_normalise(raw: str) -> str:
    phone = normalise(raw)
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            return phone[len(prefix) :]
    if len(phone) == 13 and phone.startswith("86"):
        return phone[2:]
    return phone


def phone_validate(raw: str) -> str:
    phone = phone_normalise(raw)
    if not _MOBILE_SHAPE.match(phone):
        raise InvalidIdentity(_("A mobile number has 11 digits and starts with 1, e.g. 13812345678."))
    return phone


def phone_form_clean(raw: str) -> str:
    """A form's optional mobile field: '' stays '', anything else is normalised or a form error."""
    from django import forms

    if not (raw or "").strip():
        return ""
    try:
        return phone_validate(raw)
    except InvalidIdentity as exc:
        raise forms.ValidationError(str(exc)) from exc


def phone_mask(phone: str) -> str:
    """138****5678."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


@lru_cache(maxsize=4)
def _derived_keys(master: str) -> tuple[bytes, bytes]:
    """Two independent keys from the one secret: one encrypts, one keys the search digest."""
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=b"linli-personal-data", info=b"v1").derive(
        master.encode()
    )
    return base64.urlsafe_b64encode(okm[:32]), okm[32:]


def _fernet() -> Fernet:
    return Fernet(_derived_keys(settings.LINLI_FIELD_KEY)[0])


def id_number_encrypt(number: str) -> str:
    return _fernet().encrypt(number.encode()).decode()


def id_number_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong LINLI_FIELD_KEY: say so rather than show garbage
        raise RuntimeError(
            "ID number cannot be decrypted: LINLI_FIELD_KEY differs from the one used"
        ) from exc


def blob_encrypt(data: bytes) -> bytes:
    """Files holding personal data (a roster waiting to be confirmed) are kept encrypted on disk."""
    return _fernet().encrypt(data)


def blob_decrypt(token: bytes) -> bytes:
    return _fernet().decrypt(token)


def id_number_digest(number: str) -> str:
    """Keyed HMAC-SHA256: equal numbers give equal digests, and without the key nothing can be guessed."""
    return hmac.new(_derived_keys(settings.LINLI_FIELD_KEY)[1], number.encode(), hashlib.sha256).hexdigest()
