"""The audit log in the database, on SQLite and PostgreSQL: append-only by trigger, pruned only by the
retention prune (which logs itself), no entry lost by concurrent writers, personal data masked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from assistant.audit.feedback import AlreadyRated, FeedbackQuery, FeedbackService, NothingToRate
from assistant.audit.log import ANSWER, OPERATOR, QUESTION, RETENTION_PRUNE, AuditLog, Operator, utcnow
from assistant.audit.query import AuditQuery, csv_lines, search
from assistant.audit.retention import prune
from assistant.db.engine import Database
from assistant.db.models import AuditEntry, AuditPrunePermit, Feedback

pytest_plugins = ["db_fixtures"]

ID_NUMBER, MOBILE = "110101199003071234", "13812345678"


@pytest.fixture
def audit(database_url: str) -> Iterator[AuditLog]:
    database = Database.open(database_url)
    log = AuditLog(lambda: database)
    yield log
    log.close()
    database.close()


def count(database: Database, *where: object) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(*where))


def backdated(database: Database, days: int, n: int = 1) -> list[str]:
    """Entries written as if ``days`` ago (inserting is what the log allows)."""
    ids = [f"old{days}x{i}" for i in range(n)]
    rows = [
        {"id": i, "at": utcnow() - timedelta(days=days), "kind": QUESTION, "key_id": "k1", "role": "public",
         "client": None, "request_id": None, "detail": {"question": "旧问题"}}
        for i in ids
    ]  # fmt: skip
    with database.transaction() as session:
        session.execute(insert(AuditEntry), rows)
    return ids


def test_entries_are_masked_and_neither_updated_nor_deleted_outside_the_prune(audit: AuditLog) -> None:
    entry_id = audit.record(QUESTION, OPERATOR, {"question": f"身份证{ID_NUMBER}，手机{MOBILE}", "n": 3})
    audit.flush()
    [entry] = search(audit.database, AuditQuery())
    assert entry["id"] == entry_id and entry["kind"] == QUESTION and entry["key_id"] == "cli"
    stored = entry["detail"]["question"]
    assert ID_NUMBER not in stored and MOBILE not in stored
    assert "110101********1234" in stored and "138****5678" in stored and entry["detail"]["n"] == 3

    statements = ["UPDATE audit_log SET kind = 'search'", "DELETE FROM audit_log"]
    if audit.database.dialect == "postgresql":
        statements.append("TRUNCATE audit_log CASCADE")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), audit.database.transaction() as session:
            session.execute(text(statement))
    assert count(audit.database) == 1
    # A permit that does not cover the entry (cutoff before it) does not let it go either.
    with pytest.raises(DBAPIError, match="append-only"), audit.database.transaction() as session:
        session.add(AuditPrunePermit(cutoff=utcnow() - timedelta(days=1)))
        session.flush()
        session.execute(text("DELETE FROM audit_log"))
    assert count(audit.database) == 1
    with audit.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditPrunePermit)) == 0


def test_the_prune_deletes_only_entries_older_than_the_retention_and_logs_itself(audit: AuditLog) -> None:
    old = backdated(audit.database, 200, 3)
    kept = backdated(audit.database, 170)
    audit.record(QUESTION, OPERATOR, {"question": "新问题"})
    audit.flush()
    # A rating of an old answer goes with it; the log keeps no dangling rating.
    with audit.database.transaction() as session:
        session.add(Feedback(entry_id=old[0], target=ANSWER, key_id="k1", rating="满意", at=utcnow()))

    result = prune(audit, 180, Operator(key_id="cli", role="operator"))

    assert result.deleted == 3
    assert count(audit.database, AuditEntry.id.in_(old)) == 0
    assert count(audit.database, AuditEntry.id.in_(kept)) == 1
    [logged] = search(audit.database, AuditQuery(kinds=[RETENTION_PRUNE]))
    assert logged["id"] == result.entry_id and logged["detail"]["deleted"] == 3
    assert logged["detail"]["retention_days"] == 180
    with audit.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0
        assert session.scalar(select(func.count()).select_from(AuditPrunePermit)) == 0
    assert prune(audit, 180, OPERATOR).deleted == 0  # a second prune finds nothing more (and is logged too)
    assert count(audit.database, AuditEntry.kind == RETENTION_PRUNE) == 2


def test_concurrent_writers_lose_no_entries(database_url: str) -> None:
    """Two logs on one database (two replicas), eight threads each, a queue small enough to fill up."""
    databases = [Database.open(database_url) for _ in range(2)]
    logs = [AuditLog(lambda db=db: db, queue_size=16) for db in databases]
    threads_per_log, entries_per_thread = 8, 150
    recorded: list[str] = []
    lock = threading.Lock()

    def write(log: AuditLog, thread: int) -> None:
        ids = [log.record(QUESTION, OPERATOR, {"thread": thread, "i": i}) for i in range(entries_per_thread)]
        with lock:
            recorded.extend(ids)

    threads = [
        threading.Thread(target=write, args=(log, n)) for log in logs for n in range(threads_per_log)
    ]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for log in logs:
        log.close()
    expected = 2 * threads_per_log * entries_per_thread
    assert len(set(recorded)) == expected
    with databases[0].transaction() as session:
        stored = set(session.scalars(select(AuditEntry.id)))
    assert stored == set(recorded)
    assert all(log.lost == 0 for log in logs)
    for db in databases:
        db.close()


def test_the_csv_export_selects_by_time_key_and_kind(audit: AuditLog) -> None:
    backdated(audit.database, 10)
    audit.record(QUESTION, OPERATOR, {"question": "甲"})
    audit.record(ANSWER, OPERATOR, {"question": "甲", "declined": True})
    audit.flush()
    lines = list(csv_lines(audit.database, AuditQuery(since=utcnow() - timedelta(days=1), kinds=[ANSWER])))
    assert lines[0].startswith("id,at,kind,key_id,role,client,request_id,detail")
    assert len(lines) == 2 and ",answer,cli," in lines[1] and '""declined"": true' in lines[1]
    assert len(list(csv_lines(audit.database, AuditQuery(key_ids=["k1"])))) == 2  # header + the old entry


def test_one_rating_per_entry_and_caller_and_only_of_ones_own_answer(audit: AuditLog) -> None:
    feedback = FeedbackService(audit)
    mine = audit.record(ANSWER, OPERATOR, {"question": "甲", "declined": False})
    question = audit.record(QUESTION, OPERATOR, {"question": "甲"})
    rated = feedback.rate(OPERATOR, mine, "不满意", f"没说清楚，我电话{MOBILE}")
    assert rated["bad"] and rated["target"] == ANSWER and MOBILE not in rated["reason"]
    with pytest.raises(AlreadyRated):
        feedback.rate(OPERATOR, mine, "满意")
    with pytest.raises(NothingToRate):
        feedback.rate(Operator(key_id="someone-else", role="public"), mine, "满意")
    with pytest.raises(NothingToRate):
        feedback.rate(OPERATOR, question, "满意")  # a question is not rated: its answer is
    handled = feedback.mark_handled(Operator(key_id="admin1", role="admin"), rated["id"], "已补充文件")
    assert handled["handled"] and handled["handled_by"] == "admin1"
    listed = feedback.list(FeedbackQuery(bad_only=True, handled=True))
    assert [f["id"] for f in listed] == [rated["id"]] and listed[0]["handled_note"] == "已补充文件"
    assert feedback.list(FeedbackQuery(handled=False)) == []
