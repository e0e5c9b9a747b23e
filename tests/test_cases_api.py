"""/v1/cases over a real HTTP server on SQLite and on PostgreSQL: keys and roles, the applicant's access by
verification code (404 for a wrong code or another applicant's case), bad input, uploads, transitions
racing each other (one 200, one 409 with the current case), notices, and starting a guide's 一件事."""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import docx
import httpx
import pytest
from postgres_cluster import fresh_database

from assistant.api.app import create_app

if TYPE_CHECKING:
    from api_fixtures import ApiKeys, LiveServer
    from case_fixtures import CaseCatalogue

pytest_plugins = ["db_fixtures", "case_fixtures", "api_fixtures"]

APPLICANT = {"kind": "person", "name": "李四", "id_number": "11010519491231002X", "phone": "13900139000"}
REFUSAL = {"review_body": "广东省人民政府", "court": "广州铁路运输中级法院"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def case_server(
    request: pytest.FixtureRequest,
    case_catalogue: CaseCatalogue,
    api_keys: ApiKeys,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    from api_fixtures import LiveServer
    from case_fixtures import CaseCatalogue, case_settings

    root = tmp_path_factory.mktemp(f"case-api-{request.param}")
    data_dir = root / "data"
    shutil.copytree(case_catalogue.data_dir, data_dir)  # the server holds its own copy of the embedded store
    catalogue = CaseCatalogue(data_dir, case_catalogue.licensing, case_catalogue.records)

    def start(url: str) -> LiveServer:
        settings = case_settings(catalogue, url, root / "materials", api_keys=api_keys.setting)
        return LiveServer(create_app(settings)).start()

    if request.param == "sqlite":
        server = start(f"sqlite:///{root / 'assistant.db'}")
        yield server
        server.stop()
        return
    with fresh_database(request.getfixturevalue("postgres_admin_url")) as url:
        server = start(url)
        yield server
        server.stop()


def submit(server: LiveServer, key: str, items: list[str]) -> dict[str, Any]:
    with server.client(key) as client:
        response = client.post("/v1/cases", json={"applicant": APPLICANT, "item_ids": items, "form": {"事由": "测试"}})
    assert response.status_code == 201, response.text
    return response.json()


def applicant_client(server: LiveServer, code: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"X-Case-Code": code}, timeout=60)


def act(client: httpx.Client, number: str, action: str, version: int, **extra: Any) -> httpx.Response:
    return client.post(
        f"/v1/cases/{number}/transitions",
        json={"action": action, "reason": f"{action}理由", "version": version, **extra},
    )


def test_roles_decide_who_lists_and_reads_cases(
    case_server: LiveServer, api_keys: ApiKeys, case_catalogue: CaseCatalogue
) -> None:
    created = submit(case_server, api_keys.public, [case_catalogue.licensing[0]])
    number = created["case"]["number"]
    with case_server.client(api_keys.public) as public:
        listed = public.get("/v1/cases")
        assert listed.status_code == 403 and listed.json()["error"]["code"] == "forbidden"
        assert public.get(f"/v1/cases/{number}").status_code == 403
    with case_server.client() as nobody:
        assert nobody.get("/v1/cases").status_code == 401
    with case_server.client(api_keys.staff) as staff:
        page = staff.get("/v1/cases", params={"item_id": case_catalogue.licensing[0]}).json()
        assert number in [c["number"] for c in page["cases"]]
        first = staff.get(f"/v1/cases/{number}").json()["history"][0]
        assert (first["to_state"], first["actor"], first["role"]) == ("submitted", "李四", "applicant")
        flow = staff.get("/v1/cases/workflow").json()
        labels = {s["state"]: s["label"] for s in flow["states"]}
        assert labels["correction"] == "补正" and labels["special"] == "特别程序"
        extend = next(a for a in flow["actions"] if a["action"] == "extend")
        assert extend["roles"] == ["admin"] and extend["to"] is None


def test_an_applicant_sees_their_own_case_by_its_code_and_nothing_else(
    case_server: LiveServer, api_keys: ApiKeys, case_catalogue: CaseCatalogue
) -> None:
    mine = submit(case_server, api_keys.public, [case_catalogue.licensing[0]])
    theirs = submit(case_server, api_keys.staff, [case_catalogue.licensing[1]])
    number, code = mine["case"]["number"], mine["code"]
    with applicant_client(case_server, code) as me:  # no API key at all
        own = me.get(f"/v1/cases/{number}")
        assert own.status_code == 200 and own.json()["applicant"]["name"] == "李四"
        other = me.get(f"/v1/cases/{theirs['case']['number']}")
        assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
        assert me.get("/v1/cases").status_code == 401  # a code opens one case, never the worklist
    with applicant_client(case_server, "WRONGCODE2") as guesser:
        assert guesser.get(f"/v1/cases/{number}").status_code == 404
    with case_server.client(api_keys.staff) as staff:
        staff_view = act(staff, number, "assign", 1, assignee="王五")
        assert staff_view.json()["assignee"] == "王五"
    with applicant_client(case_server, code) as me:
        shown = me.get(f"/v1/cases/{number}").json()
        assert shown["assignee"] is None and shown["history"][-1]["actor"] == "工作人员"


def test_bad_input_gets_a_clear_error(case_server: LiveServer, api_keys: ApiKeys) -> None:
    with case_server.client(api_keys.staff) as staff:
        bad_id = staff.post(
            "/v1/cases", json={"applicant": {**APPLICANT, "id_number": "110105194912310021"}, "item_ids": ["x"]}
        )
        assert bad_id.status_code == 422 and "校验位不符" in bad_id.json()["error"]["message"]
        unknown = staff.post("/v1/cases", json={"applicant": APPLICANT, "item_ids": ["NOSUCHITEM"]})
        assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_item"
        assert "NOSUCHITEM" in unknown.json()["error"]["message"]


def test_uploads_and_an_illegal_transition(
    case_server: LiveServer, api_keys: ApiKeys, case_catalogue: CaseCatalogue
) -> None:
    created = submit(case_server, api_keys.public, [case_catalogue.licensing[0]])
    number, code = created["case"]["number"], created["code"]
    with applicant_client(case_server, code) as me:
        empty = me.post(f"/v1/cases/{number}/materials", files={"files": ("空.pdf", b"", "application/pdf")})
        assert empty.status_code == 422 and "empty" in empty.json()["error"]["message"]
        big = me.post(f"/v1/cases/{number}/materials", files={"files": ("大.pdf", b"x" * (1024 * 1024 + 10))})
        assert big.status_code == 413 and "1 MiB" in big.json()["error"]["message"]
        ok = me.post(
            f"/v1/cases/{number}/materials",
            files=[("files", ("身份证.jpg", b"\xff\xd8scan", "image/jpeg"))],
            data={"slot": "0", "version": "1"},
        )
        assert ok.status_code == 200, ok.text
        material = ok.json()["materials"][0]
        assert (material["slot"], material["size"], material["media_type"]) == (0, 6, "image/jpeg")
        assert me.get(f"/v1/cases/{number}/materials/{material['id']}").content == b"\xff\xd8scan"
        assert act(me, number, "accept", 2).status_code == 403  # not the applicant's to make
    with case_server.client(api_keys.staff) as staff:
        illegal = act(staff, number, "decide", 2, outcome="approved")
        body = illegal.json()["error"]
        assert illegal.status_code == 422 and body["code"] == "illegal_transition"
        assert "已提交（submitted）" in body["message"] and "start_prereview" in body["message"]


def test_two_transitions_at_once_one_wins_the_other_gets_409_with_the_case(
    case_server: LiveServer, api_keys: ApiKeys, case_catalogue: CaseCatalogue
) -> None:
    number = submit(case_server, api_keys.public, [case_catalogue.licensing[2]])["case"]["number"]
    with case_server.client(api_keys.staff) as staff:
        version = act(staff, number, "start_prereview", 1).json()["version"]
    barrier = threading.Barrier(2)
    responses: list[httpx.Response] = []

    def race(action: str) -> None:
        with case_server.client(api_keys.staff) as client:
            barrier.wait()
            responses.append(act(client, number, action, version, **REFUSAL))

    threads = [threading.Thread(target=race, args=(a,)) for a in ("accept", "reject")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    won = next(r for r in responses if r.status_code == 200).json()
    lost = next(r for r in responses if r.status_code == 409).json()
    assert lost["error"]["code"] == "conflict"
    assert lost["case"]["version"] == won["version"] == version + 1 and lost["case"]["state"] == won["state"]


def test_a_notice_downloads_as_docx(case_server: LiveServer, api_keys: ApiKeys, case_catalogue: CaseCatalogue) -> None:
    created = submit(case_server, api_keys.public, [case_catalogue.licensing[0]])
    number, code = created["case"]["number"], created["code"]
    with case_server.client(api_keys.staff) as staff:
        v = act(staff, number, "start_prereview", 1).json()["version"]
        assert act(staff, number, "accept", v).status_code == 200
        assert staff.get(f"/v1/cases/{number}/notices/refusal").status_code == 422
    with applicant_client(case_server, code) as me:
        response = me.get(f"/v1/cases/{number}/notices/acceptance")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs)
    assert "受理通知书" in text and number in text


def test_a_guides_one_thing_starts_as_one_case(case_server: LiveServer, api_keys: ApiKeys) -> None:
    from case_fixtures import HK_BUSINESS, HK_PERMIT, HK_QUESTION

    with case_server.client(api_keys.public) as public:
        response = public.post("/v1/cases/from-guide", json={"question": HK_QUESTION, "applicant": APPLICANT})
    assert response.status_code == 201, response.text
    case = response.json()["case"]
    assert [s["item_id"] for s in case["sub_cases"]] == [HK_PERMIT, HK_BUSINESS]
    assert case["event_key"] == "hk_macao_trip" and response.json()["code"]
    names = [slot["name"] for slot in case["checklist"]]
    assert len(names) == len(set(names))  # one merged checklist


def test_an_admin_deletes_a_finished_case(
    case_server: LiveServer, api_keys: ApiKeys, case_catalogue: CaseCatalogue
) -> None:
    created = submit(case_server, api_keys.public, [case_catalogue.licensing[0]])
    number, code = created["case"]["number"], created["code"]
    with case_server.client(api_keys.admin) as admin:
        assert admin.delete(f"/v1/cases/{number}").status_code == 422  # still open
    with applicant_client(case_server, code) as me:
        assert act(me, number, "withdraw", 1).json()["state"] == "withdrawn"
    with case_server.client(api_keys.staff) as staff:
        assert staff.delete(f"/v1/cases/{number}").status_code == 403
    with case_server.client(api_keys.admin) as admin:
        assert admin.delete(f"/v1/cases/{number}").status_code == 204
        assert admin.get(f"/v1/cases/{number}").status_code == 404
