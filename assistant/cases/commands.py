"""`assistant case create|upload|transition|list|show|notice|delete|gc`: the case service from the terminal.

The operator at the terminal acts as staff (``--as admin`` for extensions and deletion); every
command calls the same ``CaseService`` as the API. Only ``create`` reads the catalogue (the vector
store); the others need the relational store alone, so they run beside a serving process.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.cases.service import Actor, Applicant, CaseService, NewMaterial, Step, WorklistQuery
from assistant.cases.states import ACTIONS, STATES, state_label
from assistant.config import get_settings
from assistant.errors import AssistantError


@contextmanager
def _service() -> Iterator[CaseService]:
    """The case service of a fresh set of components, closed afterwards (the embedded store is released)."""
    from assistant.components import Components

    components = Components(get_settings())
    try:
        yield components.cases
    finally:
        components.close()


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))  # dates and times as ISO text


def _actor(args: argparse.Namespace) -> Actor:
    return Actor(args.actor, args.role)


def _materials(paths: list[str] | None, slots: list[int] | None) -> list[NewMaterial]:
    paths = paths or []
    if slots and len(slots) != len(paths):
        raise AssistantError(f"{len(paths)} files but {len(slots)} --slot values: give one per file, or none")
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise AssistantError(f"no such file: {', '.join(missing)}")
    return [NewMaterial(Path(p).name, Path(p).read_bytes(), slots[i] if slots else None) for i, p in enumerate(paths)]


def _show(view: Any, as_json: bool) -> None:
    if as_json:
        _print_json(view.as_dict())
        return
    d = view.deadline
    print(f"{view.number}  {view.title}")
    print(f"  状态：{state_label(view.state)}（{view.state}）  版本 {view.version}  部门：{view.department}")
    print(f"  申请人：{view.applicant.name}  {view.applicant.id_number}  {view.applicant.phone}")
    print(f"  期限：{d.due_on or '—'}  剩余 {d.days_left if d.days_left is not None else '—'} 个工作日  灯：{d.light}")
    for note in d.notes:
        print(f"  注：{note}")
    for sub in view.sub_cases:
        print(f"  [{sub.position}] {sub.item_id} {sub.item_name}（{sub.department}）{sub.outcome or ''}")
    for m in view.materials:
        print(f"  材料 {m.id}: slot {m.slot}  {m.name}  {m.size} B  {m.sha256[:12]}")
    for t in view.history:
        print(f"  {t.at:%Y-%m-%d %H:%M} {t.actor}({t.role}) {t.action}: {t.from_state} → {t.to_state}  {t.reason}")
    print(f"  可做：{', '.join(view.allowed_actions) or '—'}")


def cmd_create(args: argparse.Namespace) -> int:
    try:
        form = json.loads(args.form) if args.form else {}
    except json.JSONDecodeError as exc:
        raise AssistantError(f"--form is not a JSON object: {exc}") from None
    applicant = Applicant(args.kind, args.name, args.id_number, args.phone)
    with _service() as cases:
        submission = cases.create(
            applicant, args.item, _actor(args), form=form, title=args.title, materials=_materials(args.file, args.slot)
        )
    if args.json:
        _print_json(submission.as_dict())
    else:
        _show(submission.case, False)
        print(f"verification code (shown once): {submission.code}")
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    with _service() as cases:
        view = cases.upload(args.number, _materials(args.files, args.slot), _actor(args), args.version)
    _show(view, args.json)
    return 0


def cmd_transition(args: argparse.Namespace) -> int:
    step = Step(
        action=args.action,
        reason=args.reason,
        version=args.version,
        outcome=args.outcome,
        procedure=args.procedure,
        department=args.department,
        assignee=args.assignee,
        legal_basis=args.legal_basis or "",
        review_body=args.review_body or "",
        court=args.court or "",
    )
    with _service() as cases:
        view = cases.transition(args.number, step, _actor(args), _materials(args.file, args.slot))
    _show(view, args.json)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    query = WorklistQuery(
        tuple(args.state or ()), args.item, args.department, args.light, args.assignee, args.page, args.page_size
    )
    with _service() as cases:
        page = cases.worklist(query)
    if args.json:
        _print_json(page.as_dict())
        return 0
    for c in page.cases:
        d = c.deadline
        left = "—" if d.days_left is None else str(d.days_left)
        print(f"{d.light:6} {str(d.due_on or '—'):10} {left:>4}  {c.number}  {state_label(c.state)}  {c.title}")
    print(f"{page.total} cases (page {page.page}, {page.page_size} per page)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _service() as cases:
        _show(cases.get(args.number), args.json)
    return 0


def cmd_notice(args: argparse.Namespace) -> int:
    with _service() as cases:
        name, data = cases.notice(args.number, args.kind)
    out = Path(args.out or name)
    out.write_bytes(data)
    print(f"{out}", file=sys.stderr)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with _service() as cases:
        cases.delete(args.number, _actor(args))
    print(f"deleted {args.number}")
    return 0


def cmd_gc(args: argparse.Namespace) -> int:
    with _service() as cases:
        print(f"removed {cases.sweep_blobs()} unreferenced stored materials")
    return 0


def add_case_commands(subparsers: Any) -> None:
    """Register `assistant case …`."""
    case = subparsers.add_parser("case", help="办件: submit and handle cases")
    sub = case.add_subparsers(dest="case_command", required=True)

    def add(name: str, handler: Any, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        p.add_argument("--actor", default="operator", help="who acts (recorded in the history)")
        p.add_argument("--as", dest="role", choices=["staff", "admin", "applicant"], default="staff")
        p.add_argument("--json", action="store_true")
        return p

    p = add("create", cmd_create, "Submit a case for catalogue items; prints the verification code once")
    p.add_argument("--item", action="append", required=True, help="catalogue id (TASK_CODE); repeatable")
    p.add_argument("--kind", choices=["person", "enterprise"], default="person")
    p.add_argument("--name", required=True, help="applicant name")
    p.add_argument("--id-number", required=True, help="身份证号 or 统一社会信用代码")
    p.add_argument("--phone", required=True)
    p.add_argument("--form", help="form data as a JSON object")
    p.add_argument("--title")
    p.add_argument("--file", action="append", help="a material; repeatable")
    p.add_argument("--slot", action="append", type=int, help="checklist slot of each --file, in order")

    p = add("upload", cmd_upload, "Add materials to a case")
    p.add_argument("number")
    p.add_argument("files", nargs="+")
    p.add_argument("--slot", action="append", type=int, help="checklist slot of each file, in order")
    p.add_argument("--version", type=int, help="the version you saw (refused if the case moved on)")

    p = add("transition", cmd_transition, f"Make an action: {', '.join(ACTIONS)}")
    p.add_argument("number")
    p.add_argument("action", choices=list(ACTIONS))
    p.add_argument("--reason", required=True)
    p.add_argument("--version", type=int, help="the version you saw (refused if the case moved on)")
    p.add_argument("--outcome", choices=["approved", "denied"], help="decide")
    p.add_argument("--procedure", help="start_special: 听证/检验/检测/鉴定/专家评审")
    p.add_argument("--department", help="assign")
    p.add_argument("--assignee", help="assign")
    p.add_argument("--legal-basis", help="reject / decide denied")
    p.add_argument("--review-body", help="reject / decide denied: 行政复议机关")
    p.add_argument("--court", help="reject / decide denied: 人民法院")
    p.add_argument("--file", action="append", help="materials brought with this step; repeatable")
    p.add_argument("--slot", action="append", type=int)

    p = add("list", cmd_list, "The worklist, nearest deadline first")
    p.add_argument("--state", action="append", choices=STATES, help="repeatable; default: every open state")
    p.add_argument("--item")
    p.add_argument("--department")
    p.add_argument("--light", choices=["green", "yellow", "red", "none"])
    p.add_argument("--assignee")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--page-size", type=int, default=50)

    p = add("show", cmd_show, "A case with its materials and history")
    p.add_argument("number")

    p = add("notice", cmd_notice, "Write a notice of the case as .docx")
    p.add_argument("number")
    p.add_argument("kind", help="acceptance, correction, refusal-to-accept, refusal, extension (or the Chinese name)")
    p.add_argument("--out", help="file to write (default: NUMBER-KIND.docx here)")

    p = add("delete", cmd_delete, "Delete a finished case whole (--as admin)")
    p.add_argument("number")

    add("gc", cmd_gc, "Remove stored material bytes nothing refers to (after a crash)")
