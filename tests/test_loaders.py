"""Loading real files of every supported type, refusing bad ones with a message naming file and problem,
and turning structured service-item records into passages."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, DocxMaker, PdfMaker

from assistant.ingest.loaders import IngestError, LoadError, UnsupportedFormat, load_file, sidecar_path

MAX = 1024 * 1024
CATALOGUE = REPO.parent / "shared" / "data" / "gd_service_items" / "policy.jsonl"

SERVICE_ITEM = {
    "TASK_CODE": "11440000TEST0001",
    "matter_name": "法律援助",
    "DEPT_NAME": "广东省司法厅",
    "AREA_CODE_TEXT": "广东省",
    "matter_type": "公共服务",
    "handle_location": "办理地点：广州市越秀区仓边路 1 号",
    "handle_time": "7(工作日)",
    "handle_time_limit": "无",
    "consult_phone": "020-12345678",
    "complain_phone": "",
    "accept_standard": "《法律援助条例》第十条。",
    "material_intro": ["家庭困难和经济困难申报表", "身份证明"],
    "service_object_name": ["自然人"],
    "theme_category": ["司法公证"],
    "online_book": "是",
    "courier_service": "否",
    "URL": "https://example.gov.cn/item/1",
}


def write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_gbk_text_without_declaration_is_decoded(tmp_path: Path) -> None:
    text = "关于做好政务服务工作的通知\n一、总体要求\n提高群众和企业诉求办理效率。"
    doc = load_file(write(tmp_path / "notice.txt", text.encode("gbk")), MAX)
    assert doc.text == text
    assert doc.records == []
    assert doc.metadata["title_hint"] == "notice"


def test_utf8_text_with_bom_is_decoded(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "bom.txt", "\ufeff人工智能".encode()), MAX)
    assert doc.text == "人工智能"


def test_markdown_loses_its_markup_and_offers_its_heading_as_title(tmp_path: Path) -> None:
    markdown = (
        "# 算力券管理办法\n\n## 一、总则\n\n**第一条** 为规范[算力券](http://x.org)使用，制定本办法。\n- 适用范围\n"
    )
    doc = load_file(write(tmp_path / "rules.md", markdown), MAX)
    lines = [line for line in doc.text.splitlines() if line]
    assert lines == ["算力券管理办法", "一、总则", "第一条 为规范算力券使用，制定本办法。", "适用范围"]
    assert doc.metadata["title_hint"] == "算力券管理办法"


def test_html_keeps_blocks_as_lines_and_drops_script_style_and_nav(tmp_path: Path) -> None:
    html = """<html><head><title>关于印发实施方案的通知_省政府网站</title><style>p {color: red}</style></head>
    <body><nav>首页 | 政务公开</nav><script>var tracker = 1;</script>
    <h1>关于印发实施方案的通知</h1><p>各市人民政府：<br>现将方案印发给你们。</p>
    <div>一、<b>总体</b>要求</div><table><tr><td>材料</td><td>份数</td></tr></table></body></html>"""
    doc = load_file(write(tmp_path / "page.html", html), MAX)
    assert doc.text.splitlines() == [
        "关于印发实施方案的通知",
        "各市人民政府：",
        "现将方案印发给你们。",
        "一、总体要求",
        "材料 | 份数",
    ]
    assert doc.metadata["title_hint"] == "关于印发实施方案的通知_省政府网站"


def test_html_in_declared_gb2312_is_decoded(tmp_path: Path) -> None:
    html = '<html><head><meta charset="gb2312"></head><body><p>政务服务一网通办</p></body></html>'
    doc = load_file(write(tmp_path / "old.htm", html.encode("gb2312")), MAX)
    assert doc.text == "政务服务一网通办"


def test_docx_paragraphs_and_tables_come_in_order(tmp_path: Path, make_docx: DocxMaker) -> None:
    path = make_docx(tmp_path / "memo.docx", ["关于算力券的通知", "一、申请条件"], [["材料", "份数"], ["申请表", "1"]])
    doc = load_file(path, MAX)
    assert doc.text.splitlines() == ["关于算力券的通知", "一、申请条件", "材料 | 份数", "申请表 | 1"]


def test_pdf_text_layer_is_read_page_by_page(tmp_path: Path, make_pdf: PdfMaker) -> None:
    path = make_pdf(
        tmp_path / "opinion.pdf", [["吉林省加快推进人工智能创新发展实施意见", "一、总体要求"], ["二、重点任务"]]
    )
    doc = load_file(path, MAX)
    pages = doc.text.split("\f")
    assert len(pages) == 2
    assert "吉林省加快推进人工智能创新发展实施意见" in pages[0] and "一、总体要求" in pages[0]
    assert "二、重点任务" in pages[1]


def test_pdf_without_text_layer_is_refused(tmp_path: Path, make_pdf: PdfMaker) -> None:
    path = make_pdf(tmp_path / "scan.pdf", [[]])
    with pytest.raises(LoadError, match=r"scan\.pdf: .*no text layer"):
        load_file(path, MAX)


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("empty.txt", b"", LoadError, r"empty\.txt: the file is empty"),
        ("junk.pdf", b"this is not a pdf at all", LoadError, r"junk\.pdf: not a readable PDF"),
        ("junk.docx", b"plain bytes, no zip", LoadError, r"junk\.docx: not a readable \.docx"),
        ("table.xlsx", b"PK\x03\x04", UnsupportedFormat, r"table\.xlsx: unsupported file type '\.xlsx'"),
        ("binary.txt", bytes(range(32)) * 20, LoadError, r"binary\.txt: looks like binary data"),
        ("blank.md", b"  \n\n  ", LoadError, r"blank\.md: contains no text"),
    ],
)
def test_bad_files_are_refused_with_file_and_reason(
    tmp_path: Path, name: str, content: bytes, error: type[IngestError], message: str
) -> None:
    with pytest.raises(error, match=message):
        load_file(write(tmp_path / name, content), MAX)


def test_zip_renamed_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a word document")
    with pytest.raises(LoadError, match=r"archive\.docx: not a readable \.docx"):
        load_file(path, MAX)


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", "政" * 100)
    with pytest.raises(LoadError, match=r"big\.txt: 300 bytes is larger than the 200 bytes limit"):
        load_file(path, max_bytes=200)


def test_errors_share_one_base_class() -> None:
    assert issubclass(UnsupportedFormat, IngestError) and issubclass(LoadError, IngestError)


def test_sidecar_metadata_is_merged_over_hints(tmp_path: Path) -> None:
    path = write(tmp_path / "reply.txt", "张立华代表：\n现答复如下。")
    meta = {"title": "关于建议的答复", "issuer": "吉林省科学技术厅", "date": "2025-05-23", "access": "internal"}
    sidecar_path(path).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    doc = load_file(path, MAX)
    assert sidecar_path(path).name == "reply.txt.meta.json"
    assert {k: doc.metadata[k] for k in meta} == meta


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        ('{"tilte": "x"}', r"x\.txt\.meta\.json: unknown keys tilte"),
        ('{"date": "2025年5月23日"}', r"'date' must be a real date written yyyy-mm-dd"),
        ('{"date": "2025-02-30"}', r"'date' must be a real date"),
        ('{"access": "secret"}', r"'access' must be one of public, internal"),
        ('["title"]', r"must be a JSON object"),
        ("{title: x}", r"not valid UTF-8 JSON"),
    ],
)
def test_bad_sidecar_is_refused(tmp_path: Path, sidecar: str, message: str) -> None:
    path = write(tmp_path / "x.txt", "正文。")
    sidecar_path(path).write_text(sidecar, encoding="utf-8")
    with pytest.raises(LoadError, match=message):
        load_file(path, MAX)


def test_service_item_becomes_a_labelled_passage(tmp_path: Path) -> None:
    path = write(tmp_path / "items.jsonl", json.dumps(SERVICE_ITEM, ensure_ascii=False) + "\n")
    [record] = load_file(path, MAX).records
    assert record.title == "法律援助"
    assert record.text.splitlines() == [
        "事项名称：法律援助",
        "实施机关：广东省司法厅",
        "实施地区：广东省",
        "事项类型：公共服务",
        "办理地点：广州市越秀区仓边路 1 号",
        "法定办结时限：7(工作日)",
        "申请材料：1. 家庭困难和经济困难申报表 2. 身份证明",
        "咨询电话：020-12345678",
        "服务对象：自然人",
        "主题分类：司法公证",
        "网上预约：是",
        "快递送达：否",
        "设定依据：《法律援助条例》第十条。",
    ]
    assert record.fields["item_id"] == "11440000TEST0001"
    assert record.fields["materials"] == ["家庭困难和经济困难申报表", "身份证明"]
    assert record.fields["phone"] == "020-12345678"
    assert record.fields["url"] == "https://example.gov.cn/item/1"
    assert "promised_time_limit" not in record.fields and "complaint_phone" not in record.fields


def test_materials_given_as_none_are_left_out(tmp_path: Path) -> None:
    item = SERVICE_ITEM | {"material_intro": "无"}
    [record] = load_file(write(tmp_path / "items.json", json.dumps([item], ensure_ascii=False)), MAX).records
    assert "申请材料" not in record.text and "materials" not in record.fields


def test_generic_records_from_csv_and_json(tmp_path: Path) -> None:
    csv_path = write(tmp_path / "faq.csv", "标题,内容,部门\n社保转移,携带社保卡到窗口办理。,人社局\n".encode("gbk"))
    [row] = load_file(csv_path, MAX).records
    assert (row.title, row.text, row.fields) == ("社保转移", "社保转移\n携带社保卡到窗口办理。", {"部门": "人社局"})
    json_path = write(tmp_path / "faq.json", json.dumps({"items": [{"Title": "公积金", "Content": "可网上提取。"}]}))
    [item] = load_file(json_path, MAX).records
    assert (item.title, item.text) == ("公积金", "公积金\n可网上提取。")


def test_invalid_jsonl_line_is_named(tmp_path: Path) -> None:
    good = json.dumps(SERVICE_ITEM, ensure_ascii=False)
    path = write(tmp_path / "items.jsonl", f"{good}\n\n{{broken\n")
    with pytest.raises(LoadError, match=r"items\.jsonl: line 3 is not valid JSON"):
        load_file(path, MAX)


def test_record_without_title_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "rows.jsonl", '{"title": "有标题", "text": "正文"}\n{"text": "没有标题"}\n')
    with pytest.raises(LoadError, match=r"rows\.jsonl: line 2: no title"):
        load_file(path, MAX)


def test_real_catalogue_loads_every_record() -> None:
    if not CATALOGUE.exists():
        pytest.skip(f"catalogue not present at {CATALOGUE}")
    records = load_file(CATALOGUE, 50 * MAX).records
    assert len(records) == 2262
    assert all(r.text.startswith(f"事项名称：{r.title}\n") for r in records)
    assert not [r for r in records if "办理地点：办理地点：" in r.text or "：无\n" in r.text + "\n"]
    assert all(r.fields["item_id"] and r.fields["dept"] for r in records)
