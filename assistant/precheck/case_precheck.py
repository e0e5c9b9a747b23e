"""The pre-check of a case: its stored materials against its checklist, with its decision deadline.

Reads the case and never changes it (state, version and history stay as they are); the latest report
is kept beside the case (table precheck_reports, replaced by the next pre-check, deleted with the case)
so the staff case page can show it without reading every file again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from assistant.cases.item_rules import LICENSING_DEFAULT_DAYS, ChecklistSlot, ItemRules
from assistant.cases.service import CaseService
from assistant.cases.views import CaseView
from assistant.db.models import Case, PrecheckRecord
from assistant.precheck.reading import Material
from assistant.precheck.report import PrecheckReport
from assistant.precheck.service import PrecheckService


class CasePrecheck:
    def __init__(self, cases: CaseService, precheck: PrecheckService) -> None:
        self.cases = cases
        self.precheck = precheck

    def run(self, number: str, actor: str) -> PrecheckReport:
        """Pre-check the case's materials as they are now, and keep the report as the case's latest."""
        view = self.cases.get(number)
        materials = [
            Material(m.name, self.cases.material(view.number, m.id)[1], slot_index=m.slot, material_id=str(m.id))
            for m in view.materials
        ]
        today = self.cases.today()
        report = self.precheck.run(case_rules(view), case_form(view), materials, self.decision_due(view, today), today)
        with self.cases.database.transaction() as session:
            case_id = session.scalar(select(Case.id).where(Case.number == view.number))
            record = session.scalar(select(PrecheckRecord).where(PrecheckRecord.case_id == case_id))
            if record is None:
                record = PrecheckRecord(case_id=case_id)
                session.add(record)
            record.case_version = view.version
            record.created_at = datetime.now(UTC)
            record.created_by = actor
            record.report = report.as_dict()
        return report

    def latest(self, number: str) -> dict[str, Any] | None:
        """The case's latest stored report with when, by whom and at which case version it was made."""
        view = self.cases.get(number)  # CaseNotFound for an unknown number
        with self.cases.database.sessions() as session:
            record = session.scalar(
                select(PrecheckRecord).join(Case, Case.id == PrecheckRecord.case_id).where(Case.number == view.number)
            )
            if record is None:
                return None
            return {
                **record.report,
                "case_version": record.case_version,
                "current": record.case_version == view.version,
                "created_at": record.created_at.isoformat(),
                "created_by": record.created_by,
            }

    def decision_due(self, view: CaseView, today: date) -> date | None:
        """The case's 法定 decision deadline; before acceptance starts its clock, the one it would have if
        accepted today (the longest of its items' decision periods, in working days)."""
        if view.deadline.legal_due_on is not None:
            return view.deadline.legal_due_on
        days = [
            s.legal_days
            if s.legal_days is not None
            else (LICENSING_DEFAULT_DAYS if s.matter_type == "行政许可" else None)
            for s in view.sub_cases
        ]
        known = [d for d in days if d is not None]
        return self.cases.calendar.add_working_days(today, max(known)) if known else None


def case_rules(view: CaseView) -> ItemRules:
    """One set of rules over the case's merged checklist (the slots its materials are filed under)."""
    slots = tuple(
        ChecklistSlot(
            index=int(s["index"]),
            name=str(s["name"]),
            required=bool(s["required"]),
            form=s.get("form", "either"),
            count=int(s.get("count", 1)),
        )
        for s in view.checklist
    )
    return ItemRules(
        item_id=",".join(s.item_id for s in view.sub_cases),
        name="、".join(s.item_name for s in view.sub_cases),
        department=view.department,
        matter_type=",".join(sorted({s.matter_type for s in view.sub_cases})),
        legal_days=None,
        promised_days=None,
        checklist=slots,
    )


def case_form(view: CaseView) -> dict[str, Any]:
    """The form as filed, with the applicant's registered name and number (what the certificates must match)."""
    applicant = view.applicant
    if applicant.kind == "enterprise":
        registered = {"单位名称": applicant.name, "统一社会信用代码": applicant.id_number}
    else:
        registered = {"姓名": applicant.name, "身份证号": applicant.id_number}
    return {**view.form, **registered}
