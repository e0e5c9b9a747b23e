"""The `assistant audit search|export|prune` subcommands, registered into the `assistant` command line.

They open only the relational store (never the vector store), so they run beside a serving process.
What they do is logged like everything else, as the command-line operator (key id ``cli``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.audit.log import AUDIT_READ, KINDS, OPERATOR
from assistant.audit.query import AuditQuery, csv_lines, search
from assistant.audit.retention import prune
from assistant.config import get_settings
from assistant.errors import AssistantError


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date or time, e.g. 2026-06-01 or 2026-06-01T08:00"
        ) from None


def _query(args: argparse.Namespace, limit: int | None = None) -> AuditQuery:
    if args.since and args.until and args.since >= args.until:
        raise AssistantError(f"--since {args.since} is not before --until {args.until}")
    return AuditQuery(since=args.since, until=args.until, key_ids=args.key or [], kinds=args.kind or [], limit=limit)


def _with_audit(work: Any) -> int:
    from assistant.components import Components

    components = Components(get_settings())
    try:
        return work(components.audit)
    finally:
        components.close()


def cmd_search(args: argparse.Namespace) -> int:
    query = _query(args, args.limit)

    def run(audit: Any) -> int:
        entries = search(audit.database, query)
        audit.record(AUDIT_READ, OPERATOR, {"format": "cli", **query.selection(), "entries": len(entries)})
        for entry in entries:
            if args.json:
                print(json.dumps(entry, ensure_ascii=False))
            else:
                detail = json.dumps(entry["detail"], ensure_ascii=False)
                print(f"{entry['at']}  {entry['kind']:16} {entry['key_id']:12} {entry['role']:8} {detail}")
        return 0

    return _with_audit(run)


def cmd_export(args: argparse.Namespace) -> int:
    query = _query(args)

    def run(audit: Any) -> int:
        audit.record(AUDIT_READ, OPERATOR, {"format": "csv", **query.selection()})
        audit.flush()
        if not args.out:
            sys.stdout.writelines(csv_lines(audit.database, query))
            return 0
        with Path(args.out).open("w", encoding="utf-8", newline="") as out:
            out.writelines(csv_lines(audit.database, query))
        return 0

    return _with_audit(run)


def cmd_prune(args: argparse.Namespace) -> int:
    days = get_settings().audit_retention_days

    def run(audit: Any) -> int:
        result = prune(audit, days, OPERATOR)
        print(f"deleted {result.deleted} audit entries older than {result.cutoff.isoformat(timespec='seconds')} UTC "
              f"({days} days); logged as {result.entry_id}")  # fmt: skip
        return 0

    return _with_audit(run)


def add_audit_commands(subparsers: Any) -> None:
    """Register ``audit search|export|prune`` on the top-level subparsers of ``build_parser``."""
    audit = subparsers.add_parser("audit", help="Read, export or prune the audit log", description="The audit log")
    commands = audit.add_subparsers(dest="audit_command", required=True)
    for name, handler, help_ in (
        ("search", cmd_search, "Print audit entries, oldest first"),
        ("export", cmd_export, "Write audit entries as CSV (id, at, kind, key_id, role, client, request_id, detail)"),
    ):
        p = commands.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        p.add_argument("--since", type=_moment, help="from this time on (ISO; UTC)")
        p.add_argument("--until", type=_moment, help="before this time (ISO; UTC)")
        p.add_argument("--key", action="append", help="only this key id (repeatable)")
        p.add_argument("--kind", action="append", choices=KINDS, help="only this kind (repeatable)")
        if name == "search":
            p.add_argument("--limit", type=int, default=200, help="most entries printed (default 200)")
            p.add_argument("--json", action="store_true", help="one JSON object per line")
        else:
            p.add_argument("--out", help="file to write (default: standard output)")
    help_ = "Delete entries older than ASSISTANT_AUDIT_RETENTION_DAYS (default 180); the prune itself is logged"
    p = commands.add_parser("prune", help=help_, description=help_)
    p.set_defaults(handler=cmd_prune)
