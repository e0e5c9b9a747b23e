"""Readable case numbers and the applicant's verification code.

A number is ``PREFIX-YYYYMMDD-NNNNN`` (e.g. ``GD-20261206-00001``): the day of submission in China
time and that day's sequence, drawn by one atomic upsert on ``case_counters``. The row lock (PostgreSQL)
or the write lock (SQLite) makes concurrent submissions on every replica draw different numbers, and
the unique index on ``cases.number`` is the backstop.

The verification code is shown to the applicant once, at submission; only its SHA-256 (salted with the
case number) is stored, so a copy of the database does not open anyone's case.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assistant.db.models import CaseCounter

_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed back
CODE_LENGTH = 10  # 31^10 ≈ 8e14: not guessable through the API


def next_case_number(session: Session, prefix: str, day: date) -> str:
    key = day.strftime("%Y%m%d")
    connection: Connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    table = CaseCounter.__table__
    statement = (
        insert(table)
        .values(day=key, last=1)
        .on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    sequence = connection.execute(statement).scalar_one()
    return f"{prefix}-{key}-{sequence:05d}"


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_hash(number: str, code: str) -> str:
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(f"{number}:{normalised}".encode()).hexdigest()


def code_matches(number: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(number, code), stored_hash)
