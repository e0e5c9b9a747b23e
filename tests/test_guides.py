""" "一件事" guides over a small catalogue of service-item records written by the test itself (same fields
as the Guangdong catalogue), ingested into a real store with the bundled embedding model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.api.app import create_app
from assistant.cli import main
from assistant.components import Components
from assistant.config import Settings, get_settings
from assistant.guides.materials import material_key
from assistant.guides.service import BadGuideQuestion

pytest_plugins = ["api_fixtures"]

INJURY_DEPT = "广东省人力资源和社会保障厅"
INJURY_PLACE = "广州市天河区林和中路168号广东省社会保险基金管理局2楼办事大厅窗口"
POLICE = "广州市公安局"


def item(code: str, name: str, dept: str, materials: list[str] | str, **extra: Any) -> dict[str, Any]:
    return {
        "TASK_CODE": f"1144TEST{code}",
        "matter_name": name,
        "DEPT_NAME": dept,
        "AREA_CODE_TEXT": "广东省",
        "matter_type": "公共服务",
        "handle_location": f"办理地点：{extra.pop('place', INJURY_PLACE)}",
        "handle_time": extra.pop("legal", "30(工作日)"),
        "handle_time_limit": extra.pop("promised", "15(工作日)"),
        "consult_phone": extra.pop("phone", "020-12333"),
        "material_intro": materials,
        "service_object_name": ["自然人"],
        "theme_category": ["社会保障（社会保险、社会救助）"],
        "URL": f"https://www.gdzwfw.gov.cn/item/{code}",
        **extra,
    }


INJURY_ITEMS = [
    item("01", "工伤事故备案", INJURY_DEPT, "无", legal="无", promised="1(工作日)"),
    item(
        "02",
        "工伤医疗/康复/辅助器具配置费用申报",
        INJURY_DEPT,
        ["工伤保险待遇申请表", "出院小结（记录）", "住院费用明细汇总", "工伤职工身份证", "代办委托书"],
    ),
    item(
        "03",
        "伤残待遇申领（一次性伤残补助金、伤残津贴和生活护理费）",
        INJURY_DEPT,
        ["工伤保险待遇申请表", "劳动能力鉴定结论书", "工伤职工身份证", "参保人社会保障卡或银行存折/借记卡"],
    ),
    item(
        "04",
        "一次性工伤医疗补助金申请",
        INJURY_DEPT,
        ["工伤保险待遇申请表", "解除或终止劳动合同通知书", "工伤职工身份证", "代办委托书"],
    ),
]
OTHER_ITEMS = [
    item(
        "10",
        "企业职工基本养老金申领",
        INJURY_DEPT,
        ["企业职工基本养老保险待遇申报表", "以申领人名义开立的有金融功能的社会保障卡。"],
        matter_daily="养老金、退休金",
    ),
    item(
        "11",
        "办理往来港澳通行证",
        POLICE,
        ["居民身份证", "广东省出入境证件数字相片采集回执"],
        place="广州市白云区广云路11号",
        phone="020-12345",
    ),
    item("12", "办理往来港澳通行证商务签注", POLICE, ["往来港澳商务签注备案登记表", "居民身份证", "往来港澳通行证"]),
    item("13", "办理往来港澳通行证个人游签注", POLICE, ["居民身份证", "往来港澳通行证"]),
    item("14", "机动车驾驶证初次申领", POLICE, ["机动车驾驶证申请表", "居民身份证", "身体条件证明"]),
    item("15", "发票真伪鉴定", "国家税务总局广东省税务局", ["发票真伪鉴定申请", "发票原件"]),
    item("16", "临时价格干预范围事项提价申报", "广东省发展和改革委员会", ["提价申报申请报告"]),
]
INJURY_QUESTION = "我在工作中受伤了，要办哪些手续？"


@pytest.fixture(scope="module")
def catalogue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the test catalogue (one .jsonl file), ingested once for the module."""
    data_dir = tmp_path_factory.mktemp("guide-data")
    source = tmp_path_factory.mktemp("guide-source") / "items.jsonl"
    source.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in INJURY_ITEMS + OTHER_ITEMS), encoding="utf-8"
    )
    components = Components(Settings(data_dir=data_dir))
    try:
        summary = components.ingestor.ingest_paths([source])
        assert summary.count("added") == 1, summary.as_dict()
    finally:
        components.close()
    return data_dir


@pytest.fixture
def components(catalogue_dir: Path) -> Iterator[Components]:
    """Components over the test catalogue, closed after the test (the embedded store has one holder)."""
    components = Components(Settings(data_dir=catalogue_dir))
    yield components
    components.close()


def names(guide: Any) -> list[str]:
    return [i.name for i in guide.items]


def test_work_injury_guide_lists_the_injury_items_in_order_and_no_unrelated_ones(components: Components) -> None:
    guide = components.guides.guide(INJURY_QUESTION)

    assert guide.found and guide.event == "work_injury"
    listed = names(guide)
    assert listed[0] == "工伤事故备案"
    assert {"工伤医疗/康复/辅助器具配置费用申报", listed[-1]} <= set(listed)
    assert listed[-1].startswith("伤残待遇申领")
    unrelated = {r["matter_name"] for r in OTHER_ITEMS}
    assert not unrelated & set(listed)
    # Conditional: only for a worker who leaves the job.
    assert "一次性工伤医疗补助金申请" not in listed


def test_each_item_carries_its_own_department_place_time_limits_and_phone(components: Components) -> None:
    guide = components.guides.guide(INJURY_QUESTION)

    first = guide.items[0]
    assert (first.dept, first.location, first.promised_time_limit, first.phone) == (
        INJURY_DEPT,
        INJURY_PLACE,
        "1(工作日)",
        "020-12333",
    )
    assert first.legal_time_limit is None  # the catalogue says 无: nothing is filled in


def test_steps_the_catalogue_lacks_are_reported_missing_with_where_to_ask(components: Components) -> None:
    guide = components.guides.guide(INJURY_QUESTION)

    assert "申请工伤认定" in guide.missing
    step = next(s for s in guide.steps if s.title == "申请工伤认定")
    assert step.missing and step.items == [] and "12333" in (step.note or "")


def test_a_conditional_step_appears_when_the_question_mentions_it(components: Components) -> None:
    guide = components.guides.guide("工伤后和单位解除劳动合同，辞职了还能领什么？")

    assert "一次性工伤医疗补助金申请" in names(guide)


def test_merged_materials_keep_every_items_documents_and_list_each_once(components: Components) -> None:
    guide = components.guides.guide("工伤以后辞职了，要办哪些手续")

    lines = {material_key(m.text): m for m in guide.materials}
    assert len(lines) == len(guide.materials)  # no document listed twice
    for entry in guide.items:
        for material in entry.materials:
            assert entry.n in lines[material_key(material)].items, (entry.name, material)
    shared = lines[material_key("工伤职工身份证")]
    assert len(shared.items) >= 3  # asked by three items, listed once


def test_every_item_and_material_line_cites_a_catalogue_record(components: Components) -> None:
    guide = components.guides.guide(INJURY_QUESTION)

    cited = {c.n: c for c in guide.citations}
    assert sorted(cited) == [i.n for i in guide.items]
    for entry in guide.items:
        assert cited[entry.n].text.startswith(f"事项名称：{entry.name}")
    assert all(set(s.items) <= set(cited) for s in guide.steps)
    assert all(m.items and set(m.items) <= set(cited) for m in guide.materials)
    text = guide.as_text()
    assert all(f"[{n}]" in text for n in cited)


def test_business_trip_to_hong_kong_takes_the_permit_and_the_business_endorsement(components: Components) -> None:
    guide = components.guides.guide("想去香港商务出差，要办什么证件？")

    assert names(guide) == ["办理往来港澳通行证", "办理往来港澳通行证商务签注"]
    assert [m.text for m in guide.materials].count("居民身份证") == 1


def test_retirement_guide_for_a_parent(components: Components) -> None:
    guide = components.guides.guide("父亲退休了要办什么")

    assert "企业职工基本养老金申领" in names(guide)
    assert not any(n.startswith("工伤") for n in names(guide))


def test_a_goal_outside_the_event_table_is_found_by_search(components: Components) -> None:
    guide = components.guides.guide("收到一张发票，不知道是真是假，怎么鉴别？")

    assert guide.found and guide.event is None
    assert names(guide) == ["发票真伪鉴定"]


def test_a_goal_the_catalogue_does_not_cover_gets_not_found_and_where_to_ask(components: Components) -> None:
    guide = components.guides.guide("想给家里的猫做绝育，去哪里办手续？")

    assert not guide.found
    assert guide.items == [] and guide.steps == [] and guide.citations == []
    assert "没有找到" in guide.title and "12345" in guide.where_to_ask


def test_an_empty_question_is_refused(components: Components) -> None:
    with pytest.raises(BadGuideQuestion, match="empty"):
        components.guides.guide("   ")


def test_guide_endpoint_returns_the_guide_and_rejects_a_blank_question(catalogue_dir: Path) -> None:
    from api_fixtures import LiveServer, server_settings  # loaded as a plugin above, so imported once

    server = LiveServer(create_app(server_settings(catalogue_dir))).start()
    try:
        with server.client() as client:
            response = client.post("/v1/guide", json={"question": INJURY_QUESTION})
            blank = client.post("/v1/guide", json={"question": "  "})
    finally:
        server.stop()

    assert response.status_code == 200, response.text
    body = response.json()
    assert {"items", "materials", "steps", "citations", "label"} <= set(body)
    assert body["found"] and body["items"][0]["name"] == "工伤事故备案"
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "invalid_request"


def test_guide_command_prints_the_same_guide(
    catalogue_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(catalogue_dir))
    get_settings.cache_clear()
    try:
        assert main(["guide", INJURY_QUESTION, "--json"]) == 0
    finally:
        get_settings.cache_clear()

    printed = json.loads(capsys.readouterr().out)
    assert printed["event"] == "work_injury" and printed["items"][0]["name"] == "工伤事故备案"
