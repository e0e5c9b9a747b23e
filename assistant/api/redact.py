"""Keep personal data out of logs: ID-card and mobile numbers in questions are masked.

``mask_personal_data`` is applied where the service logs what a person typed; ``PersonalDataFilter``
is installed on the log handlers when serving, so nothing else that logs such text leaks it either.
"""

from __future__ import annotations

import logging
import re

# 18-digit resident ID: 17 digits and a digit or X check character, not inside a longer number.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
# Mainland mobile numbers, optionally with +86 and separators: 138 1234 5678, 138-1234-5678.
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")


def mask_personal_data(text: str) -> str:
    """ID-card numbers keep their region and last four characters; mobiles their first three and last four."""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class PersonalDataFilter(logging.Filter):
    """Masks personal data in the formatted message of every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_personal_data_filter(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of ``logger`` (the root logger by default), once."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())
