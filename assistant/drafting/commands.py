"""`assistant draft new|check|types`: draft a 公文, check a document's format, list the document types."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

from assistant.config import get_settings
from assistant.drafting.check import check_file
from assistant.drafting.doctypes import DOC_TYPES, TEMPLATE_NAMES
from assistant.errors import AssistantError


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_draft_new(args: argparse.Namespace) -> int:
    """Draft with the same service the API uses; the body streams to a terminal's stderr while it is written."""
    from assistant.components import Components
    from assistant.drafting.service import DraftRequest
    from assistant.drafting.store import DraftStore
    from assistant.retrieval.store import SearchFilter

    settings = get_settings()
    components = Components(settings)
    request = DraftRequest(
        doc_type=args.type,
        issuer=args.issuer,
        subject=args.subject,
        recipients=args.to or [],
        points=args.point or [],
        doc_number=args.number,
        date=_date(args.date),
        attachments=args.attachment or [],
        cc=args.cc or [],
        signer=args.signer,
        contact=args.contact,
        reply_to=args.reply_to,
        query=args.query,
        doc_ids=args.doc_id or [],
    )
    # The local operator drafts from every document, internal ones included.
    events = components.drafter.stream(request, SearchFilter(access=["public", "internal"]))
    show_body = sys.stderr.isatty() and not args.json
    draft = None
    try:
        for event in events:
            if event.type == "token" and show_body:
                print(event.token, end="", file=sys.stderr, flush=True)
            elif event.type == "done":
                draft = event.draft
    finally:
        components.close()
    if show_body:
        print("\n", file=sys.stderr)
    assert draft is not None, "the draft service ends every stream with a done event"
    saved = DraftStore(settings.data_dir).save(draft)
    out = Path(args.out) if args.out else saved.docx_path
    if args.out:
        shutil.copyfile(saved.docx_path, out)
    if args.json:
        _print_json({**saved.as_dict(), "docx": str(out)})
    else:
        print(saved.text, end="")
        for finding in saved.findings:
            print(f"finding: {finding.where}  {finding.rule}  {finding.message}", file=sys.stderr)
    print(f"draft {draft.id} written to {out}", file=sys.stderr)
    if saved.unverified_fonts:
        print(
            f"note: the .docx names fonts this machine does not have ({'、'.join(saved.unverified_fonts)}); "
            "a machine with them shows the right faces, others substitute",
            file=sys.stderr,
        )
    return 0


def cmd_draft_check(args: argparse.Namespace) -> int:
    findings = check_file(Path(args.file), args.type)
    if args.json:
        _print_json({"findings": [f.as_dict() for f in findings]})
    else:
        for finding in findings:
            print(f"{finding.where}  {finding.rule}  {finding.message}")
        if not findings:
            print(f"{args.file}: no findings")
    return 1 if findings else 0


def cmd_draft_types(args: argparse.Namespace) -> int:
    if args.json:
        _print_json({"types": [{**vars(t), "has_template": t.has_template} for t in DOC_TYPES.values()]})
        return 0
    for t in DOC_TYPES.values():
        mark = "template" if t.has_template else "        "
        print(f"{t.name:<3}\t{mark}\t{t.direction}\t{t.purpose}")
    return 0


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AssistantError(f"--date {text!r} is not an ISO date such as 2026-07-01") from None


def add_draft_commands(subparsers: Any) -> None:
    """Register `draft new`, `draft check` and `draft types` under the `assistant` subcommands."""
    draft = subparsers.add_parser("draft", help="Draft official documents (公文) and check their format")
    sub = draft.add_subparsers(dest="draft_command", required=True)

    p = sub.add_parser("new", help="Draft a document grounded in the policy documents; writes a .docx")
    p.set_defaults(handler=cmd_draft_new)
    p.add_argument("--type", required=True, help=f"document type: {'、'.join(TEMPLATE_NAMES)}")
    p.add_argument("--issuer", required=True, help="issuing body (发文机关)")
    p.add_argument("--subject", required=True, help="事由, e.g. 报送人工智能应用场景")
    p.add_argument("--to", action="append", help="recipient (主送机关); repeatable")
    p.add_argument("--point", action="append", help="a key point the body covers; repeatable")
    p.add_argument("--number", help="发文字号, e.g. 吉科发〔2026〕12号")
    p.add_argument("--date", help="成文日期 as ISO date (default today)")
    p.add_argument("--attachment", action="append", help="attachment name; repeatable")
    p.add_argument("--cc", action="append", help="抄送机关; repeatable")
    p.add_argument("--signer", help="签发人 (请示, 报告)")
    p.add_argument("--contact", help="附注: contact person and telephone")
    p.add_argument("--reply-to", help="批复: the title of the 请示 it answers")
    p.add_argument("--query", help="search query for the grounding passages (default: subject and points)")
    p.add_argument("--doc-id", action="append", help="ground in this document only; repeatable")
    p.add_argument("--out", help="also write the .docx here (it is always stored under DATA_DIR/drafts)")
    p.add_argument("--json", action="store_true", help="print the whole draft as JSON")

    p = sub.add_parser("check", help="Check a .txt or .docx against the 公文 format rules (exit 1 on findings)")
    p.set_defaults(handler=cmd_draft_check)
    p.add_argument("file")
    p.add_argument("--type", help="check as this document type instead of the one in the title")
    p.add_argument("--json", action="store_true", help='print {"findings": [...]}')

    p = sub.add_parser("types", help="List the 15 document types and which have drafting templates")
    p.set_defaults(handler=cmd_draft_types)
    p.add_argument("--json", action="store_true")
