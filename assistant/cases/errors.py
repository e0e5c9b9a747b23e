"""What can go wrong with a case, each error saying what was wrong (the API maps them to statuses)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.cases.views import CaseView


class CaseError(AssistantError):
    """A request about a case that cannot be carried out as it is (HTTP 422)."""


class CaseNotFound(AssistantError):
    """No such case, or the verification code does not open it (HTTP 404, never 403: a wrong code and
    another applicant's case look the same)."""


class UnknownItem(CaseError):
    """A catalogue id that no ingested service item has."""


class BadApplicant(CaseError):
    """The applicant's name, identity number or phone is missing or invalid."""


class IllegalTransition(CaseError):
    """An action the case's state or the actor's role does not allow; the message names both."""


class CaseForbidden(AssistantError):
    """The actor's role may not do this to a case (HTTP 403)."""


class MaterialRefused(CaseError):
    """An uploaded material that cannot be stored: empty, unnamed, or for a slot the checklist lacks."""


class MaterialTooLarge(AssistantError):
    """An uploaded material over ``max_file_mb`` (HTTP 413)."""


class CaseConflict(AssistantError):
    """Someone changed the case since the caller read it (optimistic locking, HTTP 409); ``case`` is the
    case as it is now, so the caller can look again and decide."""

    def __init__(self, message: str, case: CaseView) -> None:
        super().__init__(message)
        self.case = case
