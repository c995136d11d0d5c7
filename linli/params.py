"""Reading numbers out of query strings and form values without trusting them."""

import re

_ID = re.compile(r"[0-9]{1,18}")
MAX_ID = 2**63 - 1


def int_param(value) -> int | None:
    """A positive database id from untrusted text, or None: ASCII digits only (str.isdigit() also
    accepts '²' and other digits int() or the database refuse), within the range of a bigint."""
    if value is None:
        return None
    text = str(value).strip()
    if not _ID.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
