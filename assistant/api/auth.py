"""API keys and roles.

The operator configures keys as ``ASSISTANT_API_KEYS="sha256hex:role[:name],..."``: only the SHA-256
of each key is stored, never the key. A caller presents its key as ``Authorization: Bearer KEY``
(what OpenAI clients send) or ``X-API-Key: KEY``. Roles are ordered: ``public`` may search and ask
over public documents; ``staff`` also sees internal documents; ``admin`` also manages documents.
With no keys configured the service runs in local single-user mode: every caller is an admin.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

from assistant.api.errors import Forbidden, Unauthorized
from assistant.errors import AssistantError

Role = Literal["public", "staff", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
_ACCESS_BY_ROLE: dict[Role, tuple[str, ...]] = {
    "public": ("public",),
    "staff": ("public", "internal"),
    "admin": ("public", "internal"),
}
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
KEY_PREFIX = "ak_"
KEY_ID_LENGTH = 12  # a key's id: this many hex digits of its SHA-256


class ApiKeyConfigError(AssistantError):
    """ASSISTANT_API_KEYS is malformed."""


@dataclass(frozen=True)
class Caller:
    """Who is calling: ``key_id`` identifies the key (for rate limits and logs) without revealing it."""

    key_id: str
    name: str
    role: Role

    @property
    def access(self) -> list[str]:
        """Document access levels this caller may read; decided by role, never by the request."""
        return list(_ACCESS_BY_ROLE[self.role])

    def require(self, role: Role) -> None:
        if ROLES.index(self.role) < ROLES.index(role):
            raise Forbidden(f"this needs the {role} role; the API key '{self.name}' has the {self.role} role")


LOCAL_CALLER = Caller(key_id="local", name="local", role="admin")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random API key (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_entry(key: str, role: Role, name: str | None = None) -> str:
    """The ``sha256hex:role[:name]`` entry that configures ``key``."""
    return f"{hash_key(key)}:{role}" + (f":{name}" if name else "")


@dataclass(frozen=True)
class KeyRing:
    """The configured keys by hash; empty means local single-user mode."""

    callers: dict[str, Caller]

    @classmethod
    def parse(cls, spec: str | None) -> KeyRing:
        callers: dict[str, Caller] = {}
        for position, entry in enumerate((e.strip() for e in (spec or "").split(",")), 1):
            if not entry:
                continue
            digest, _, rest = entry.partition(":")
            role, _, name = rest.partition(":")
            digest = digest.lower()
            if not _SHA256_HEX.match(digest):
                raise ApiKeyConfigError(
                    f"ASSISTANT_API_KEYS entry {position} does not start with a 64-character SHA-256 hex digest "
                    "(expected sha256hex:role[:name]; make one with `assistant keys new`)"
                )
            if role not in ROLES:
                raise ApiKeyConfigError(
                    f"ASSISTANT_API_KEYS entry {position} has role {role!r}; expected one of {', '.join(ROLES)}"
                )
            key_id = digest[:KEY_ID_LENGTH]
            callers[digest] = Caller(key_id=key_id, name=name or key_id, role=role)  # type: ignore[arg-type]
        return cls(callers)

    @property
    def local_mode(self) -> bool:
        return not self.callers

    def identify(self, key: str | None) -> Caller:
        """The caller a presented key belongs to; raises Unauthorized for a missing or unknown key."""
        if self.local_mode:
            return LOCAL_CALLER
        if not key:
            raise Unauthorized("an API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'")
        digest = hash_key(key)
        for known, caller in self.callers.items():
            if hmac.compare_digest(known, digest):
                return caller
        raise Unauthorized("unknown API key")
