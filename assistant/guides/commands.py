"""The `assistant guide` subcommand, registered into the `assistant` command line."""

from __future__ import annotations

import argparse
import json
from typing import Any

from assistant.config import get_settings


def cmd_guide(args: argparse.Namespace) -> int:
    """Print the guide the API and the chat give for the same question."""
    from assistant.components import Components

    components = Components(get_settings())
    try:
        guide = components.guides.guide(args.question, access=[] if args.all_access else None)
    finally:
        components.close()
    if args.json:
        print(json.dumps(guide.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(guide.as_text())
    return 0


def add_guide_commands(subparsers: Any) -> None:
    """Register ``guide`` on the top-level subparsers of ``build_parser``."""
    help_ = 'A step-by-step guide for a life event or goal ("一件事"), from the service catalogue'
    p = subparsers.add_parser("guide", help=help_, description=help_)
    p.set_defaults(handler=cmd_guide)
    p.add_argument("question", help="the event or goal in your own words, e.g. 我在工作中受伤了，要办哪些手续")
    p.add_argument("--json", action="store_true", help="print the whole guide as JSON")
    p.add_argument("--all-access", action="store_true", help="include internal documents' items (staff use)")
