"""The audit trail, 好差评 and knowledge gaps through the real API (uvicorn on 127.0.0.1), on SQLite and
PostgreSQL: every kind of action leaves its entry with key, role, time, client and request id; personal
data is masked; a public key cannot read the log; adding a document closes the knowledge gap it answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assistant.api.app import create_app
from assistant.components import Components

if TYPE_CHECKING:
    from api_fixtures import ApiKeys, LiveServer

pytest_plugins = ["api_fixtures", "db_fixtures"]
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
ID_NUMBER, MOBILE = "110101199003071234", "13812345678"
SEED_QUESTION = "到2027年底，吉林省智能算力规模的目标是多少？"
LIBRARY_TITLE = "关于开展城市书房夜间开放试点的通知"
LIBRARY_TEXT = (
    f"{LIBRARY_TITLE}\n\n各区文化和旅游局：\n一、试点内容\n城市书房夜间开放至二十二时，市民凭身份证免费入馆阅读。\n"
    "二、工作要求\n各试点书房应配备夜间值守人员，做好安全保障。\n"
)
LIBRARY_QUESTIONS = ("城市书房夜间开放到几点？", "城市书房晚上开到几点", "城市书房夜里几点关门？")
SETTLE_QUESTION = "长春市落户需要什么条件？"


@pytest.fixture
def start_audited(
    database_url: str, api_data_dir: Path, api_keys: ApiKeys, corpus_dir: Path, tmp_path: Path
) -> Iterator[Callable[[], LiveServer]]:
    """``start()``: a server with the three keys on ``database_url``, over its own copy of the bundled corpus."""
    from api_fixtures import LiveServer, server_settings

    settings = server_settings(
        tmp_path / "data",
        api_keys=api_keys.setting,
        database_url=database_url,
        models_path=api_data_dir / "models",  # the small model the session provisioned
        draft_max_tokens=24,
        llm_max_tokens=24,
    )
    servers: list[LiveServer] = []

    def start() -> LiveServer:
        components = Components(settings)
        assert not components.ingestor.ingest_paths([corpus_dir]).count("failed")
        servers.append(LiveServer(create_app(settings, components)).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def cli(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_DATABASE_URL": database_url, "ASSISTANT_DATA_DIR": str(data_dir)}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def done_event(stream: str) -> dict[str, Any]:
    for block in stream.split("\n\n"):
        if block.startswith("event: done"):
            return json.loads(block.split("data: ", 1)[1])
    raise AssertionError(f"no done event in {stream[-300:]!r}")


def test_every_kind_of_action_is_logged_masked_and_only_an_admin_reads_the_log(
    start_audited: Callable[[], LiveServer], api_keys: ApiKeys, database_url: str, tmp_path: Path
) -> None:
    server = start_audited()
    # Generous timeouts: the model shares two cores with the other tests.
    public, staff, admin = (server.client(k, timeout=900) for k in (api_keys.public, api_keys.staff, api_keys.admin))
    personal = f"我的身份证号{ID_NUMBER}，电话{MOBILE}，"

    searched = public.post(
        "/v1/search", json={"query": personal + "算力券怎么申请"}, headers={"X-Request-ID": "req-search-1"}
    )
    assert searched.status_code == 200 and searched.headers["X-Request-ID"] == "req-search-1"
    asked = public.post("/v1/ask", json={"question": personal + SEED_QUESTION})
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert answer["audit_id"] and not answer["declined"] and answer["citations"]
    assert len(asked.headers["X-Request-ID"]) == 32  # made by the server when the client sends none
    streamed = public.post("/v1/ask", json={"question": SETTLE_QUESTION, "stream": True})
    declined = done_event(streamed.text)
    assert declined["declined"] and declined["audit_id"]
    guide = public.post("/v1/guide", json={"question": "我在工作中受伤了，要办哪些手续"}).json()
    assert guide["audit_id"]
    draft = staff.post(
        "/v1/drafts",
        json={
            "doc_type": "通知",
            "issuer": "吉林省科学技术厅",
            "recipients": ["各市（州）科技局"],
            "subject": "报送人工智能应用场景",
        },
    )
    assert draft.status_code == 200, draft.text
    uploaded = admin.post("/v1/documents", files=[("files", ("library.txt", LIBRARY_TEXT.encode(), "text/plain"))])
    doc_id = uploaded.json()["files"][0]["doc_id"]
    assert admin.delete(f"/v1/documents/{doc_id}").status_code == 200

    # 好差评: one rating per answer and key; nobody rates another key's answer; an admin handles a 差评.
    rating = {"audit_id": answer["audit_id"], "rating": "不满意", "reason": f"没有回答，回电{MOBILE}"}
    rated = public.post("/v1/feedback", json=rating)
    assert rated.status_code == 200, rated.text
    assert public.post("/v1/feedback", json={**rating, "rating": "满意"}).status_code == 409
    assert staff.post("/v1/feedback", json=rating).status_code == 404
    assert public.post("/v1/feedback", json={**rating, "rating": "还行"}).status_code == 422
    assert public.post("/v1/feedback", json={"audit_id": guide["audit_id"], "rating": "满意"}).status_code == 200
    assert (
        staff.post("/v1/feedback", json={"audit_id": draft.json()["audit_id"], "rating": "基本满意"}).status_code == 200
    )
    handled = admin.post(f"/v1/feedback/{rated.json()['id']}/handled", json={"note": "已补充算力文件"})
    assert handled.status_code == 200 and handled.json()["handled"]
    assert admin.post(f"/v1/feedback/{rated.json()['id']}/handled", json={"note": "再次"}).status_code == 409

    # Only an admin reads the log, the ratings and the gaps.
    for path in ("/v1/audit", "/v1/audit.csv", "/v1/feedback", "/v1/gaps"):
        assert public.get(path).status_code == 403, path
        assert staff.get(path).status_code == 403, path

    # The command line: a new key and the retention prune, logged in the same database.
    data_dir = tmp_path / "cli-data"
    made = cli("keys", "new", "--role", "staff", "--name", "window-3", database_url=database_url, data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    pruned = cli("audit", "prune", database_url=database_url, data_dir=data_dir)
    assert pruned.returncode == 0 and "deleted 0 audit entries" in pruned.stdout, pruned.stderr

    entries = admin.get("/v1/audit", params={"limit": 1000}).json()["entries"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_kind.setdefault(entry["kind"], []).append(entry)
    expected = {"search", "question", "answer", "guide", "draft", "upload", "deletion", "feedback",
                "feedback_handled", "key_creation", "retention_prune"}  # fmt: skip
    assert expected <= set(by_kind), sorted(by_kind)
    text = json.dumps(entries, ensure_ascii=False)
    assert ID_NUMBER not in text and MOBILE not in text and "110101********1234" in text and "138****5678" in text

    [search] = by_kind["search"]
    assert search["request_id"] == "req-search-1" and search["client"] == "127.0.0.1"
    assert search["role"] == "public" and search["detail"]["access"] == ["public"] and search["detail"]["results"]
    assert {e["role"] for e in by_kind["draft"]} == {"staff"} and by_kind["draft"][0]["detail"]["citations"] is not None
    answers = {e["id"]: e for e in by_kind["answer"]}
    assert answers[answer["audit_id"]]["detail"]["citations"][0]["doc_id"] == answer["citations"][0]["doc_id"]
    assert answers[answer["audit_id"]]["request_id"] == asked.headers["X-Request-ID"]
    assert answers[declined["audit_id"]]["detail"]["declined"] is True
    assert by_kind["upload"][0]["detail"]["files"][0]["doc_id"] == doc_id
    assert by_kind["deletion"][0]["detail"]["title"] == LIBRARY_TITLE
    [key] = by_kind["key_creation"]
    assert key["key_id"] == "cli" and key["detail"]["role"] == "staff" and key["detail"]["name"] == "window-3"
    assert "ak_" not in json.dumps(key)  # the key itself is never logged
    assert all(e["at"].endswith("Z") for e in entries)

    # CSV export by kind and key; reading the log was itself logged.
    public_key_id = search["key_id"]
    exported = admin.get("/v1/audit.csv", params={"kind": ["question", "answer"], "key_id": public_key_id})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.strip().splitlines()
    assert lines[0] == "id,at,kind,key_id,role,client,request_id,detail" and len(lines) == 1 + 4
    assert all(f",{public_key_id},public," in line for line in lines[1:]) and MOBILE not in exported.text
    assert admin.get("/v1/audit", params={"kind": "bogus"}).status_code == 422
    reads = admin.get("/v1/audit", params={"kind": "audit_read"}).json()["entries"]
    assert {e["detail"]["format"] for e in reads} >= {"json", "csv"}

    # Concurrent requests lose no entry: 40 searches from 8 clients at once, each found by its request id.
    sent = [f"req-burst-{n}" for n in range(40)]

    def burst(request_id: str) -> int:
        with server.client(api_keys.public) as client:
            headers = {"X-Request-ID": request_id}
            return client.post("/v1/search", json={"query": "算力券"}, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(burst, sent)) == {200}
    searches = admin.get("/v1/audit", params={"kind": "search", "limit": 1000}).json()["entries"]
    assert sorted(e["request_id"] for e in searches) == sorted(["req-search-1", *sent])

    # Ratings and declines are counted for Prometheus.
    metrics = public.get("/metrics").text
    assert 'assistant_ratings_total{rating="不满意",target="answer"} 1.0' in metrics
    assert 'assistant_answers_total{declined="true"} 1.0' in metrics
    assert "assistant_audit_entries_lost 0.0" in metrics


def test_knowledge_gaps_group_unanswered_questions_and_a_new_document_closes_its_gap(
    start_audited: Callable[[], LiveServer], api_keys: ApiKeys
) -> None:
    server = start_audited()
    public, admin = server.client(api_keys.public, timeout=900), server.client(api_keys.admin, timeout=900)
    for question in (*LIBRARY_QUESTIONS, LIBRARY_QUESTIONS[0], SETTLE_QUESTION):
        assert public.post("/v1/ask", json={"question": question}).json()["declined"], question
    answered = public.post("/v1/ask", json={"question": SEED_QUESTION}).json()
    assert not answered["declined"]
    public.post("/v1/feedback", json={"audit_id": answered["audit_id"], "rating": "非常不满意"})

    gaps = admin.get("/v1/gaps").json()["gaps"]
    assert [g["count"] for g in gaps] == [4, 1, 1]
    library = gaps[0]
    assert library["topic"] == LIBRARY_QUESTIONS[0] and library["declined"] == 4 and not library["closed"]
    assert {e["question"] for e in library["examples"]} == set(LIBRARY_QUESTIONS)
    topics = {g["topic"]: g for g in gaps}
    assert topics[SEED_QUESTION]["low_rated"] == 1 and not topics[SEED_QUESTION]["closed"]
    assert not topics[SETTLE_QUESTION]["closed"]

    uploaded = admin.post("/v1/documents", files=[("files", ("library.txt", LIBRARY_TEXT.encode(), "text/plain"))])
    assert uploaded.status_code == 200, uploaded.text
    after = admin.get("/v1/gaps").json()["gaps"]
    assert [(g["topic"], g["closed"]) for g in after] == [
        (SEED_QUESTION, False),
        (SETTLE_QUESTION, False),
        (LIBRARY_QUESTIONS[0], True),
    ] or [(g["topic"], g["closed"]) for g in after] == [
        (SETTLE_QUESTION, False),
        (SEED_QUESTION, False),
        (LIBRARY_QUESTIONS[0], True),
    ]
    assert after[-1]["answered_by"] == LIBRARY_TITLE
