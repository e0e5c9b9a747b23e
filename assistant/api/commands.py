"""The `serve`, `ask` and `keys new` subcommands, registered into the `assistant` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from assistant.api.auth import KEY_ID_LENGTH, ROLES, ApiKeyConfigError, hash_key, key_entry, new_key
from assistant.config import get_settings
from assistant.errors import AssistantError

AddCommand = Callable[..., Any]  # build_parser's add(name, handler, help, parent=...)


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.api.app import serve

    serve(get_settings(), host=args.host, port=args.port)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer with the same service the API uses; the draft streams to a terminal's stderr while it is written."""
    from assistant.answer.service import checked_question
    from assistant.components import Components

    question = checked_question(args.question)  # refused before any model loads
    components = Components(get_settings())
    show_draft = sys.stderr.isatty() and not args.json
    answer = None
    for event in components.answerer.stream(question):
        if event.type == "token" and show_draft:
            print(event.token, end="", file=sys.stderr, flush=True)
        elif event.type == "done":
            answer = event.answer
    if show_draft:
        print("\n", file=sys.stderr)
    assert answer is not None, "the answer service ends every stream with a done event"
    if args.json:
        print(json.dumps(answer.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    for c in answer.citations:
        print(f"[{c.n}] 《{c.title}》 {c.section}".rstrip())
    return 0


def cmd_keys_new(args: argparse.Namespace) -> int:
    if args.name and any(ch in args.name for ch in ",:"):
        raise ApiKeyConfigError(f"key name {args.name!r} may not contain ',' or ':'")
    key = new_key()
    _log_key_creation(key, args.role, args.name)
    print(f"API key (shown only now; give it to the client): {key}")
    print("Add this entry to ASSISTANT_API_KEYS (entries are comma-separated):")
    print(key_entry(key, args.role, args.name))
    return 0


def _log_key_creation(key: str, role: str, name: str | None) -> None:
    """Log the new key by its id (what the API logs its requests under), never the key itself; no key is
    handed out unless its creation is stored in the audit log."""
    from assistant.audit.log import KEY_CREATION, OPERATOR
    from assistant.components import Components

    components = Components(get_settings())
    try:
        key_id = hash_key(key)[:KEY_ID_LENGTH]
        components.audit.record(KEY_CREATION, OPERATOR, {"new_key_id": key_id, "role": role, "name": name})
        components.audit.flush()
        if components.audit.lost:
            raise AssistantError("the key's creation could not be written to the audit log; no key was made")
    finally:
        components.close()


def add_service_commands(add: AddCommand) -> None:
    """Register the subcommands with ``add(name, handler, help, parent)`` of ``build_parser``."""
    p = add("serve", cmd_serve, "Run the HTTP API (uvicorn)")
    p.add_argument("--host", help="listen address (default: ASSISTANT_API_HOST)")
    p.add_argument("--port", type=int, help="port (default: ASSISTANT_API_PORT)")

    p = add("ask", cmd_ask, "Ask a question; the answer cites the passages it uses")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the whole answer as JSON")

    keys = add("keys", lambda a: 2, "Manage API keys").add_subparsers(dest="keys_command", required=True)
    p = add("new", cmd_keys_new, "Make a new API key and print its ASSISTANT_API_KEYS entry", keys)
    p.add_argument("--role", choices=ROLES, required=True, help="public, staff or admin")
    p.add_argument("--name", help="a label for logs, e.g. the client's name")
