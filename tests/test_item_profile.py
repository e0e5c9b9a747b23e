"""Plain-words search notes of service items: derived at ingest, indexed, never shown; and the about
vectors made of them, which order the records a search found."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.components import Components
from assistant.config import Settings
from assistant.ingest.chunk import chunk_records
from assistant.ingest.item_profile import AliasList, BadAliasList, default_aliases, search_note
from assistant.ingest.pipeline import document_id
from assistant.ingest.records import service_item_record
from assistant.retrieval.evidence import OVERLAP_DEPTH
from assistant.retrieval.store import chunk_point_id

ALIASES = AliasList.parse("机动车驾驶证\t驾照、车本\n增加准驾车型\t增驾、C1升B2\n# a comment\n\n补发\t证件丢了\n")


def row(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "TASK_CODE": f"T-{name}",
        "matter_name": name,
        "DEPT_NAME": "广州市公安局",
        "handle_location": "办理地点：广州市天河区华观路1732号",
        "material_intro": ["机动车驾驶证申请表", "居民身份证"],
        "service_object_name": ["自然人"],
        "theme_category": ["交通出行"],
        **extra,
    }


def test_an_item_gets_the_words_of_every_alias_line_matching_its_name() -> None:
    assert ALIASES.words_for("机动车驾驶证增加准驾车型") == ["驾照", "车本", "增驾", "C1升B2"]
    assert ALIASES.words_for("结婚登记预约") == []


def test_a_bad_alias_line_is_named() -> None:
    with pytest.raises(BadAliasList, match="list:2"):
        AliasList.parse("补发\t证件丢了\n没有制表符的行\n", "list")
    with pytest.raises(BadAliasList, match="bad pattern"):
        AliasList.parse("补发(\t证件丢了\n")


def test_the_bundled_alias_list_loads() -> None:
    assert "驾照" in default_aliases().words_for("机动车驾驶证初次申领")


def test_an_edited_alias_list_gives_record_files_new_document_ids(tmp_path: Path) -> None:
    """The list's digest is folded into a record file's id, so the next ingest replaces the old notes."""
    edited = AliasList.parse("机动车驾驶证\t驾照、车本、驾驶本\n增加准驾车型\t增驾、C1升B2\n补发\t证件丢了\n")
    comments_only = AliasList.parse("# new\n机动车驾驶证\t驾照、车本\n增加准驾车型\t增驾、C1升B2\n补发\t证件丢了")
    assert edited.digest != ALIASES.digest == comments_only.digest
    records = tmp_path / "items.jsonl"
    records.write_text(json.dumps(row("机动车驾驶证补发"), ensure_ascii=False) + "\n", encoding="utf-8")
    ids = {document_id(records, f"aliases={aliases.digest}") for aliases in (ALIASES, edited, comments_only)}
    assert len(ids) == 2


def test_the_note_holds_plain_words_other_names_audience_and_themes() -> None:
    note = search_note(row("机动车驾驶证增加准驾车型", matter_daily="增驾，驾驶证增驾"), ALIASES)

    assert note.splitlines() == [
        "通俗说法：驾照、车本、增驾、C1升B2",
        "又称：增驾、驾驶证增驾",
        "办理人：个人",
        "主题：交通出行",
    ]


def test_the_note_is_indexed_with_the_first_piece_but_never_part_of_the_passage() -> None:
    record = service_item_record(row("机动车驾驶证增加准驾车型", accept_standard="依据" * 300))
    first, *others = chunk_records([record], size=200, overlap=20)

    assert record.search_note and "通俗说法" not in record.text
    assert others and "通俗说法" not in first.text
    name_line, note_line, *_ = first.indexed_text.splitlines()
    assert name_line == "事项名称：机动车驾驶证增加准驾车型" and note_line.startswith("通俗说法：")
    assert all(c.indexed_text == c.text for c in others)
    assert first.metadata["search_note"] == record.search_note and "search_note" not in others[0].metadata
    assert first.about_text == f"{name_line}\n{record.search_note}" and not any(c.about_text for c in others)


# Without the notes the question ranks 企业职工养老保险死亡待遇申领 first: the passages share no word with it.
NEIGHBOURS = [
    *("百家姓查询", "户口迁出", "企业职工养老保险死亡待遇申领", "低压居民报装", "更名过户", "代开增值税普通发票"),
    *("发票真伪鉴定", "作品著作权登记", "商标注册咨询服务"),
]
COLLOQUIAL = {"老公上班出事故没了，家里能领什么钱": "工亡待遇申领"}


def test_a_citizen_finds_the_item_by_the_words_of_its_note(tmp_path: Path) -> None:
    names = ["重名查询", "百家姓查询", "户口迁出", "工亡待遇申领", *NEIGHBOURS[2:]]
    source = tmp_path / "items.jsonl"
    source.write_text("\n".join(json.dumps(row(n), ensure_ascii=False) for n in names), encoding="utf-8")
    components = Components(Settings(data_dir=tmp_path / "data"))
    try:
        components.ingestor.ingest_paths([source])
        found = {q: components.searcher.search(q, top_k=3).results[0] for q in COLLOQUIAL}
    finally:
        components.close()

    assert {q: r.title for q, r in found.items()} == COLLOQUIAL
    assert not any("通俗说法" in r.text for r in found.values())


# The 注销 item's materials share the question's words (公司, 注册单位, 一建证); only the names tell them apart.
ITEMS = [
    row("一级注册建造师变更注册", material_intro=["变更注册申请表"]),
    row(
        "一级注册建造师注销注册",
        material_intro=["公司出具的解聘证明", "注册单位情况说明", "换公司的说明", "一建证原件"],
    ),
    row("一级注册建造师初始注册", material_intro=["初始注册申请表", "考试合格证明"]),
    row("二级注册建造师执业资格注册核准", material_intro=["申请表"]),
]
QUESTION = "一建证注册的公司要换了，注册单位怎么变？"


def test_the_item_whose_name_means_the_question_outranks_one_whose_materials_echo_it(tmp_path: Path) -> None:
    source = tmp_path / "items.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ITEMS), encoding="utf-8")
    components = Components(Settings(data_dir=tmp_path / "data"))
    try:
        components.ingestor.ingest_paths([source])
        (doc,) = components.store.list_documents()
        heads = [chunk_point_id(doc["doc_id"], i) for i in range(len(ITEMS))]
        about = components.store.about_scores(components.embedder.embed_query(QUESTION), heads)
        response = components.searcher.search(QUESTION, top_k=len(ITEMS))
        with_about = response.results
        components.searcher.settings.about_depth = 0
        without = components.searcher.search(QUESTION, top_k=len(ITEMS)).results
    finally:
        components.close()

    assert set(about) == set(heads)  # every record's first piece got its about vector
    assert without[0].title == "一级注册建造师注销注册"
    assert with_about[0].title == "一级注册建造师变更注册"
    assert {r.chunk_id for r in with_about} == {r.chunk_id for r in without}  # reordered, nothing new
    assert response.signals is not None  # the evidence decision sees the best about match of the top three
    best_about = max(about[r.chunk_id] for r in with_about[:OVERLAP_DEPTH])
    assert response.signals.about_top == pytest.approx(best_about, abs=1e-4)
