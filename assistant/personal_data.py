"""Masking of personal data in what a person typed: ID-card and mobile numbers.

One masking for the whole product: the service's logs (``assistant.api.redact``) and the audit log
(``assistant.audit``) both use ``mask_personal_data``.
"""

from __future__ import annotations

import re
from typing import Any

# 18-digit resident ID: 17 digits and a digit or X check character, not inside a longer number.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
# Mainland mobile numbers, optionally with +86 and separators: 138 1234 5678, 138-1234-5678.
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")


def mask_personal_data(text: str) -> str:
    """ID-card numbers keep their region and last four characters; mobiles their first three and last four."""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def mask_everywhere(value: Any) -> Any:
    """``value`` with every string inside it (dict values, list items) masked; other values unchanged."""
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {key: mask_everywhere(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_everywhere(item) for item in value]
    return value
