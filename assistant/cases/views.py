"""What the case service hands out: plain dataclasses with ``as_dict`` for the API, CLI and UI.

An applicant's view (``as_dict(for_applicant=True)``) leaves out who on the staff handled the case and
the staff member it is assigned to; everything else about their own case is theirs to see.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from assistant.cases.states import ACTION_LABELS, state_label


@dataclass(frozen=True)
class ApplicantView:
    kind: str
    name: str
    id_number: str
    phone: str


@dataclass(frozen=True)
class DeadlineView:
    """The running deadline of a case or sub-case: ``light`` green/yellow/red, or none when no clock runs."""

    due_on: date | None
    legal_due_on: date | None
    days_left: int | None
    light: str
    paused: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubCaseView:
    position: int
    item_id: str
    item_name: str
    department: str
    matter_type: str
    legal_days: int | None
    promised_days: int | None
    outcome: str | None
    deadline: DeadlineView


@dataclass(frozen=True)
class MaterialView:
    id: int
    slot: int | None
    name: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str


@dataclass(frozen=True)
class TransitionView:
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    from_state: str | None
    to_state: str
    reason: str
    details: dict[str, Any]

    def as_dict(self, for_applicant: bool = False) -> dict[str, Any]:
        data = asdict(self)
        data |= {
            "action_label": ACTION_LABELS.get(self.action, "提交申请"),
            "from_label": state_label(self.from_state) if self.from_state else None,
            "to_label": state_label(self.to_state),
        }
        if for_applicant and self.role != "applicant":
            data["actor"] = "工作人员"
        return data


@dataclass(frozen=True)
class CaseView:
    number: str
    title: str
    event_key: str | None
    state: str
    applicant: ApplicantView
    department: str
    assignee: str | None
    form: dict[str, Any]
    checklist: list[dict[str, Any]]
    received_on: date
    created_at: datetime
    updated_at: datetime
    version: int
    deadline: DeadlineView
    sub_cases: list[SubCaseView]
    materials: list[MaterialView]
    history: list[TransitionView]
    allowed_actions: list[str] = field(default_factory=list)

    def as_dict(self, for_applicant: bool = False) -> dict[str, Any]:
        data = asdict(self)
        data["state_label"] = state_label(self.state)
        data["history"] = [t.as_dict(for_applicant) for t in self.history]
        if for_applicant:
            data["assignee"] = None
        return data


@dataclass(frozen=True)
class Submission:
    """A new case and its verification code: the only time the code is ever shown."""

    case: CaseView
    code: str

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case.as_dict(), "code": self.code}


@dataclass(frozen=True)
class CaseSummary:
    """One worklist row."""

    number: str
    title: str
    state: str
    applicant_name: str
    department: str
    assignee: str | None
    item_ids: list[str]
    received_on: date
    version: int
    deadline: DeadlineView

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"state_label": state_label(self.state)}


@dataclass(frozen=True)
class WorklistPage:
    cases: list[CaseSummary]
    total: int  # matching cases, counted up to service.COUNT_CAP
    page: int
    page_size: int
    total_capped: bool = False  # more than ``total`` match

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": [c.as_dict() for c in self.cases],
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "total_capped": self.total_capped,
        }
