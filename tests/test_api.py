"""The HTTP service on a real uvicorn server (127.0.0.1), real store, bundled embedding model and 0.5B model:
search, documents, roles, limits, errors, streaming, metrics, OpenAPI and personal data in logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.answer.types import AI_LABEL
from assistant.api.auth import ApiKeyConfigError, KeyRing, key_entry, new_key
from assistant.api.error_handlers import install_error_handlers
from assistant.api.limits import TokenBucket
from assistant.api.redact import PersonalDataFilter, mask_personal_data
from assistant.cli import main as cli_main

if TYPE_CHECKING:
    from api_fixtures import ApiKeys, InternalDocument, LiveServer
    from conftest import DocxMaker

pytest_plugins = ["api_fixtures"]
QUESTION = "到2027年底，吉林省智能算力规模的目标是多少？"


def error_of(response: httpx.Response) -> dict[str, str]:
    """The ``error`` object of a JSON error response (fails the test if the body is not one)."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


def metric_value(server: LiveServer, name: str) -> float:
    text = server.client().get("/metrics").text
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[-1])


# --- probes, metrics, OpenAPI ---


def test_health_and_readiness_report_the_store_and_models(api_server: LiveServer) -> None:
    client = api_server.client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert set(checks) == {"store", "embedder", "llm"} and all(c["ok"] for c in checks.values())
    assert "loaded" in checks["llm"]["detail"] and "documents" in checks["store"]["detail"]


def test_metrics_count_requests_by_route_template_and_status(api_server: LiveServer, api_keys: ApiKeys) -> None:
    client = api_server.client(api_keys.admin)
    client.delete("/v1/documents/no-such-document")
    client.post("/v1/search", json={"query": "算力券"})
    text = client.get("/metrics").text
    assert 'assistant_http_requests_total{method="DELETE",route="/v1/documents/{doc_id}",status="404"}' in text
    assert 'assistant_http_requests_total{method="POST",route="/v1/search",status="200"}' in text
    assert 'assistant_http_request_duration_seconds_count{method="POST",route="/v1/search"}' in text
    for name in ("assistant_generation_queue_depth", "assistant_generation_active", "assistant_generated_tokens_total"):
        assert f"\n{name} " in text


def test_openapi_schema_has_every_route_its_models_and_error_responses(api_server: LiveServer) -> None:
    schema = api_server.client().get("/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/v1/ask": {"post"},
        "/v1/search": {"post"},
        "/v1/documents": {"get", "post"},
        "/v1/documents/{doc_id}": {"get", "delete"},
        "/v1/chat/completions": {"post"},
        "/v1/models": {"get"},
        "/healthz": {"get"},
        "/readyz": {"get"},
        "/metrics": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    models = schema["components"]["schemas"]
    for name in ("AskRequest", "AskResponse", "CitationModel", "SearchRequest", "SearchFilters", "ErrorResponse"):
        assert name in models, name
    assert {"ChatCompletionRequest", "ChatCompletion", "UploadResponse", "DocumentList"} <= set(models)
    assert "HTTPValidationError" not in models  # every 422 is documented with the error model it really has
    search = paths["/v1/search"]["post"]
    assert search["description"].startswith("Hybrid (dense + sparse) search")
    for status in ("401", "422", "429"):
        ref = search["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorResponse")
    assert "text/event-stream" in paths["/v1/ask"]["post"]["responses"]["200"]["content"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schema["components"]["securitySchemes"])


# --- search and roles ---


def test_search_returns_citable_results_and_evidence(api_server: LiveServer, api_keys: ApiKeys) -> None:
    response = api_server.client(api_keys.public).post("/v1/search", json={"query": QUESTION, "top_k": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == QUESTION and body["evidence"] is True
    assert len(body["results"]) == 3
    assert any("智能算力" in r["text"] for r in body["results"])
    for r in body["results"]:
        assert r["doc_id"] and r["chunk_id"] and r["title"] and r["text"]
        assert r["text"].split("\n", 1)[-1] in r["context"]
    assert 0 < body["signals"]["overlap"] <= 1 and body["signals"]["dense_top"] > 0
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_search_declines_a_question_the_documents_do_not_answer(api_server: LiveServer, api_keys: ApiKeys) -> None:
    response = api_server.client(api_keys.public).post("/v1/search", json={"query": "北京市居住证怎么办理？"})
    assert response.status_code == 200, response.text
    assert response.json()["evidence"] is False


def test_search_filters_restrict_the_documents(api_server: LiveServer, api_keys: ApiKeys) -> None:
    client = api_server.client(api_keys.public)
    documents = client.get("/v1/documents").json()["documents"]
    chosen = documents[0]["doc_id"]
    body = client.post("/v1/search", json={"query": "人工智能", "filters": {"doc_ids": [chosen]}}).json()
    assert body["results"] and {r["doc_id"] for r in body["results"]} == {chosen}


def test_a_public_key_never_receives_internal_passages(
    api_server: LiveServer, api_keys: ApiKeys, internal_document: InternalDocument
) -> None:
    internal_doc_id = internal_document.doc_id
    query = {"query": f"{internal_document.code_name}政务云资源调配", "top_k": 10}
    public = api_server.client(api_keys.public)
    staff = api_server.client(api_keys.staff)
    assert internal_doc_id not in {r["doc_id"] for r in public.post("/v1/search", json=query).json()["results"]}
    assert staff.post("/v1/search", json=query).json()["results"][0]["doc_id"] == internal_doc_id
    assert internal_doc_id not in {d["doc_id"] for d in public.get("/v1/documents").json()["documents"]}
    assert internal_doc_id in {d["doc_id"] for d in staff.get("/v1/documents").json()["documents"]}
    assert public.get(f"/v1/documents/{internal_doc_id}").status_code == 404
    assert staff.get(f"/v1/documents/{internal_doc_id}").json()["access"] == "internal"


def test_the_caller_cannot_choose_its_access_level_in_the_request(api_server: LiveServer, api_keys: ApiKeys) -> None:
    query = {"query": "政务云资源调配", "filters": {"access": ["internal"]}}
    response = api_server.client(api_keys.public).post("/v1/search", json=query)
    assert response.status_code == 422
    assert "unknown filter key(s): access" in error_of(response)["message"]


def test_a_missing_or_unknown_key_is_401_and_the_x_api_key_header_works(
    api_server: LiveServer, api_keys: ApiKeys
) -> None:
    missing = api_server.client().get("/v1/documents")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert "API key is required" in error_of(missing)["message"]
    unknown = api_server.client(new_key()).get("/v1/documents")
    assert unknown.status_code == 401 and error_of(unknown)["message"] == "unknown API key"
    with httpx.Client(base_url=api_server.url, headers={"X-API-Key": api_keys.public}) as client:
        assert client.get("/v1/documents").status_code == 200


@pytest.mark.parametrize("role", ["public", "staff"])
def test_only_admins_manage_documents(api_server: LiveServer, api_keys: ApiKeys, role: str) -> None:
    client = api_server.client(getattr(api_keys, role))
    upload = client.post("/v1/documents", files={"files": ("a.txt", "内容".encode(), "text/plain")})
    delete = client.delete("/v1/documents/anything")
    for response in (upload, delete):
        assert response.status_code == 403
        assert (
            error_of(response)["message"]
            == f"this needs the admin role; the API key '{role}-client' has the {role} role"
        )


# --- documents ---


def test_upload_list_search_and_delete_documents(
    api_server: LiveServer, api_keys: ApiKeys, make_docx: DocxMaker, tmp_path: Path
) -> None:
    client = api_server.client(api_keys.admin)
    text = (
        "关于开展银杏便民服务试点的通知\n一、试点内容\n银杏便民服务试点在长春市朝阳区开展，提供社保卡补办一次办服务。\n"
    )
    paragraphs = ["关于推广梧桐帮办服务的通知", "一、服务内容", "梧桐帮办服务为老年人提供上门代办社保认证。"]
    docx = make_docx(tmp_path / "wutong.docx", paragraphs, ()).read_bytes()
    sidecar = json.dumps({"issuer": "长春市政务服务和数字化建设管理局", "date": "2025-06-01"}).encode()
    files = [
        ("files", ("yinxing.txt", text.encode(), "text/plain")),
        ("files", ("wutong.docx", docx, "application/octet-stream")),
        ("files", ("wutong.docx.meta.json", sidecar, "application/json")),
    ]
    response = client.post("/v1/documents", files=files, data={"access": "public"})
    assert response.status_code == 200, response.text
    results = {f["filename"]: f for f in response.json()["files"]}
    assert {name: f["status"] for name, f in results.items()} == {"yinxing.txt": "added", "wutong.docx": "added"}
    assert all(f["chunks"] >= 1 and f["doc_id"] for f in results.values())

    again = client.post("/v1/documents", files=[files[0]]).json()["files"]
    assert again[0]["status"] == "unchanged" and again[0]["doc_id"] == results["yinxing.txt"]["doc_id"]

    listed = {d["doc_id"]: d for d in client.get("/v1/documents").json()["documents"]}
    doc_id = results["yinxing.txt"]["doc_id"]
    assert listed[doc_id]["source"] == "upload/yinxing.txt"
    wutong = listed[results["wutong.docx"]["doc_id"]]
    assert (wutong["issuer"], wutong["date"]) == ("长春市政务服务和数字化建设管理局", "2025-06-01")
    hits = client.post("/v1/search", json={"query": "银杏便民服务试点", "top_k": 3}).json()["results"]
    assert hits[0]["doc_id"] == doc_id

    for name in ("yinxing.txt", "wutong.docx"):
        deleted = client.delete(f"/v1/documents/{results[name]['doc_id']}")
        assert deleted.status_code == 200 and deleted.json()["deleted_chunks"] == results[name]["chunks"]
    gone = client.delete(f"/v1/documents/{doc_id}")
    assert gone.status_code == 404 and doc_id in error_of(gone)["message"]
    hits = client.post("/v1/search", json={"query": "银杏便民服务试点", "top_k": 3}).json()["results"]
    assert doc_id not in {h["doc_id"] for h in hits}


def test_an_upload_above_the_size_limit_is_413_and_nothing_is_ingested(
    api_server: LiveServer, api_keys: ApiKeys
) -> None:
    client = api_server.client(api_keys.admin)
    before = len(client.get("/v1/documents").json()["documents"])
    small = ("small.txt", "一份小文件的内容。".encode(), "text/plain")
    big = ("big.txt", ("政务服务" * 100_000).encode(), "text/plain")  # 1.2 MB, the test server allows 1 MiB
    response = client.post("/v1/documents", files=[("files", small), ("files", big)])
    assert response.status_code == 413
    assert error_of(response)["message"] == "big.txt is 1.1 MiB; the limit is 1 MiB (ASSISTANT_MAX_FILE_MB)"
    assert len(client.get("/v1/documents").json()["documents"]) == before


def test_a_sidecar_without_its_document_is_422(api_server: LiveServer, api_keys: ApiKeys) -> None:
    files = [
        ("files", ("a.txt", "一份文件。".encode(), "text/plain")),
        ("files", ("b.txt.meta.json", b'{"issuer": "x"}', "application/json")),
    ]
    response = api_server.client(api_keys.admin).post("/v1/documents", files=files)
    assert response.status_code == 422
    assert (
        error_of(response)["message"]
        == "b.txt.meta.json is a metadata sidecar, but the file it describes was not uploaded"
    )


def test_an_unsupported_file_type_is_415(api_server: LiveServer, api_keys: ApiKeys) -> None:
    files = {"files": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")}
    response = api_server.client(api_keys.admin).post("/v1/documents", files=files)
    assert response.status_code == 415
    message = error_of(response)["message"]
    assert message.startswith("tool.exe: unsupported file type '.exe'") and ".docx" in message


def test_a_file_that_cannot_be_read_is_422_with_the_loaders_reason(api_server: LiveServer, api_keys: ApiKeys) -> None:
    files = {"files": ("broken.docx", b"this is not a zip archive", "application/octet-stream")}
    response = api_server.client(api_keys.admin).post("/v1/documents", files=files)
    assert response.status_code == 422
    assert error_of(response)["message"].startswith("broken.docx")


# --- bad requests ---


@pytest.mark.parametrize(
    ("method", "path", "request_kwargs", "status", "fragment"),
    [
        ("post", "/v1/ask", {"json": {"question": "   "}}, 422, "question: the question is empty"),
        ("post", "/v1/ask", {"json": {}}, 422, "question: Field required"),
        (
            "post",
            "/v1/search",
            {"content": b'{"query": ', "headers": {"content-type": "application/json"}},
            422,
            "the request body is not valid JSON",
        ),
        ("post", "/v1/search", {"json": {"query": "算力", "top_k": 0}}, 422, "top_k: Input should be greater than"),
        (
            "post",
            "/v1/search",
            {"json": {"query": "算力", "filters": {"date_from": "2025-13-01"}}},
            422,
            "filters.date_from",
        ),
        (
            "post",
            "/v1/search",
            {"json": {"query": "算力", "filters": {"issuer": "省政府"}}},
            422,
            "unknown filter key(s): issuer; allowed: doc_ids, issuers",
        ),
        ("post", "/v1/search", {"json": {"query": "算力", "topk": 3}}, 422, "topk: Extra inputs are not permitted"),
        (
            "post",
            "/v1/chat/completions",
            {"json": {"model": "m", "messages": [{"role": "assistant", "content": "好"}]}},
            422,
            "the last message must be the user's question",
        ),
        ("delete", "/v1/documents/0123abcd", {}, 404, "no document with id 0123abcd"),
        ("get", "/v1/no-such-route", {}, 404, "Not Found"),
        ("put", "/v1/search", {}, 405, "Method Not Allowed"),
    ],
)
def test_bad_requests_get_a_json_error_naming_the_problem(
    api_server: LiveServer,
    api_keys: ApiKeys,
    method: str,
    path: str,
    request_kwargs: dict,
    status: int,
    fragment: str,
) -> None:
    response = api_server.client(api_keys.admin).request(method, path, **request_kwargs)
    assert response.status_code == status, response.text
    assert fragment in error_of(response)["message"]


def test_unexpected_errors_become_a_plain_500_without_internals() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "internal server error; the details are in the server log"}
    }


# --- limits ---


def test_local_mode_warns_at_start_and_gives_admin_rights(
    start_server: Callable[..., LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="assistant.api.app"):
        server = start_server()
    assert "local single-user mode" in caplog.text
    response = server.client().post("/v1/documents", files={"files": ("x.exe", b"MZ", "application/x")})
    assert response.status_code == 415  # got past authentication and the admin check


def test_the_rate_limit_answers_429_with_retry_after(start_server: Callable[..., LiveServer]) -> None:
    client = start_server(rate_limit_per_minute=6, rate_limit_burst=2).client()
    statuses = [client.get("/v1/documents").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.get("/v1/documents")
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 10
    error = error_of(limited)
    assert error["code"] == "rate_limited" and "6 requests per minute" in error["message"]
    assert client.get("/healthz").status_code == 200  # probes are not limited


def test_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=1.0, capacity=2, tokens=2, updated=0.0)
    assert [bucket.take(0.0), bucket.take(0.0)] == [0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(1.0)
    assert bucket.take(0.5) == pytest.approx(0.5)
    assert bucket.take(1.0) == 0.0


def test_a_full_generation_queue_answers_429_with_retry_after(api_server: LiveServer, api_keys: ApiKeys) -> None:
    queue = api_server.state.generation
    running = api_server.run(queue.acquire())  # the model is busy with another answer
    assert api_server.loop is not None
    waiting = asyncio.run_coroutine_threadsafe(queue.acquire(), api_server.loop)  # fills the one queue place
    try:
        deadline = time.monotonic() + 5
        while metric_value(api_server, "assistant_generation_queue_depth") != 1:
            assert time.monotonic() < deadline, "the waiting request never showed in the queue depth"
            time.sleep(0.02)
        for path, body in (
            ("/v1/ask", {"question": QUESTION}),
            ("/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": QUESTION}]}),
        ):
            started = time.monotonic()
            response = api_server.client(api_keys.staff).post(path, json=body)
            assert time.monotonic() - started < 2  # answered at once, not after waiting
            assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
            assert error_of(response)["code"] == "queue_full"
    finally:
        api_server.loop.call_soon_threadsafe(running.release)
        api_server.loop.call_soon_threadsafe(waiting.result(5).release)
    assert metric_value(api_server, "assistant_generation_queue_depth") == 0


def test_waiting_longer_than_the_queue_timeout_answers_429(start_server: Callable[..., LiveServer]) -> None:
    server = start_server(generation_queue_timeout=0.5)
    lease = server.run(server.state.generation.acquire())  # the model is busy with another answer
    try:
        started = time.monotonic()
        response = server.client().post("/v1/ask", json={"question": QUESTION})
        waited = time.monotonic() - started
    finally:
        assert server.loop is not None
        server.loop.call_soon_threadsafe(lease.release)
    assert response.status_code == 429 and error_of(response)["code"] == "queue_timeout"
    assert 0.5 <= waited < 3 and int(response.headers["retry-after"]) >= 1


# --- API keys ---


def test_keys_new_prints_a_key_and_the_entry_that_configures_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["keys", "new", "--role", "staff", "--name", "portal"]) == 0
    lines = capsys.readouterr().out.splitlines()
    key = lines[0].rsplit(" ", 1)[1]
    keys = KeyRing.parse(lines[-1])
    caller = keys.identify(key)
    assert (caller.role, caller.name, caller.access) == ("staff", "portal", ["public", "internal"])
    assert key not in lines[-1]  # only the hash is configured


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("abc:public", "64-character SHA-256"),
        (f"{'0' * 64}:root", "role 'root'"),
        (f"{'0' * 64}", "role ''"),
    ],
)
def test_malformed_key_settings_are_rejected(setting: str, fragment: str) -> None:
    with pytest.raises(ApiKeyConfigError, match="ASSISTANT_API_KEYS entry 1") as raised:
        KeyRing.parse(setting)
    assert fragment in str(raised.value)


def test_keys_are_matched_by_hash_and_roles_map_to_access() -> None:
    public, admin = new_key(), new_key()
    keys = KeyRing.parse(f"{key_entry(public, 'public')}, {key_entry(admin, 'admin', 'ops')}")
    assert keys.identify(public).access == ["public"]
    assert keys.identify(admin).name == "ops"
    assert not keys.local_mode and KeyRing.parse(None).local_mode


# --- personal data ---


def test_id_card_and_mobile_numbers_are_masked() -> None:
    text = (
        "我叫张三，身份证号11010519491231002X，手机13812345678，也可打+86 139-1234-5678，订单号123456789012345678901。"
    )
    masked = mask_personal_data(text)
    assert masked == (
        "我叫张三，身份证号110105********002X，手机138****5678，也可打+86 139****5678，订单号123456789012345678901。"
    )


def test_the_log_filter_masks_personal_data_in_formatted_messages() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("test.personal-data")
    logger.addHandler(handler)
    try:
        logger.warning("question: %s", "我的电话是13987654321")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().strip() == "question: 我的电话是139****4321"


def test_questions_are_logged_with_personal_data_masked(
    api_server: LiveServer, api_keys: ApiKeys, caplog: pytest.LogCaptureFixture
) -> None:
    query = "身份证号22010419900307123X、手机号15643218765的人怎么补办社保卡"
    with caplog.at_level(logging.INFO, logger="assistant.api"):
        assert api_server.client(api_keys.public).post("/v1/search", json={"query": query}).status_code == 200
    assert "220104********123X" in caplog.text and "156****8765" in caplog.text
    assert "22010419900307123X" not in caplog.text and "15643218765" not in caplog.text


# --- answers (the 0.5B model) ---


def server_sent_events(response: httpx.Response) -> Iterator[tuple[str | None, dict]]:
    name = None
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))


def passages_shown_to_the_model(server: LiveServer, key: str, question: str) -> list[dict]:
    """The first event of a streamed answer (its passages); then hang up, which stops the generation."""
    with server.client(key).stream("POST", "/v1/ask", json={"question": question, "stream": True}) as response:
        name, data = next(server_sent_events(response))
    assert name == "citations", data
    return data["citations"]


@pytest.mark.slow
def test_ask_returns_an_answer_citing_retrieved_passages(api_server: LiveServer, api_keys: ApiKeys) -> None:
    client = api_server.client(api_keys.public)
    response = client.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["question"] == QUESTION and body["declined"] is False and body["label"] == AI_LABEL
    assert body["answer"].endswith(AI_LABEL) and len(body["answer"]) > len(AI_LABEL)
    assert [c["n"] for c in body["citations"]] == list(range(1, len(body["citations"]) + 1))
    retrieved = {r["chunk_id"] for r in client.post("/v1/search", json={"query": QUESTION}).json()["results"]}
    assert {c["chunk_id"] for c in body["citations"]} <= retrieved


@pytest.mark.slow
def test_a_streamed_answer_sends_citations_excerpt_tokens_then_done(api_server: LiveServer, api_keys: ApiKeys) -> None:
    with api_server.client(api_keys.public).stream(
        "POST", "/v1/ask", json={"question": QUESTION, "stream": True}
    ) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = list(server_sent_events(response))
    names = [name for name, _ in events]
    assert names[:2] == ["citations", "excerpt"] and names[-1] == "done"
    assert set(names[2:-1]) == {"token"} and len(names) > 4
    passages, done = events[0][1]["citations"], events[-1][1]
    assert [p["n"] for p in passages] == list(range(1, len(passages) + 1))
    # 政策原文 before the first token: sentences of the numbered passages, verbatim.
    excerpt = events[1][1]["excerpt"]
    assert excerpt and all(s["text"].rstrip("…") in passages[s["n"] - 1]["text"] for s in excerpt)
    assert all({"title", "section", "text", "doc_id", "score"} <= set(p) and p["text"] for p in passages)
    assert {c["chunk_id"] for c in done["citations"]} <= {p["chunk_id"] for p in passages}
    assert done["answer"].endswith(AI_LABEL) and done["question"] == QUESTION
    assert "".join(data["token"] for name, data in events if name == "token").endswith(AI_LABEL)


@pytest.mark.slow
def test_a_public_answer_is_never_given_internal_passages(
    api_server: LiveServer, api_keys: ApiKeys, internal_document: InternalDocument
) -> None:
    question = f"{internal_document.code_name}的政务云资源由谁调配？"
    staff = passages_shown_to_the_model(api_server, api_keys.staff, question)
    public = passages_shown_to_the_model(api_server, api_keys.public, question)
    assert staff[0]["doc_id"] == internal_document.doc_id
    assert internal_document.doc_id not in {p["doc_id"] for p in public}
    assert internal_document.code_name not in "".join(p["text"] for p in public)


def assert_generation_stops_early(server: LiveServer, tokens_before: float) -> None:
    """The model goes idle within seconds, having generated well under the answer's token budget."""
    llm = server.state.components.llm
    deadline = time.monotonic() + 10
    while llm.busy() or metric_value(server, "assistant_generation_active"):
        assert time.monotonic() < deadline, "the generation went on after the client left"
        time.sleep(0.05)
    streamed = metric_value(server, "assistant_generated_tokens_total") - tokens_before
    assert streamed < server.state.settings.llm_max_tokens / 2


@pytest.mark.slow
def test_a_client_leaving_a_stream_stops_the_generation(api_server: LiveServer, api_keys: ApiKeys) -> None:
    tokens_before = metric_value(api_server, "assistant_generated_tokens_total")
    question = "请详细列出吉林省加快推进人工智能创新发展的全部重点任务，并逐条解释。"
    with api_server.client(api_keys.public).stream(
        "POST", "/v1/ask", json={"question": question, "stream": True}
    ) as response:
        for line in response.iter_lines():
            if line == "event: token":
                break
    assert_generation_stops_early(api_server, tokens_before)


@pytest.mark.slow
def test_a_client_leaving_before_a_whole_answer_stops_the_generation(api_server: LiveServer, api_keys: ApiKeys) -> None:
    tokens_before = metric_value(api_server, "assistant_generated_tokens_total")
    body = json.dumps({"question": "吉林省人工智能创新发展的保障措施有哪些？请逐条详细说明。"}).encode()
    head = (
        f"POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {api_keys.public}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    host, port = api_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(head.encode() + body)
        deadline = time.monotonic() + 300
        while metric_value(api_server, "assistant_generated_tokens_total") == tokens_before:
            assert time.monotonic() < deadline, "the model never started"
            time.sleep(0.05)
    assert_generation_stops_early(api_server, tokens_before)
