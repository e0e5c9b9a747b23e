"""The case service: every change to a case goes through here, from the API, the CLI and the UI alike.

Knows nothing of HTTP. Each step is one database transaction: a transition, its history row, the
materials it brings and the case's new deadlines commit together or not at all (material bytes are
written first, see ``blobs.py``). Every step checks the case's ``version`` (optimistic locking): a
caller acting on an older version, or losing a race to another, gets ``CaseConflict`` with the case as
it now is, on SQLite and PostgreSQL alike (the UPDATE of the case row carries ``WHERE version = n``).

Deadlines are derived from the history (``clock_events``) by ``deadlines.compute_deadlines`` for each
sub-case's item; the nearest running one is stored on the case (``due_on``) so the worklist can sort
and filter by it in SQL, and the light of a worklist row is computed from it for today. The stored date
moves only with a step, so a case left in 预审 past §32's five days stays red (its 受理 or 补正 notice is
overdue) while its sub-cases show what the law then says: accepted from receipt, the decision period
running (``Deadlines.deemed_accepted``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from assistant.cases.blobs import BlobStore
from assistant.cases.calendar import WorkCalendar
from assistant.cases.deadlines import YELLOW_DAYS, ClockEvent, Deadlines, compute_deadlines
from assistant.cases.errors import (
    BadApplicant,
    CaseConflict,
    CaseError,
    CaseForbidden,
    CaseNotFound,
    IllegalTransition,
    MaterialRefused,
    MaterialTooLarge,
    UnknownItem,
)
from assistant.cases.identifiers import IdentityKind, InvalidIdentifier, normalise_identifier
from assistant.cases.item_rules import ChecklistSlot, ItemRules
from assistant.cases.items import ItemSource
from assistant.cases.notices import MaterialProblem, NoticeFacts, NoticeKind, notice_docx
from assistant.cases.numbering import code_hash, code_matches, new_code, next_case_number
from assistant.cases.states import (
    ACTIONS,
    EXTENSION_DAYS,
    FINAL_STATES,
    OUTCOMES,
    SPECIAL_PROCEDURES,
    STATES,
    CaseRole,
    allowed_actions,
    state_label,
)
from assistant.cases.views import (
    ApplicantView,
    CaseSummary,
    CaseView,
    DeadlineView,
    MaterialView,
    SubCaseView,
    Submission,
    TransitionView,
    WorklistPage,
)
from assistant.db.engine import Database
from assistant.db.models import Case, CaseMaterial, CaseTransition, SubCase
from assistant.guides.materials import clean_material, material_key
from assistant.guides.service import Guide

log = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")
MAX_FORM_BYTES = 64 * 1024
MAX_ITEMS = 20
MAX_PAGE_SIZE = 200
COUNT_CAP = 10_000  # a worklist counts its matches up to this many (total_capped says there are more)
NO_DEADLINE = date(9999, 12, 31)  # queue_on of a case without a running deadline: last in the worklist
_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|400-?\d{3}-?\d{4})$")
# Which clock event each action is (deadlines.py); actions not listed leave the clock alone.
_CLOCK: dict[str, str] = {
    "submit": "received",
    "resubmit": "received",
    "request_correction": "correction_requested",
    "accept": "accepted",
    "start_special": "paused",
    "end_special": "resumed",
    "extend": "extended",
    "decide": "decided",
    "reject": "decided",
    "withdraw": "decided",
}


@dataclass(frozen=True)
class Applicant:
    kind: IdentityKind  # person (身份证号) or enterprise (统一社会信用代码)
    name: str
    id_number: str
    phone: str


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member or admin (by name), or the applicant holding the verification code."""

    name: str
    role: CaseRole


@dataclass(frozen=True)
class NewMaterial:
    name: str
    data: bytes
    slot: int | None = None  # index in the case's checklist; None = not matched to a slot
    media_type: str | None = None


@dataclass(frozen=True)
class Finding:
    """One missing or defective material of a 补正 request (一次性告知: all of them in one request)."""

    material: str
    problem: str
    basis: str = ""
    slot: int | None = None


@dataclass(frozen=True)
class Step:
    """A transition request: ``action`` (states.ACTIONS), a reason, and what that action needs."""

    action: str
    reason: str
    version: int | None = None  # the version the caller saw; None = whatever is current (CLI)
    outcome: str | None = None  # decide: approved | denied, for every sub-case …
    outcomes: dict[int, str] = field(default_factory=dict)  # … or per sub-case position
    procedure: str | None = None  # start_special: 听证/检验/检测/鉴定/专家评审
    findings: tuple[Finding, ...] = ()  # request_correction (missing required slots are added)
    department: str | None = None  # assign
    assignee: str | None = None  # assign
    legal_basis: str = ""  # reject, decide (denied): the provision the refusal rests on
    review_body: str = ""  # reject, decide (denied): the 行政复议机关 the notice names
    court: str = ""  # reject, decide (denied): the 人民法院 for 行政诉讼


@dataclass(frozen=True)
class WorklistQuery:
    states: tuple[str, ...] = ()  # empty = every open (not finished) state
    item_id: str | None = None
    department: str | None = None
    light: str | None = None  # green | yellow | red | none
    assignee: str | None = None
    page: int = 1
    page_size: int = 50


class CaseService:
    """Cases on one database, with one material store, item source and working-day calendar."""

    def __init__(
        self,
        database: Database,
        blobs: BlobStore,
        items: ItemSource | None,
        calendar: WorkCalendar | None = None,
        *,
        number_prefix: str = "GD",
        max_file_mb: int = 50,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.database = database
        self.blobs = blobs
        self.items = items
        self.calendar = calendar or WorkCalendar()
        self.number_prefix = number_prefix
        self.max_file_mb = max_file_mb
        self._now = now or (lambda: datetime.now(UTC))

    # ---- reading -------------------------------------------------------------------------------------

    def today(self) -> date:
        return self._now().astimezone(CHINA).date()

    def get(self, number: str) -> CaseView:
        with self.database.sessions() as session:
            return self._view(session, self._load(session, number))

    def open_as_applicant(self, number: str, code: str) -> CaseView:
        """The case when ``code`` is its verification code; CaseNotFound otherwise (the same for a wrong code
        as for no such case, so a code opens one case and says nothing about others)."""
        with self.database.sessions() as session:
            case = session.scalars(select(Case).where(Case.number == number.strip())).one_or_none()
            if case is None or not code or not code_matches(case.number, code, case.code_hash):
                raise CaseNotFound(f"no case {number.strip()!r} with this verification code")
            return self._view(session, self._load(session, case.number))

    def worklist(self, query: WorklistQuery) -> WorklistPage:
        """Cases sorted by their nearest running deadline (none last), filtered, one page at a time."""
        page_size = min(max(query.page_size, 1), MAX_PAGE_SIZE)
        page = max(query.page, 1)
        conditions = self._worklist_conditions(query)
        columns = (Case.id, Case.number, Case.title, Case.state, Case.applicant_name, Case.department)
        columns += (Case.assignee, Case.received_on, Case.version, Case.due_on, Case.legal_due_on)
        with self.database.sessions() as session:
            # Counted up to COUNT_CAP: a full count of a large office's open cases costs more than the page.
            matching = select(Case.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
            total = session.scalar(select(func.count()).select_from(matching)) or 0
            rows = session.execute(
                select(*columns)  # the columns a row shows: no form, checklist or objects to build
                .where(*conditions)
                .order_by(Case.queue_on, Case.id)  # an index order: no sort of every open case
                .limit(page_size)
                .offset((page - 1) * page_size)
            ).all()
            item_ids: dict[int, list[str]] = {}
            for case_id, item_id in session.execute(
                select(SubCase.case_id, SubCase.item_id)
                .where(SubCase.case_id.in_([r.id for r in rows]))
                .order_by(SubCase.case_id, SubCase.position)
            ):
                item_ids.setdefault(case_id, []).append(item_id)
        today = self.today()
        cases = [
            CaseSummary(
                number=r.number,
                title=r.title,
                state=r.state,
                applicant_name=r.applicant_name,
                department=r.department,
                assignee=r.assignee,
                item_ids=item_ids.get(r.id, []),
                received_on=r.received_on,
                version=r.version,
                deadline=self._stored_deadline(r.state, r.due_on, r.legal_due_on, today),
            )
            for r in rows
        ]
        return WorklistPage(
            cases=cases, total=min(total, COUNT_CAP), page=page, page_size=page_size, total_capped=total > COUNT_CAP
        )

    def material(self, number: str, material_id: int) -> tuple[MaterialView, bytes]:
        with self.database.sessions() as session:
            case = self._load(session, number)
            found = next((m for m in case.materials if m.id == material_id), None)
            if found is None:
                raise CaseNotFound(f"case {case.number} has no material {material_id}")
            return _material_view(found), self.blobs.read(session, found.sha256)

    def notice(self, number: str, kind: str) -> tuple[str, bytes]:
        """The .docx of one of the case's notices (``kind``: Chinese name or slug), filled from the step that
        gives rise to it; its file name and bytes."""
        notice_kind = NoticeKind.parse(kind)
        with self.database.sessions() as session:
            case = self._load(session, number)
            facts = self._notice_facts(case, self._history(session, case), notice_kind)
        return f"{case.number}-{notice_kind.slug}.docx", notice_docx(facts)

    # ---- changing ------------------------------------------------------------------------------------

    def create(
        self,
        applicant: Applicant,
        item_ids: Sequence[str],
        actor: Actor,
        form: dict[str, Any] | None = None,
        title: str | None = None,
        event_key: str | None = None,
        materials: Sequence[NewMaterial] = (),
    ) -> Submission:
        """Submit a new case for catalogue items (one sub-case each); returns it with its verification code."""
        checked = _checked_applicant(applicant)
        rules = self._rules(item_ids)
        form = _checked_form(form)
        for material in materials:
            self._check_material(material)
        code = new_code()
        now = self._now()
        received = now.astimezone(CHINA).date()
        checklist = merged_checklist(rules)
        with self._discarding_on_failure(materials), self.blobs.writing(), self.database.transaction() as session:
            number = next_case_number(session, self.number_prefix, received)
            case = Case(
                number=number,
                title=title or "、".join(r.name for r in rules),
                event_key=event_key,
                applicant_kind=checked.kind,
                applicant_name=checked.name,
                applicant_id=checked.id_number,
                applicant_phone=checked.phone,
                form=form,
                checklist=checklist,
                state="submitted",
                department=rules[0].department,
                assignee=None,
                code_hash=code_hash(number, code),
                received_on=received,
                created_at=now,
                updated_at=now,
                sub_cases=[_sub_case(i, r) for i, r in enumerate(rules)],
            )
            with session.no_autoflush:  # the case is inserted once, at version 1
                session.add(case)
                self._add_materials(session, case, materials, actor, now)
                submitted = self._record(session, case, actor, "submit", None, "submitted", "提交申请", {}, now)
                self._refresh_deadlines(case, [submitted])
        log.info("case %s submitted (%d items) by %s", number, len(rules), actor.name)
        return Submission(case=self.get(number), code=code)

    def upload(
        self, number: str, materials: Sequence[NewMaterial], actor: Actor, version: int | None = None
    ) -> CaseView:
        """Add materials to a case that is not finished; the case's version moves on."""
        if not materials:
            raise MaterialRefused("no file was uploaded")
        for material in materials:
            self._check_material(material)

        def apply(session: Session, case: Case, now: datetime) -> None:
            if case.state in FINAL_STATES or (actor.role == "applicant" and case.state not in _APPLICANT_UPLOADS):
                raise IllegalTransition(
                    f"case {case.number} is {state_label(case.state)}（{case.state}）: "
                    f"{'an applicant' if actor.role == 'applicant' else 'nobody'} can add materials now"
                )
            self._add_materials(session, case, materials, actor, now)

        return self._change(number, version, apply, materials)

    def transition(self, number: str, step: Step, actor: Actor, materials: Sequence[NewMaterial] = ()) -> CaseView:
        """Make ``step.action`` on the case, with the materials it brings, as one step (all or nothing)."""
        action = ACTIONS.get(step.action)
        if action is None:
            raise IllegalTransition(f"unknown action {step.action!r}; the actions are {', '.join(ACTIONS)}")
        if not step.reason.strip():
            raise CaseError(f"{step.action}: give a reason (every transition records why)")
        for material in materials:
            self._check_material(material)

        def apply(session: Session, case: Case, now: datetime) -> None:
            if actor.role not in action.roles:
                raise CaseForbidden(
                    f"{action.label}（{action.name}）is for the {' or '.join(sorted(action.roles))} role, "
                    f"not {actor.role}"
                )
            current = case.state
            if current not in action.sources:
                allowed = allowed_actions(current)
                raise IllegalTransition(
                    f"case {case.number} is {state_label(current)}（{current}）: it cannot be "
                    f"{action.label}（{action.name}）; allowed now: "
                    + ("、".join(f"{ACTIONS[a].label}（{a}）" for a in allowed) or "nothing (the case is finished)")
                )
            details = self._details(session, case, step, actor)
            self._add_materials(session, case, materials, actor, now)
            target = action.target or current
            if step.action == "assign":
                case.department = step.department or case.department
                case.assignee = step.assignee if step.assignee is not None else case.assignee
            if step.action == "decide":
                for sub in case.sub_cases:
                    sub.outcome = details["outcomes"][str(sub.position)]
            case.state = target
            history = self._history(session, case)
            row = self._record(session, case, actor, step.action, current, target, step.reason.strip(), details, now)
            self._refresh_deadlines(case, [*history, row])

        return self._change(number, step.version, apply, materials)

    def delete(self, number: str, actor: Actor) -> None:
        """Remove a finished case whole (records retention): its sub-cases, history and materials, and the
        bytes no other case shares. Open cases cannot be deleted."""
        if actor.role != "admin":
            raise CaseForbidden("deleting a case is for the admin role")
        with self.blobs.writing():
            with self.database.transaction() as session:
                case = self._load(session, number)
                if case.state not in FINAL_STATES:
                    raise IllegalTransition(
                        f"case {case.number} is {state_label(case.state)}（{case.state}）: only a finished case "
                        "(办结, 不予受理 or 撤回) can be deleted"
                    )
                digests = [m.sha256 for m in case.materials]
                session.execute(delete(Case).where(Case.id == case.id))  # the database cascades the rest
                released = self.blobs.release(session, digests)
            self.blobs.remove_files(released)
        log.info("case %s deleted by %s (%d blobs released)", number, actor.name, len(released))

    def sweep_blobs(self) -> int:
        """Remove stored bytes nothing refers to (left by a killed process); returns how many went."""
        with self.blobs.writing(), self.database.transaction() as session:
            return self.blobs.sweep(session)

    # ---- internals -----------------------------------------------------------------------------------

    def _change(
        self,
        number: str,
        version: int | None,
        apply: Callable[[Session, Case, datetime], None],
        materials: Sequence[NewMaterial] = (),
    ) -> CaseView:
        """Load, check the version, apply, commit; CaseConflict with the current case when someone was first."""
        try:
            with self._discarding_on_failure(materials), self.blobs.writing(), self.database.transaction() as session:
                case = self._load(session, number, lock=True)
                if version is not None and case.version != version:
                    raise StaleDataError(f"version {version} != {case.version}")
                now = self._now()
                with session.no_autoflush:  # one UPDATE of the case row: one version per step
                    apply(session, case, now)
                case.updated_at = now  # the UPDATE of the case row checks and bumps its version
                session.flush()
        except StaleDataError:
            current = self.get(number)
            raise CaseConflict(
                f"case {current.number} was changed by someone else (it is now version {current.version}, "
                f"{state_label(current.state)}); look at it again and decide",
                current,
            ) from None
        except IntegrityError as exc:
            raise CaseError(f"case {number} could not be saved: {exc.orig}") from exc
        return self.get(number)

    @contextmanager
    def _discarding_on_failure(self, materials: Sequence[NewMaterial]) -> Iterator[None]:
        """Around a step that stores ``materials``: if it fails, remove the files it wrote for nothing."""
        try:
            yield
        except BaseException:
            if materials and not self.blobs.in_database:
                digests = [hashlib.sha256(m.data).hexdigest() for m in materials]
                with self.blobs.writing(), self.database.sessions() as session:
                    self.blobs.discard(session, digests)
            raise

    def _load(self, session: Session, number: str, lock: bool = False) -> Case:
        """The case; ``lock`` holds its row until the step commits (PostgreSQL: SELECT … FOR UPDATE), so the
        history a step reads is the history of the version it checked: a step racing another waits, then
        sees the other's version and gets CaseConflict. (SQLite serialises writers itself; in ``files``
        mode the material store's lock also covers the whole step.)"""
        statement = select(Case).where(Case.number == number.strip())
        if lock:
            statement = statement.with_for_update(of=Case)
        case = session.scalars(
            statement.options(selectinload(Case.sub_cases), selectinload(Case.materials))
        ).one_or_none()
        if case is None:
            raise CaseNotFound(f"no case {number.strip()!r}")
        return case

    def _history(self, session: Session, case: Case) -> list[CaseTransition]:
        return list(
            session.scalars(select(CaseTransition).where(CaseTransition.case_id == case.id).order_by(CaseTransition.id))
        )

    def _record(
        self,
        session: Session,
        case: Case,
        actor: Actor,
        action: str,
        from_state: str | None,
        to_state: str,
        reason: str,
        details: dict[str, Any],
        now: datetime,
    ) -> CaseTransition:
        row = CaseTransition(
            case=case,
            at=now,
            actor=actor.name,
            role=actor.role,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            details=details,
        )
        session.add(row)
        return row

    def _rules(self, item_ids: Sequence[str]) -> list[ItemRules]:
        ids = list(dict.fromkeys(i.strip() for i in item_ids if i and i.strip()))
        if not ids:
            raise CaseError("a case needs at least one service item (its catalogue id)")
        if len(ids) > MAX_ITEMS:
            raise CaseError(f"a case covers at most {MAX_ITEMS} items, not {len(ids)}")
        if self.items is None:
            raise CaseError("the service-item catalogue is not available to this process")
        return [self.items.rules(i) for i in ids]

    def _check_material(self, material: NewMaterial) -> None:
        name = material.name.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name:
            raise MaterialRefused("a material needs a file name, e.g. 身份证.pdf")
        if not material.data:
            raise MaterialRefused(f"{name} is empty (0 bytes): upload the file itself")
        if len(material.data) > self.max_file_mb * 1024 * 1024:
            mib = len(material.data) / 1024 / 1024
            raise MaterialTooLarge(
                f"{name} is {mib:.1f} MiB; the limit is {self.max_file_mb} MiB (ASSISTANT_MAX_FILE_MB)"
            )

    def _add_materials(
        self, session: Session, case: Case, materials: Iterable[NewMaterial], actor: Actor, now: datetime
    ) -> None:
        for material in materials:
            if material.slot is not None and not 0 <= material.slot < len(case.checklist):
                raise MaterialRefused(
                    f"slot {material.slot} is not in the checklist of case {case.number} "
                    f"(slots 0–{len(case.checklist) - 1})"
                )
            name = material.name.replace("\\", "/").rsplit("/", 1)[-1].strip()
            media_type = material.media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
            digest = self.blobs.put(session, material.data)
            case.materials.append(
                CaseMaterial(
                    slot=material.slot,
                    name=name[:255],
                    media_type=media_type[:100],
                    size=len(material.data),
                    sha256=digest,
                    uploaded_at=now,
                    uploaded_by=actor.name,
                )
            )

    def _details(self, session: Session, case: Case, step: Step, actor: Actor) -> dict[str, Any]:
        """What the action records beside its reason; refuses a step missing what its action needs."""
        if step.action == "start_special":
            if step.procedure not in SPECIAL_PROCEDURES:
                raise CaseError(f"start_special needs a procedure: one of {'、'.join(SPECIAL_PROCEDURES)}")
            return {"procedure": step.procedure}
        if step.action == "decide":
            outcomes = _outcomes(case, step)
            return {"outcomes": outcomes, **(_remedies(step) if "denied" in outcomes.values() else {})}
        if step.action == "reject":
            return _remedies(step)
        if step.action == "extend":
            if any(t.action == "extend" for t in self._history(session, case)):
                raise IllegalTransition(f"case {case.number} was already extended once (行政许可法 §42 allows one)")
            return {"days": EXTENSION_DAYS, "approver": actor.name}  # the admin approving it
        if step.action == "assign":
            if not (step.department or step.assignee):
                raise CaseError("assign needs a department, a staff member or both")
            return {"department": step.department, "assignee": step.assignee}
        if step.action == "request_correction":
            findings = [*step.findings, *_missing_required(case, step.findings)]
            if not findings:
                raise CaseError(
                    "request_correction needs the materials to correct (every required slot already has a file): "
                    "name each one with what is wrong"
                )
            return {"findings": [_finding_dict(case, f) for f in findings]}
        return {}

    def _refresh_deadlines(self, case: Case, history: Sequence[CaseTransition]) -> None:
        """Store each sub-case's and the case's nearest running deadline, derived from the history."""
        events = clock_events(history)
        today = self.today()
        dues: list[Deadlines] = []
        for sub in case.sub_cases:
            deadlines = compute_deadlines(_rules_of(sub), events, today, self.calendar)
            sub.due_on = None if deadlines.paused else deadlines.next_due
            dues.append(deadlines)
        running = [d for d in dues if d.next_due is not None and not d.paused]
        nearest = min(running, key=lambda d: d.next_due or date.max, default=None)
        case.due_on = nearest.next_due if nearest else None
        case.queue_on = case.due_on or NO_DEADLINE
        legal = [d.decision_due for d in dues if d.decision_due is not None]
        case.legal_due_on = min(legal) if legal else None

    def _stored_deadline(self, state: str, due: date | None, legal_due: date | None, today: date) -> DeadlineView:
        """The light of a case from its stored due date (the same rule as deadlines.py's)."""
        if due is None:
            return DeadlineView(None, legal_due, None, "none", state == "special")
        if today > due:
            return DeadlineView(due, legal_due, -max(1, self.calendar.working_days_between(due, today)), "red")
        left = self.calendar.working_days_between(today, due)
        return DeadlineView(due, legal_due, left, "yellow" if left <= YELLOW_DAYS else "green")

    def _worklist_conditions(self, query: WorklistQuery) -> list[Any]:
        conditions: list[Any] = []
        if query.states:
            unknown = [s for s in query.states if s not in STATES]
            if unknown:
                raise CaseError(f"unknown state {unknown[0]!r}; the states are {', '.join(STATES)}")
            conditions.append(Case.state.in_(query.states))
        else:
            conditions.append(Case.state.not_in(FINAL_STATES))
        # IN (subquery) rather than EXISTS: both engines then start from the sub-cases' own index.
        if query.item_id:
            conditions.append(Case.id.in_(select(SubCase.case_id).where(SubCase.item_id == query.item_id.strip())))
        if query.department:
            department = query.department.strip()
            conditions.append(
                or_(
                    Case.department == department,
                    Case.id.in_(select(SubCase.case_id).where(SubCase.department == department)),
                )
            )
        if query.assignee:
            conditions.append(Case.assignee == query.assignee.strip())
        if query.light:
            conditions.append(self._light_condition(query.light))
        return conditions

    def _light_condition(self, light: str) -> Any:
        today = self.today()
        # Yellow: 0–YELLOW_DAYS working days left, i.e. due before the (YELLOW_DAYS+1)-th working day from today.
        green_from = self.calendar.add_working_days(today, YELLOW_DAYS + 1)
        conditions = {  # on queue_on (= due_on, or NO_DEADLINE), the column the worklist's index orders by
            "red": Case.queue_on < today,
            "yellow": and_(Case.queue_on >= today, Case.queue_on < green_from),
            "green": and_(Case.queue_on >= green_from, Case.queue_on < NO_DEADLINE),
            "none": Case.queue_on == NO_DEADLINE,
        }
        if light not in conditions:
            raise CaseError(f"unknown light {light!r}; the lights are {', '.join(conditions)}")
        return conditions[light]

    def _notice_facts(self, case: Case, history: Sequence[CaseTransition], kind: NoticeKind) -> NoticeFacts:
        action = _NOTICE_ACTION[kind]
        steps = [t for t in history if t.action == action]
        if kind is NoticeKind.REFUSAL:
            steps = [t for t in steps if "denied" in t.details.get("outcomes", {}).values()]
        if not steps:
            raise CaseError(
                f"case {case.number} has no {kind.value}: it is issued on {ACTIONS[action].label}（{action}）, "
                f"which this case has not had (it is {state_label(case.state)})"
            )
        step = steps[-1]
        day = _china_date(step.at)
        events = clock_events(t for t in history if t.id <= step.id)
        deadlines = [compute_deadlines(_rules_of(s), events, day, self.calendar) for s in case.sub_cases]
        received = max((d.received for d in deadlines if d.received), default=None)
        accepted = min((d.accepted for d in deadlines if d.accepted), default=None)
        decision_due = min((d.decision_due for d in deadlines if d.decision_due), default=None)
        denied = {p for p, o in step.details.get("outcomes", {}).items() if o == "denied"}
        items = [s.item_name for s in case.sub_cases if kind is not NoticeKind.REFUSAL or str(s.position) in denied]
        problems = tuple(
            MaterialProblem(material=f["material"], problem=f["problem"], basis=f["basis"])
            for f in step.details.get("findings", [])
        )
        return NoticeFacts(
            kind=kind,
            case_number=case.number,
            department=case.department,
            applicant=case.applicant_name,
            items=tuple(items),
            date=day,
            received=received,
            accepted=accepted,
            materials=tuple(dict.fromkeys(m.name for m in case.materials if m.uploaded_at <= step.at)),
            decision_due=decision_due,
            problems=problems,
            reasons=(step.reason,),
            legal_basis=step.details.get("legal_basis", ""),
            extension_days=int(step.details.get("days", 0)),
            review_body=step.details.get("review_body", ""),
            court=step.details.get("court", ""),
            licensing=any(s.matter_type == "行政许可" for s in case.sub_cases),
        )

    def _view(self, session: Session, case: Case) -> CaseView:
        history = self._history(session, case)
        events = clock_events(history)
        today = self.today()
        sub_views = []
        for sub in case.sub_cases:
            d = compute_deadlines(_rules_of(sub), events, today, self.calendar)
            sub_views.append(
                SubCaseView(
                    position=sub.position,
                    item_id=sub.item_id,
                    item_name=sub.item_name,
                    department=sub.department,
                    matter_type=sub.matter_type,
                    legal_days=sub.legal_days,
                    promised_days=sub.promised_days,
                    outcome=sub.outcome,
                    deadline=_deadline_view(d),
                )
            )
        notes = tuple(dict.fromkeys(n for s in sub_views for n in s.deadline.notes))
        stored = self._stored_deadline(case.state, case.due_on, case.legal_due_on, today)
        deadline = DeadlineView(
            stored.due_on, stored.legal_due_on, stored.days_left, stored.light, case.state == "special", notes
        )
        return CaseView(
            number=case.number,
            title=case.title,
            event_key=case.event_key,
            state=case.state,
            applicant=ApplicantView(case.applicant_kind, case.applicant_name, case.applicant_id, case.applicant_phone),
            department=case.department,
            assignee=case.assignee,
            form=case.form,
            checklist=case.checklist,
            received_on=case.received_on,
            created_at=case.created_at,
            updated_at=case.updated_at,
            version=case.version,
            deadline=deadline,
            sub_cases=sub_views,
            materials=[_material_view(m) for m in case.materials],
            history=[_transition_view(t) for t in history],
            allowed_actions=allowed_actions(case.state),
        )


_NOTICE_ACTION = {
    NoticeKind.ACCEPTANCE: "accept",
    NoticeKind.CORRECTION: "request_correction",
    NoticeKind.REFUSAL_TO_ACCEPT: "reject",
    NoticeKind.REFUSAL: "decide",
    NoticeKind.EXTENSION: "extend",
}
_APPLICANT_UPLOADS = frozenset({"submitted", "prereview", "correction"})


def new_case_from_guide(
    cases: CaseService,
    guide: Guide,
    applicant: Applicant,
    actor: Actor,
    form: dict[str, Any] | None = None,
    only: Sequence[str] | None = None,
) -> tuple[Submission, list[str]]:
    """Start a guide's 一件事 as one case: its items (or ``only`` those of them) as sub-cases, titled after
    the guide; also the guide's steps that the catalogue lacks, which the applicant must do elsewhere."""
    listed = [i.item_id for i in guide.items if i.item_id]
    if not guide.found or not listed:
        raise CaseError(f"the guide for “{guide.question}” lists no catalogue item to apply for: {guide.where_to_ask}")
    if only is not None:
        outside = [i for i in only if i not in listed]
        if outside:
            raise UnknownItem(f"item {outside[0]!r} is not one of this guide's items ({', '.join(listed)})")
        listed = [i for i in listed if i in only]
    title = guide.title.removeprefix("一件事：")
    submission = cases.create(applicant, listed, actor, form=form, title=title, event_key=guide.event)
    return submission, list(guide.missing)


def clock_events(history: Iterable[CaseTransition]) -> list[ClockEvent]:
    """The clock events (deadlines.py) a case's history amounts to, in order, dated in China time."""
    events = []
    for row in history:
        kind = _CLOCK.get(row.action)
        if kind is not None:
            days = int(row.details.get("days", 0)) if kind == "extended" else 0
            events.append(ClockEvent(kind, _china_date(row.at), days))  # type: ignore[arg-type]
    return events


def merged_checklist(rules: Sequence[ItemRules]) -> list[dict[str, Any]]:
    """One checklist for all items: a material several items ask for is one slot naming all of them."""
    slots: dict[str, dict[str, Any]] = {}
    for position, rule in enumerate(rules):
        for slot in rule.checklist:
            key = material_key(slot.name)
            entry = slots.setdefault(
                key,
                {
                    "name": clean_material(slot.name),
                    "required": False,
                    "form": slot.form,
                    "count": slot.count,
                    "items": [],
                },
            )
            entry["required"] = entry["required"] or slot.required
            entry["count"] = max(entry["count"], slot.count)
            entry["items"].append(position)
    return [{"index": i, **entry} for i, entry in enumerate(slots.values())]


def _sub_case(position: int, rules: ItemRules) -> SubCase:
    return SubCase(
        position=position,
        item_id=rules.item_id,
        item_name=rules.name,
        department=rules.department,
        matter_type=rules.matter_type,
        legal_days=rules.legal_days,
        promised_days=rules.promised_days,
        accept_standard=rules.accept_standard,
        checklist=[vars(s) for s in rules.checklist],
    )


def _rules_of(sub: SubCase) -> ItemRules:
    """The rules a sub-case was filed under, as stored with it (the catalogue may have changed since)."""
    return ItemRules(
        item_id=sub.item_id,
        name=sub.item_name,
        department=sub.department,
        matter_type=sub.matter_type,
        legal_days=sub.legal_days,
        promised_days=sub.promised_days,
        checklist=tuple(ChecklistSlot(**s) for s in sub.checklist),
        accept_standard=sub.accept_standard,
    )


def _checked_applicant(applicant: Applicant) -> Applicant:
    if applicant.kind not in ("person", "enterprise"):
        raise BadApplicant(f"applicant kind {applicant.kind!r}: use person (个人) or enterprise (企业)")
    name = applicant.name.strip()
    if not name or len(name) > 200:
        raise BadApplicant("the applicant's name is missing (or longer than 200 characters)")
    try:
        number = normalise_identifier(applicant.kind, applicant.id_number)
    except InvalidIdentifier as exc:
        raise BadApplicant(str(exc)) from exc
    phone = re.sub(r"[\s()（）]", "", applicant.phone).removeprefix("+86")
    if not _PHONE.match(phone):
        raise BadApplicant(
            f"电话号码 {applicant.phone.strip() or '（空）'} 无效："
            "请填写 11 位手机号或带区号的固定电话（如 020-12345678）"
        )
    return Applicant(applicant.kind, name, number, phone)


def _checked_form(form: dict[str, Any] | None) -> dict[str, Any]:
    form = form or {}
    if not isinstance(form, dict):
        raise CaseError("form data must be a JSON object of field names and values")
    if len(json.dumps(form, ensure_ascii=False).encode()) > MAX_FORM_BYTES:
        raise CaseError(f"form data is larger than {MAX_FORM_BYTES // 1024} KiB")
    return form


def _outcomes(case: Case, step: Step) -> dict[str, str]:
    positions = [s.position for s in case.sub_cases]
    chosen = {int(k): v for k, v in step.outcomes.items()}
    unknown = set(chosen) - set(positions)
    if unknown:
        raise CaseError(f"case {case.number} has no sub-case {sorted(unknown)[0]} (sub-cases {positions})")
    outcomes = {p: chosen.get(p, step.outcome) for p in positions}
    bad = [p for p, o in outcomes.items() if o not in OUTCOMES]
    if bad:
        raise CaseError(
            f"decide needs an outcome (approved 准予许可 or denied 不予许可) for every sub-case; missing for {bad}"
        )
    return {str(p): str(o) for p, o in outcomes.items()}


def _missing_required(case: Case, given: Sequence[Finding]) -> list[Finding]:
    """Required checklist slots without any uploaded file and not already named in ``given``."""
    filled = {m.slot for m in case.materials}
    named = {f.slot for f in given} | {material_key(f.material) for f in given}
    return [
        Finding(material=s["name"], problem="未提交", slot=s["index"])
        for s in case.checklist
        if s["required"]
        and s["index"] not in filled
        and s["index"] not in named
        and material_key(s["name"]) not in named
    ]


def _finding_dict(case: Case, finding: Finding) -> dict[str, Any]:
    if not finding.material.strip() or not finding.problem.strip():
        raise CaseError("each material to correct needs its name and what is wrong with it")
    basis = finding.basis.strip()
    if not basis:
        slot = case.checklist[finding.slot] if finding.slot is not None and finding.slot < len(case.checklist) else None
        items = [case.sub_cases[p].item_name for p in slot["items"]] if slot else []
        basis = f"《{'》《'.join(items)}》办事指南申请材料" if items else "办事指南申请材料清单"
    return {
        "material": finding.material.strip(),
        "problem": finding.problem.strip(),
        "basis": basis,
        "slot": finding.slot,
    }


def _remedies(step: Step) -> dict[str, str]:
    """What a refusal records for its notice: the provision, and where the applicant may seek review."""
    if not (step.review_body.strip() and step.court.strip()):
        raise CaseError(
            f"{step.action}: a refusal names where the applicant may apply for 行政复议 (review_body) and the "
            "people's court for 行政诉讼 (court)"
        )
    return {
        "legal_basis": step.legal_basis.strip(),
        "review_body": step.review_body.strip(),
        "court": step.court.strip(),
    }


def _deadline_view(d: Deadlines) -> DeadlineView:
    return DeadlineView(d.next_due, d.decision_due, d.days_left, "none" if d.paused else d.light, d.paused, d.notes)


def _material_view(m: CaseMaterial) -> MaterialView:
    return MaterialView(m.id, m.slot, m.name, m.media_type, m.size, m.sha256, m.uploaded_at, m.uploaded_by)


def _transition_view(t: CaseTransition) -> TransitionView:
    return TransitionView(t.id, t.at, t.actor, t.role, t.action, t.from_state, t.to_state, t.reason, dict(t.details))


def _china_date(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).date()
