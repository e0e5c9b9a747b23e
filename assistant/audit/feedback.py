"""好差评: a rating of a logged answer, guide or draft, one per entry and caller; 差评 handled by an admin.

A rating names the audit entry of what was rated (the ``audit_id`` the API returned with it). Only the
caller the entry was made for may rate it, once. Ratings are rows of their own (``feedback``): the
audit log itself is never changed, and rating or handling one is logged there as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assistant.audit.log import ANSWER, DRAFT, FEEDBACK, FEEDBACK_HANDLED, GUIDE, Actor, AuditLog, utcnow
from assistant.db.models import AuditEntry, Feedback
from assistant.errors import AssistantError
from assistant.personal_data import mask_personal_data

Rating = Literal["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
RATINGS: tuple[Rating, ...] = get_args(Rating)
BAD_RATINGS: tuple[Rating, ...] = ("不满意", "非常不满意")  # 差评
RATABLE = (ANSWER, GUIDE, DRAFT)
MAX_REASON_CHARS = 1000


class FeedbackError(AssistantError):
    """A rating or its handling is refused."""


class NothingToRate(FeedbackError):
    """No answer, guide or draft of this caller has that id."""


class AlreadyRated(FeedbackError):
    """This caller has rated this entry before."""


class AlreadyHandled(FeedbackError):
    """This 差评 was marked handled before."""


class NoSuchFeedback(FeedbackError):
    """No rating has that id."""


@dataclass(frozen=True)
class FeedbackQuery:
    bad_only: bool = False
    handled: bool | None = None  # None: both
    limit: int = 200


def feedback_dict(row: Feedback, entry: AuditEntry | None) -> dict[str, Any]:
    detail = entry.detail if entry else {}
    return {
        "id": row.id,
        "audit_id": row.entry_id,
        "target": row.target,
        "key_id": row.key_id,
        "rating": row.rating,
        "reason": row.reason,
        "at": row.at.isoformat() + "Z",
        "question": detail.get("question") or detail.get("title"),
        "bad": row.rating in BAD_RATINGS,
        "handled": row.handled_at is not None,
        "handled_at": row.handled_at.isoformat() + "Z" if row.handled_at else None,
        "handled_by": row.handled_by,
        "handled_note": row.handled_note,
    }


class FeedbackService:
    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit

    def rate(self, actor: Actor, audit_id: str, rating: str, reason: str | None = None) -> dict[str, Any]:
        if rating not in RATINGS:
            raise FeedbackError(f"rating {rating!r} is not one of {'、'.join(RATINGS)}")
        reason = mask_personal_data(reason.strip())[:MAX_REASON_CHARS] if reason and reason.strip() else None
        self.audit.flush()  # the rated entry may still be on its way to the database
        try:
            with self.audit.database.transaction() as session:
                entry = session.get(AuditEntry, audit_id)
                if entry is None or entry.kind not in RATABLE or entry.key_id != actor.key_id:
                    raise NothingToRate(f"no answer, guide or draft with audit id {audit_id} was given to this key")
                row = Feedback(
                    entry_id=audit_id, target=entry.kind, key_id=actor.key_id, rating=rating, reason=reason, at=utcnow()
                )
                session.add(row)
                session.flush()
                result = feedback_dict(row, entry)
        except IntegrityError:
            raise AlreadyRated(f"this key has already rated {audit_id}: one rating per answer") from None
        self.audit.record(
            FEEDBACK, actor, {"feedback_id": result["id"], "audit_id": audit_id, "target": result["target"],
                              "rating": rating, "reason": reason}
        )  # fmt: skip
        return result

    def list(self, query: FeedbackQuery) -> list[dict[str, Any]]:
        stmt = select(Feedback, AuditEntry).join(AuditEntry, Feedback.entry_id == AuditEntry.id)
        if query.bad_only:
            stmt = stmt.where(Feedback.rating.in_(BAD_RATINGS))
        if query.handled is not None:
            stmt = stmt.where(Feedback.handled_at.is_not(None) if query.handled else Feedback.handled_at.is_(None))
        stmt = stmt.order_by(Feedback.at.desc(), Feedback.id.desc()).limit(query.limit)
        with self.audit.database.transaction() as session:
            return [feedback_dict(row, entry) for row, entry in session.execute(stmt)]

    def mark_handled(self, actor: Actor, feedback_id: int, note: str) -> dict[str, Any]:
        note = note.strip()
        if not note:
            raise FeedbackError("say how the 差评 was handled: the note is empty")
        with self.audit.database.transaction() as session:
            row = session.get(Feedback, feedback_id)
            if row is None:
                raise NoSuchFeedback(f"no rating with id {feedback_id}")
            if row.rating not in BAD_RATINGS:
                raise FeedbackError(f"rating {feedback_id} is {row.rating}, not a 差评: only 差评 are handled")
            if row.handled_at is not None:
                raise AlreadyHandled(f"rating {feedback_id} was marked handled by {row.handled_by} already")
            row.handled_at, row.handled_by, row.handled_note = utcnow(), actor.key_id, mask_personal_data(note)
            session.flush()
            result = feedback_dict(row, session.get(AuditEntry, row.entry_id))
        self.audit.record(FEEDBACK_HANDLED, actor, {"feedback_id": feedback_id, "note": result["handled_note"]})
        return result
