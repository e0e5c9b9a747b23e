"""Parsing official-document elements and heading paths, on the seed documents and small made-up ones."""

from __future__ import annotations

from collections import Counter

from assistant.ingest.clean import clean_text
from assistant.ingest.document import ParsedDocument
from assistant.ingest.loaders.html import html_to_text
from assistant.ingest.structure import MAX_HEADING_CHARS, heading_of, parse_date, parse_document

OPINION_TITLE = "吉林省加快推进人工智能创新发展实施意见"
REPLY_SECTION = ("一、关于强化人工智能与未来产业政策的前瞻性、连贯性与落地性建议", "(二)取得成效")


def section_with(parsed: ParsedDocument, phrase: str) -> tuple[str, ...]:
    [path] = [s.heading_path for s in parsed.sections if phrase in s.text]
    return path


def test_opinion_title_and_status(opinion_text: str) -> None:
    parsed = parse_document(clean_text(opinion_text), {})
    assert parsed.title == OPINION_TITLE
    assert parsed.status == "征求意见稿"
    assert (parsed.issuer, parsed.date, parsed.doc_number) == (None, None, None)


def test_opinion_heading_paths(opinion_text: str) -> None:
    parsed = parse_document(clean_text(opinion_text), {})
    task = "二、重点任务"
    assert section_with(parsed, "实施“算力联盟”计划") == (
        task,
        "（一）夯实人工智能发展算力底座",
        "1.加快智能算力基础设施建设",
    )
    assert section_with(parsed, "落实国家“东数西算”工程布局要求") == (task, "（一）夯实人工智能发展算力底座")
    assert section_with(parsed, "试点政策问答、公文写作") == (
        task,
        "（四）加速人工智能赋能千行百业",
        "8.推动重点领域规模化应用",
        "“人工智能+政务服务”",
    )
    assert section_with(parsed, "内嵌人工智能功能模块") == (
        task,
        "（四）加速人工智能赋能千行百业",
        "9.发展人工智能软硬件产品",
    )
    assert section_with(parsed, "常务副省长任组长") == ("三、保障机制", "1.强化组织实施")
    assert section_with(parsed, "习近平总书记指出") == ()
    assert section_with(parsed, "全省智能算力规模突破5000PFLOPS") == ("一、总体要求",)


def test_opinion_lead_sentence_heading_splits_from_its_body(opinion_text: str) -> None:
    parsed = parse_document(clean_text(opinion_text), {})
    [section] = [s for s in parsed.sections if s.heading_path[-1:] == ("1.加快智能算力基础设施建设",)]
    assert section.text.startswith("聚焦重点行业领域分布式推理需求")


def test_opinion_loses_no_text(opinion_text: str) -> None:
    """Every letter and digit of the body (all but the title and status lines) is in some section."""
    parsed = parse_document(clean_text(opinion_text), {})
    body = opinion_text.replace(OPINION_TITLE, "", 1).replace("（征求意见稿）", "", 1)
    headings = dict.fromkeys(h for s in parsed.sections for h in s.heading_path)
    sections = "".join(headings) + "".join(s.text for s in parsed.sections)
    source_chars = Counter(c for c in body if c.isalnum())
    section_chars = Counter(c for c in sections if c.isalnum())
    assert source_chars - section_chars == Counter()
    assert section_chars - source_chars == Counter()  # and nothing is duplicated


def test_reply_issuer_date_and_sections(reply_text: str) -> None:
    parsed = parse_document(clean_text(reply_text), {"title_hint": "jilin-kjt-reply-ai-proposal"})
    assert parsed.title == "jilin-kjt-reply-ai-proposal"  # the letter has no title line: the hint stands in
    assert (parsed.issuer, parsed.date) == ("吉林省科学技术厅", "2025-05-23")
    assert section_with(parsed, "450-650nm") == REPLY_SECTION
    assert section_with(parsed, "张立华代表") == ()
    assert (parsed.sections[-1].heading_path, parsed.sections[-1].text) == ((), "吉林省科学技术厅\n2025年5月23日")


def test_sidecar_metadata_wins_over_parsed_values(opinion_text: str) -> None:
    metadata = {"title": "另一个标题", "status": "送审稿", "issuer": "吉林省人民政府", "date": "2025-06-01"}
    parsed = parse_document(clean_text(opinion_text), metadata)
    assert (parsed.title, parsed.status, parsed.issuer, parsed.date) == tuple(metadata.values())


# The cleaner joins "第一章 总则" into "第一章总则" (no spaces between Chinese characters).
NOTICE = """吉林省科学技术厅文件
吉科发〔2026〕12号
吉林省科学技术厅关于印发《吉林省
算力券管理办法》的通知
各市（州）科技局：
现将《吉林省算力券管理办法》印发给你们，请认真贯彻执行。
第一章 总则
第一条 为规范算力券管理，制定本办法。
第二条 本办法适用于在我省注册的企业。
第二章 申请条件
第三条 申请企业应当提交下列材料：
（一）申请表；
（二）营业执照。
二〇二六年三月九日
"""


def test_notice_elements_and_articles() -> None:
    parsed = parse_document(clean_text(NOTICE), {})
    assert parsed.title == "吉林省科学技术厅关于印发《吉林省算力券管理办法》的通知"
    assert parsed.doc_number == "吉科发〔2026〕12号"
    assert parsed.issuer == "吉林省科学技术厅"
    assert parsed.date == "2026-03-09"
    assert parsed.status is None
    assert [(s.heading_path, s.text) for s in parsed.sections] == [
        ((), "各市（州）科技局：\n现将《吉林省算力券管理办法》印发给你们，请认真贯彻执行。"),
        (("第一章总则", "第一条"), "为规范算力券管理，制定本办法。"),
        (("第一章总则", "第二条"), "本办法适用于在我省注册的企业。"),
        (("第二章申请条件", "第三条"), "申请企业应当提交下列材料："),
        (("第二章申请条件", "第三条", "（一）申请表；"), ""),
        (("第二章申请条件", "第三条", "（二）营业执照"), ""),
        ((), "二〇二六年三月九日"),
    ]


def test_document_number_in_square_brackets_is_normalised_and_issuer_comes_from_title() -> None:
    text = "吉政办函[2025]3号\n吉林省人民政府办公厅关于开展政务服务评估的函\n（征求意见稿）\n一、评估内容\n办理时限。"
    parsed = parse_document(text, {})
    assert parsed.doc_number == "吉政办函〔2025〕3号"
    assert parsed.title == "吉林省人民政府办公厅关于开展政务服务评估的函"
    assert parsed.issuer == "吉林省人民政府办公厅"
    assert parsed.status == "征求意见稿"


def test_title_hint_skips_page_chrome_before_the_title() -> None:
    text = "首页 > 政务公开\n关于开展算力券申报的通知\n各有关单位：\n现开展申报。"
    parsed = parse_document(text, {"title_hint": "关于开展算力券申报的通知_省科技厅网站"})
    assert parsed.title == "关于开展算力券申报的通知"
    assert parsed.sections[0].text.startswith("首页 > 政务公开\n各有关单位：")


def test_heading_levels_and_long_lead_sentences() -> None:
    assert heading_of("（一）夯实人工智能发展算力底座").rank < heading_of("1.加快建设。聚焦需求。").rank  # type: ignore[union-attr]
    assert heading_of("1．加快建设") is not None and heading_of("（1）加快建设") is not None
    assert heading_of("2.5亿元用于建设") is None and heading_of("2024年，按照部署") is None
    long_line = "3." + "统筹科技产业人才建设等各类专项资金" * 4 + "。其余内容。"
    heading = heading_of(long_line)
    assert heading is not None
    assert len(heading.text) == MAX_HEADING_CHARS + 1 and heading.text.endswith("…")
    assert heading.body == long_line  # the whole line is kept as body, nothing is lost


def test_chinese_dates() -> None:
    assert parse_date("2025 年 5月 23 日") == "2025-05-23"
    assert parse_date("二〇二五年十二月三十一日") == "2025-12-31"
    assert parse_date("2025年2月30日") is None
    assert parse_date("2025年5月23日印发") is None


def test_short_text_that_is_all_title_keeps_its_lines_as_body() -> None:
    parsed = parse_document("算力券\n申请指南", {})
    assert parsed.title == "算力券申请指南"
    assert [s.text for s in parsed.sections] == ["算力券\n申请指南"]


# Titles of web-style and news texts: a headline first line, page facts, breadcrumbs, a repeated title.
NEWS_RELEASE = """全是干货！渝州税务十项举措为企业纾困解难
发布时间：2023-03-01 来源：国家税务总局渝州市税务局
为帮助企业纾困解难，渝州市税务局推出十项举措。
一是延长申报期限。"""

SAVED_PAGE = """首页 > 政务公开 > 政策文件
安徽省人民政府办公厅关于优化营商环境的通知
日期：2024-05-06 来源：安徽省人民政府办公厅 字号：大 中 小
各市人民政府：
现将有关事项通知如下。
一、总体要求
优化营商环境。"""

PRESS_ITEM = """天津市发布促消费十条措施
2024-06-01 10:30 来源：天津日报
记者从市商务局获悉，本市出台十条措施促进消费。"""

REPEATED_TITLE = """关于做好2024年就业工作的通知
关于做好2024年就业工作的通知
各区县：
现就做好就业工作通知如下。
一、稳定岗位
支持企业稳岗。"""


def test_a_headline_is_the_title_never_the_file_name() -> None:
    parsed = parse_document(clean_text(NEWS_RELEASE), {"title_hint": "9f2c41ab07d3e5"})
    assert parsed.title == "全是干货！渝州税务十项举措为企业纾困解难"
    assert parsed.date == "2023-03-01"
    assert parsed.issuer == "国家税务总局渝州市税务局"
    assert "发布时间" not in parsed.sections[0].text


def test_a_saved_page_keeps_breadcrumbs_out_of_the_title_and_reads_its_facts() -> None:
    parsed = parse_document(clean_text(SAVED_PAGE), {"title_hint": "a1b2c3"})
    assert parsed.title == "安徽省人民政府办公厅关于优化营商环境的通知"
    assert parsed.issuer == "安徽省人民政府办公厅"
    assert parsed.date == "2024-05-06"
    assert parsed.sections[0].text.startswith("首页 > 政务公开 > 政策文件\n各市人民政府：")


def test_a_press_item_with_a_dated_source_line() -> None:
    parsed = parse_document(clean_text(PRESS_ITEM), {"title_hint": "0001"})
    assert (parsed.title, parsed.date, parsed.issuer) == ("天津市发布促消费十条措施", "2024-06-01", "天津日报")


def test_a_title_repeated_on_the_next_line_is_not_doubled() -> None:
    parsed = parse_document(clean_text(REPEATED_TITLE), {})
    assert parsed.title == "关于做好2024年就业工作的通知"
    assert all("关于做好2024年就业工作的通知" not in s.text for s in parsed.sections)


def test_a_web_page_title_with_a_site_suffix_and_a_repeated_heading() -> None:
    page = (
        "<html><head><title>关于做好就业工作的通知_渝州市人民政府网</title></head><body>"
        "<div>首页 &gt; 政务公开</div><h1>关于做好就业工作的通知</h1><p>关于做好就业工作的通知</p>"
        "<p>各区县：</p><p>现就有关事项通知如下。</p></body></html>"
    )
    text, hint = html_to_text(page.encode("utf-8"), "page.html")
    parsed = parse_document(clean_text(text), {"title_hint": hint})
    assert parsed.title == "关于做好就业工作的通知"
    assert "关于做好就业工作的通知" not in "".join(s.text for s in parsed.sections)
