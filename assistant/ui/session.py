"""Who is using the page: the caller an API key belongs to, as in the API, or the local admin.

The caller lives in each browser session's server-side state, so a page can neither forge nor
widen it. Screens a role may not use are hidden, and every handler checks the role again: the
page's events can be called without the page.
"""

from __future__ import annotations

import uuid

import gradio as gr

from assistant.api.auth import LOCAL_CALLER, ROLES, Caller, KeyRing, Role
from assistant.api.errors import Unauthorized
from assistant.audit.log import Origin

ROLE_NAMES: dict[Role, str] = {"public": "公众", "staff": "工作人员", "admin": "管理员"}


def initial_caller(keys: KeyRing) -> Caller | None:
    """Nobody until signed in when keys are configured; otherwise the single local user (an admin)."""
    return LOCAL_CALLER if keys.local_mode else None


def sign_in(keys: KeyRing, key: str) -> Caller:
    """The caller ``key`` belongs to; ``Unauthorized`` for an empty or unknown key."""
    return keys.identify(key.strip() or None)


def may(caller: Caller | None, role: Role) -> bool:
    return caller is not None and ROLES.index(caller.role) >= ROLES.index(role)


def require(caller: Caller | None, role: Role) -> Caller:
    """The signed-in caller when its role is at least ``role``; ``Unauthorized`` or ``Forbidden`` otherwise."""
    if caller is None:
        raise Unauthorized("sign in with an API key first")
    caller.require(role)
    return caller


def origin_of(request: gr.Request) -> Origin:
    """Where a page's action comes from, for the audit log: the browser's address and a fresh request id."""
    client = getattr(request, "client", None)
    return Origin(client=getattr(client, "host", None), request_id=uuid.uuid4().hex)


def describe(caller: Caller) -> str:
    return f"已登录：{caller.name}（{ROLE_NAMES[caller.role]}）"
