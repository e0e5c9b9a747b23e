"""/v1/drafts on a real uvicorn server (127.0.0.1) over a data directory with the seed opinion and the 0.5B
model: drafting whole and streamed, the stored .docx, format checks of text and uploads, roles and errors."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docx
import httpx
import pytest

from assistant.api.app import create_app
from assistant.components import Components
from assistant.drafting.check import check_docx
from assistant.drafting.store import DraftStore
from assistant.models.provision import provision

if TYPE_CHECKING:
    from api_fixtures import ApiKeys, LiveServer
    from conftest import DocxMaker

pytest_plugins = ["api_fixtures"]

NOTICE = {
    "doc_type": "通知",
    "issuer": "吉林省科学技术厅",
    "recipients": ["各市（州）科技局"],
    "subject": "报送人工智能应用场景",
    "points": ["梳理本地区人工智能应用场景"],
    "doc_number": "吉科发〔2026〕12号",
    "date": "2026-07-01",
    "attachments": ["人工智能应用场景申报表"],
    "cc": ["吉林省工业和信息化厅"],
    "grounding": {"query": "人工智能应用场景"},
}
FAULTY_TEXT = """\
吉林省科学技术厅关于报送人工智能应用场景的通知

各市（州）科技局:
　　一、报送范围
　　三、工作要求

吉林省科学技术厅
2026年07月01日
"""


@pytest.fixture(scope="module")
def draft_server(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, api_keys: ApiKeys) -> Iterator[LiveServer]:
    """A server over the seed opinion, writing short draft bodies (48 tokens) from two passages."""
    from api_fixtures import LiveServer, server_settings

    data_dir = tmp_path_factory.mktemp("drafts-api")
    settings = server_settings(data_dir, api_keys=api_keys.setting, draft_max_tokens=48, top_k=2)
    provision(settings, only=["qwen2.5-coder-0.5b-instruct"])
    components = Components(settings)
    try:
        assert components.ingestor.ingest_paths([corpus_dir / "jilin-ai-innovation-opinion-draft.txt"]).count("added")
    finally:
        components.close()
    server = LiveServer(create_app(settings)).start()
    yield server
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


def error_of(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


@pytest.mark.slow
def test_a_staff_key_gets_a_stored_draft_that_passes_the_checker(draft_server: LiveServer, api_keys: ApiKeys) -> None:
    client = draft_server.client(api_keys.staff)
    response = client.post("/v1/drafts", json=NOTICE)
    assert response.status_code == 200, response.text
    draft = response.json()
    assert draft["title"] == "吉林省科学技术厅关于报送人工智能应用场景的通知"
    assert draft["findings"] == [] and draft["citations"]
    elements = draft["elements"]
    assert (elements["发文字号"], elements["成文日期"], elements["主送机关"]) == (
        "吉科发〔2026〕12号",
        "2026年7月1日",
        ["各市（州）科技局"],
    )
    assert elements["附件说明"] == ["附件：人工智能应用场景申报表"] and elements["抄送机关"] == ["吉林省工业和信息化厅"]
    assert "根据《吉林省加快推进人工智能创新发展实施意见（征求意见稿）》" in draft["text"]
    assert (
        draft["text"].index("各市（州）科技局：")
        < draft["text"].index("特此通知。")
        < draft["text"].index("2026年7月1日")
    )

    file = client.get(f"/v1/drafts/{draft['id']}.docx")
    assert file.status_code == 200
    assert file.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument")
    assert docx.Document(io.BytesIO(file.content)).core_properties.identifier == draft["id"]
    assert check_docx(file.content) == []
    # Stored as files in the data directory: any replica sharing the volume serves the draft.
    stored = DraftStore(draft_server.state.settings.data_dir).load(draft["id"])
    assert stored.text == draft["text"]
    assert client.get(f"/v1/drafts/{draft['id']}").json()["text"] == draft["text"]


@pytest.mark.slow
def test_a_streamed_draft_sends_citations_tokens_and_the_stored_draft(
    draft_server: LiveServer, api_keys: ApiKeys
) -> None:
    client = draft_server.client(api_keys.staff)
    response = client.post(
        "/v1/drafts", json={**NOTICE, "doc_type": "报告", "recipients": ["吉林省人民政府"], "stream": True}
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "citations" and kinds[-1] == "done" and kinds.count("token") >= 5
    done = events[-1][1]
    assert done["findings"] == [] and done["doc_type"] == "报告"
    assert client.get(f"/v1/drafts/{done['id']}.docx").status_code == 200


def test_the_checker_reports_findings_for_text_and_uploaded_files(
    draft_server: LiveServer, api_keys: ApiKeys, tmp_path: Path, make_docx: DocxMaker
) -> None:
    client = draft_server.client(api_keys.staff)
    text = client.post("/v1/drafts/check", json={"text": FAULTY_TEXT})
    assert text.status_code == 200, text.text
    assert [(f["rule"], f["where"]) for f in text.json()["findings"]] == [
        ("recipient-punctuation", "line 3"),
        ("heading-numbering", "line 5"),
        ("date-form", "line 8"),
    ]
    path = make_docx(tmp_path / "faulty.docx", FAULTY_TEXT.splitlines(), ())
    with path.open("rb") as handle:
        upload = client.post("/v1/drafts/check", files={"file": ("faulty.docx", handle)}, data={"doc_type": "通知"})
    assert upload.status_code == 200, upload.text
    rules = [(f["rule"], f["where"]) for f in upload.json()["findings"]]
    assert ("page-size", "section 1") in rules and ("heading-numbering", "paragraph 5") in rules
    txt = client.post("/v1/drafts/check", files={"file": ("faulty.txt", FAULTY_TEXT.encode("gb18030"))})
    assert [f["rule"] for f in txt.json()["findings"]] == ["recipient-punctuation", "heading-numbering", "date-form"]


def test_bad_check_requests_get_422_with_the_reason(draft_server: LiveServer, api_keys: ApiKeys) -> None:
    client = draft_server.client(api_keys.staff)
    assert "text" in error_of(client.post("/v1/drafts/check", json={"txt": "x"}))["message"]
    pdf = client.post("/v1/drafts/check", files={"file": ("notice.pdf", b"%PDF-1.4")})
    assert pdf.status_code == 422 and ".txt and .docx" in error_of(pdf)["message"]
    broken = client.post("/v1/drafts/check", files={"file": ("notice.docx", b"not a zip")})
    assert broken.status_code == 422 and "not a readable .docx" in error_of(broken)["message"]


def test_drafts_need_the_staff_role(draft_server: LiveServer, api_keys: ApiKeys) -> None:
    public = draft_server.client(api_keys.public)
    assert public.post("/v1/drafts", json=NOTICE).status_code == 403
    assert public.post("/v1/drafts/check", json={"text": FAULTY_TEXT}).status_code == 403
    assert draft_server.client().post("/v1/drafts/check", json={"text": FAULTY_TEXT}).status_code == 401


def test_requests_that_cannot_be_drafted_are_refused_before_the_model_runs(
    draft_server: LiveServer, api_keys: ApiKeys
) -> None:
    client = draft_server.client(api_keys.staff)
    generations = draft_server.state.components.llm.generations
    two = client.post(
        "/v1/drafts", json={**NOTICE, "doc_type": "请示", "recipients": ["吉林省人民政府", "吉林省财政厅"]}
    )
    assert two.status_code == 422 and "one recipient" in error_of(two)["message"]
    unknown = client.post("/v1/drafts", json={**NOTICE, "doc_type": "总结"})
    assert unknown.status_code == 422 and "the 15 types are" in error_of(unknown)["message"]
    extra = client.post("/v1/drafts", json={**NOTICE, "colour": "red"})
    assert extra.status_code == 422
    assert draft_server.state.components.llm.generations == generations


def test_unknown_drafts_are_404(draft_server: LiveServer, api_keys: ApiKeys) -> None:
    client = draft_server.client(api_keys.staff)
    assert error_of(client.get("/v1/drafts/" + "0" * 32 + ".docx"))["code"] == "not_found"
    assert client.get("/v1/drafts/..%2F..%2Fetc%2Fpasswd.docx").status_code == 404
    assert client.get("/v1/drafts/not-an-id").status_code == 404


def test_the_drafting_routes_are_documented(draft_server: LiveServer) -> None:
    schema = draft_server.client().get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/v1/drafts", "/v1/drafts/{draft_id}.docx", "/v1/drafts/{draft_id}", "/v1/drafts/check"} <= set(paths)
    assert "text/event-stream" in paths["/v1/drafts"]["post"]["responses"]["200"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(
        paths["/v1/drafts/check"]["post"]["requestBody"]["content"]
    )
    assert "HTTPValidationError" not in schema["components"]["schemas"]
