"""The `assistant precheck` subcommand: 提交前自查 of local files against a catalogue item."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

from assistant.config import get_settings
from assistant.errors import AssistantError


def read_form(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AssistantError(f"--form {path}: not a readable JSON file ({exc})") from exc
    if not isinstance(value, dict):
        raise AssistantError(f"--form {path}: must hold a JSON object of field names to values")
    return value


def cmd_precheck(args: argparse.Namespace) -> int:
    """Print the 预审意见 the API gives for the same item, form and files."""
    from assistant.cases.items import CatalogueItems
    from assistant.components import Components
    from assistant.precheck.reading import Material
    from assistant.precheck.service import item_rules

    missing = [p for p in args.files if not Path(p).is_file()]
    if missing:
        raise AssistantError(f"no such file: {', '.join(missing)}")
    form = read_form(args.form)
    materials = [Material(name=Path(p).name, data=Path(p).read_bytes()) for p in args.files]
    components = Components(get_settings())
    try:
        rules = item_rules(CatalogueItems(lambda: components.catalogue), args.item_id)
        report = components.precheck.run(rules, form, materials, args.decision_due)
    finally:
        components.close()
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if args.json else report.as_text())
    return 0


def cmd_case_precheck(args: argparse.Namespace) -> int:
    """`assistant case precheck NUMBER`: the same pre-check as POST /v1/cases/{number}/precheck."""
    from assistant.components import Components

    components = Components(get_settings())
    try:
        report = components.case_precheck.run(args.number, args.actor)
    finally:
        components.close()
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if args.json else report.as_text())
    return 0


def add_precheck_commands(subparsers: Any) -> None:
    """Register ``precheck`` on the top-level subparsers of ``build_parser``."""
    help_ = "Pre-check application materials against a service item's checklist (提交前自查; nothing is stored)"
    p = subparsers.add_parser("precheck", help=help_, description=help_)
    p.set_defaults(handler=cmd_precheck)
    p.add_argument("item_id", help="the item's catalogue code (TASK_CODE)")
    p.add_argument("files", nargs="*", help="the materials: PDF, .docx, JPG/PNG")
    p.add_argument("--form", help="the application form as a JSON file of field names to values")
    p.add_argument("--decision-due", type=date.fromisoformat, help="decision deadline (yyyy-mm-dd)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
