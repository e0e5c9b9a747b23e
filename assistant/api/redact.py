"""Keep personal data out of logs: ID-card and mobile numbers in questions are masked.

``mask_personal_data`` is applied where the service logs what a person typed; ``PersonalDataFilter``
is installed on the log handlers when serving, so nothing else that logs such text leaks it either.
"""

from __future__ import annotations

import logging

from assistant.personal_data import mask_personal_data

__all__ = ["PersonalDataFilter", "install_personal_data_filter", "mask_personal_data"]


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
