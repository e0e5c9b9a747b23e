"""Case actions through the real API leave audit entries (SQLite and PostgreSQL): who (the API key, or the
applicant by the case's code), what, on which case, and the applicant's ID number never in clear."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from assistant.api.app import create_app

if TYPE_CHECKING:
    from api_fixtures import ApiKeys, LiveServer
    from case_fixtures import CaseCatalogue

pytest_plugins = ["db_fixtures", "case_fixtures", "api_fixtures"]

APPLICANT = {"kind": "person", "name": "李四", "id_number": "11010519491231002X", "phone": "13900139000"}


@pytest.fixture
def case_server(
    case_catalogue: CaseCatalogue, api_keys: ApiKeys, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    from api_fixtures import LiveServer
    from case_fixtures import CaseCatalogue, case_settings

    root = tmp_path_factory.mktemp("audit-cases")
    shutil.copytree(case_catalogue.data_dir, root / "data")  # the server holds its own copy of the embedded store
    catalogue = CaseCatalogue(root / "data", case_catalogue.licensing, case_catalogue.records)
    settings = case_settings(catalogue, database_url, root / "materials", api_keys=api_keys.setting)
    server = LiveServer(create_app(settings)).start()
    yield server
    server.stop()


def test_case_actions_are_logged_with_who_did_them(
    case_server: LiveServer, api_keys: ApiKeys, case_catalogue: CaseCatalogue
) -> None:
    with case_server.client(api_keys.public) as public:
        created = public.post("/v1/cases", json={"applicant": APPLICANT, "item_ids": [case_catalogue.licensing[0]]})
    assert created.status_code == 201, created.text
    number, code = created.json()["case"]["number"], created.json()["code"]
    with httpx.Client(base_url=case_server.url, headers={"X-Case-Code": code}) as applicant:
        assert applicant.get(f"/v1/cases/{number}").status_code == 200
    with case_server.client(api_keys.staff) as staff:
        moved = staff.post(
            f"/v1/cases/{number}/transitions", json={"action": "start_prereview", "reason": "开始预审", "version": 1}
        )
        assert moved.status_code == 200, moved.text
    with case_server.client(api_keys.admin) as admin:
        entries = admin.get("/v1/audit", params={"kind": "case_action"}).json()["entries"]
    done = [(e["detail"]["action"], e["detail"]["case"], e["role"]) for e in entries]
    assert done == [("create", number, "public"), ("view", number, "applicant"), ("start_prereview", number, "staff")]
    assert entries[1]["key_id"] == "case-code" and entries[2]["detail"]["reason"] == "开始预审"
    assert entries[0]["detail"]["item_ids"] == [case_catalogue.licensing[0]]
    assert APPLICANT["id_number"] not in str(entries)
