"""Chunking: bounded sizes, a heading line on every chunk, sections kept apart, records kept whole."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO

from assistant.ingest.chunk import ChunkingError, chunk_document, chunk_records, heading_line
from assistant.ingest.clean import clean_text
from assistant.ingest.document import ParsedDocument, Record, Section
from assistant.ingest.loaders import load_file
from assistant.ingest.records import service_item_record
from assistant.ingest.structure import parse_document

CATALOGUE = REPO.parent / "shared" / "data" / "gd_service_items" / "policy.jsonl"
SIZES = (80, 150, 400, 1000)


def squash(text: str) -> str:
    """The evaluation's hit rule compares texts with all whitespace removed."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def seeds(opinion_text: str, reply_text: str) -> list[ParsedDocument]:
    return [
        parse_document(clean_text(opinion_text), {}),
        parse_document(clean_text(reply_text), {"title": "关于建议的答复"}),
    ]


@pytest.mark.parametrize("size", SIZES)
def test_chunks_are_bounded_indexed_and_open_with_their_heading_line(seeds: list[ParsedDocument], size: int) -> None:
    for parsed in seeds:
        chunks = chunk_document(parsed, size, overlap=size // 10)
        assert [c.index for c in chunks] == list(range(len(chunks)))
        assert max(len(c.text) for c in chunks) <= size
        for chunk in chunks:
            head = heading_line(parsed.title, chunk.heading_path, size)
            assert chunk.text.startswith(head + "\n"), chunk.text


@pytest.mark.parametrize("size", SIZES)
def test_no_chunk_mixes_top_level_sections(seeds: list[ParsedDocument], size: int) -> None:
    """Every body line of a chunk comes from a section under the chunk's own top-level heading."""
    for parsed in seeds:
        text_under: dict[str, str] = {}
        for section in parsed.sections:
            top = section.heading_path[0] if section.heading_path else ""
            text_under[top] = text_under.get(top, "") + "\n".join((*section.heading_path, section.text)) + "\n"
        for chunk in chunk_document(parsed, size, overlap=size // 10):
            top = chunk.heading_path[0] if chunk.heading_path else ""
            for line in chunk.text.splitlines()[1:]:
                assert line in text_under[top], (chunk.heading_path, line)


def test_every_seed_clause_is_in_some_chunk(seeds: list[ParsedDocument]) -> None:
    for parsed in seeds:
        chunks = "\n".join(c.text for c in chunk_document(parsed, 150, 15))
        for section in parsed.sections:
            for clause in re.split(r"(?<=[。；：，、\n])", section.text):
                assert clause.strip() in chunks, clause


def test_section_path_is_kept_on_its_chunks(seeds: list[ParsedDocument]) -> None:
    opinion = seeds[0]
    [chunk] = [c for c in chunk_document(opinion, 400, 40) if "实施“算力联盟”计划" in c.text]
    assert chunk.heading_path == ("二、重点任务", "（一）夯实人工智能发展算力底座", "1.加快智能算力基础设施建设")
    assert chunk.text.startswith(" > ".join(("吉林省加快推进人工智能创新发展实施意见", *chunk.heading_path)) + "\n")


def test_long_section_is_split_with_overlap_inside_it() -> None:
    body = "".join(f"第{i}项措施落实到位，" for i in range(1, 40)) + "全部完成。"
    parsed = ParsedDocument(title="测试办法", sections=[Section(("一、措施",), body)])
    chunks = chunk_document(parsed, 120, 30)
    assert len(chunks) > 3
    bodies = [c.text.split("\n", 1)[1] for c in chunks]
    for previous, following in zip(bodies, bodies[1:], strict=False):
        assert following[:8] in previous  # each piece starts with the tail of the one before
    assert "".join(bodies).count("全部完成。") == 1


def test_tiny_sections_under_one_parent_are_merged() -> None:
    sections = [
        Section(("第三条",), "申请企业应当提交下列材料："),
        Section(("第三条", "（一）申请表；"), ""),
        Section(("第三条", "（二）营业执照。"), ""),
        Section(("第四条",), "材料齐全的，予以受理。"),
    ]
    chunks = chunk_document(ParsedDocument(title="办法", sections=sections), 400, 40)
    assert [(c.heading_path, c.text) for c in chunks] == [
        (("第三条",), "办法 > 第三条\n申请企业应当提交下列材料：\n（一）申请表；\n（二）营业执照。"),
        (("第四条",), "办法 > 第四条\n材料齐全的，予以受理。"),
    ]


def test_heading_line_drops_top_levels_when_too_long() -> None:
    path = ("二、重点任务", "（一）夯实人工智能发展算力底座", "1.加快智能算力基础设施建设")
    line = heading_line("吉林省加快推进人工智能创新发展实施意见", path, 80)
    assert line == "（一）夯实人工智能发展算力底座 > 1.加快智能算力基础设施建设"


ITEM = {
    "TASK_CODE": "T1",
    "matter_name": "二级注册建造师执业资格注册核准",
    "DEPT_NAME": "广东省住房和城乡建设厅",
    "material_intro": [f"第{i}份申请材料的名称" for i in range(1, 30)],
    "accept_standard": "《注册建造师管理规定》第十条。" * 8,
}


def test_records_give_one_chunk_each_and_long_ones_keep_their_name_line() -> None:
    short = Record(title="社保转移", text="社保转移\n携带社保卡到窗口办理。", fields={"部门": "人社局"})
    long = service_item_record(ITEM)
    chunks = chunk_records([short, long], 200, 20)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].text == short.text
    assert chunks[0].heading_path == ("社保转移",)
    assert chunks[0].metadata == {"title": "社保转移", "部门": "人社局"}
    pieces = chunks[1:]
    assert len(pieces) > 2
    for piece in pieces:
        assert piece.text.startswith("事项名称：二级注册建造师执业资格注册核准\n")
        assert len(piece.text) <= 200
        assert piece.heading_path == ("二级注册建造师执业资格注册核准",)
        assert piece.metadata["item_id"] == "T1"
    joined = "".join(p.text for p in pieces)
    assert all(material in joined for material in ITEM["material_intro"])


@pytest.mark.parametrize(("size", "overlap"), [(10, 0), (400, 200), (400, -1)])
def test_impossible_sizes_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ChunkingError, match="chunk"):
        chunk_records([], size, overlap)


def test_real_catalogue_chunks_keep_the_values_questions_ask_about() -> None:
    """Each key of eval/catalogue_qa.jsonl is found (whitespace ignored) in a chunk of its own item."""
    if not CATALOGUE.exists():
        pytest.skip(f"catalogue not present at {CATALOGUE}")
    chunks = chunk_records(load_file(CATALOGUE, 50 * 1024 * 1024).records, 400, 40)
    assert max(len(c.text) for c in chunks) <= 400
    by_item: dict[str, list[str]] = {}
    for chunk in chunks:
        by_item.setdefault(chunk.metadata["item_id"], []).append(squash(chunk.text))
    rows = [
        json.loads(line) for line in (REPO / "eval" / "catalogue_qa.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    missing = [
        (row["item_id"], key)
        for row in rows
        for key in row["keys"]
        if not any(squash(key) in text for text in by_item[row["item_id"]])
    ]
    assert missing == []
