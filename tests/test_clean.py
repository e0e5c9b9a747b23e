"""The cleaner repairs PDF extraction damage (the seed reply letter) and leaves clean text alone."""

from __future__ import annotations

import re

from assistant.ingest.clean import clean_text
from assistant.ingest.structure import is_heading, parse_date

REPAIRED = [
    # Sentences broken across lines with blank lines between them.
    "《关于深入推进吉林省人工智能和未来产业高质量发展的建议》收悉",
    "累计支持120个人工智能领域科技攻关项目，投入省级财政经费16869万元。",
    # A paragraph broken at a page end after a short line.
    "启动了科技人才助力企业创新跃升三年行动，利用3年时间",
    # Stray spaces inside words.
    "前瞻性、连贯性与落地性建议",
    "科技攻关实施方案(2025-2029)》，拟近期发布",
    "加快推动我省具身智能与人形机器人创新能力提升。",
    "大数据智能计算吉林省重点实验室",
    "筑牢支撑人工智能发展的原创技术策源地",
    # Numbers and units intact.
    "光谱波段为450-650nm，光谱波段数8个，图像分辨率达到1600X1200，",
]
DAMAGE = ["人工 智能", "实 施", "重点实验 室", "具身 智能", "光谱波 段", "( 一)", "未\n来", " 。"]


def test_seed_letter_is_repaired(reply_text: str) -> None:
    cleaned = clean_text(reply_text)
    for phrase in REPAIRED:
        assert phrase in cleaned, phrase
    for damage in DAMAGE:
        assert damage not in cleaned, damage
    assert not re.search(r"\n\s*\n", cleaned), "blank lines remain"


def test_seed_letter_paragraphs_end_sentences_and_headings_stand_alone(reply_text: str) -> None:
    lines = clean_text(reply_text).splitlines()
    open_ended = [
        line for line in lines if not line.endswith(("。", "：")) and not is_heading(line) and parse_date(line) is None
    ]
    assert open_ended == ["吉林省科学技术厅"]  # the signature
    assert lines.count("(一)主要举措") == 3 and lines.count("(三)下步工作") == 3
    assert lines[-1] == "2025年5月23日"
    assert len(lines) == 27


def test_text_whose_lines_are_paragraphs_is_not_reflowed(opinion_text: str) -> None:
    cleaned = clean_text(opinion_text)
    assert cleaned.splitlines() == [line.strip() for line in opinion_text.splitlines() if line.strip()]


WRAPPED_PAGES = (
    "吉林省科学技术厅文件\n"
    "一、关于强化人工智能政策的建议\n"
    "自 2021 年以来，省科技厅每年将人工智能和未来产业关键技术研发方向列\n"
    "入省科技发展计划项目指南，累计支持 120 个人工智能领域科技攻关项目，投\n"
    "入省级财政经费 16869 万元。\n"
    "(二)取得成效\n"
    "- 1 -\n"
    "\f吉林省科学技术厅文件\n"
    "通过强化高校院所与科技企业的创新主体地位，引导其深度参与国家及省级\n"
    "重大科技专项，聚焦人工智能核心算法、智能装备、低空经济等重点领域开\n"
    "— 2 —\n"
    "\f吉林省科学技术厅文件\n"
    "展前瞻性技术攻关。\n"
    "二、关于搭建吉林省人工智能与未来产业创新发展平台的建议和意见\n"
    "省科技厅立足老工业基地转型升级迫切需求，系统性构建人工智能与未来产\n"
    "业科技创新发展平台。\n"
    "第3页\n"
)


def test_page_numbers_and_running_headers_go_and_pages_rejoin() -> None:
    assert clean_text(WRAPPED_PAGES).splitlines() == [
        "一、关于强化人工智能政策的建议",
        "自2021年以来，省科技厅每年将人工智能和未来产业关键技术研发方向列入省科技发展计划项目指南，"
        "累计支持120个人工智能领域科技攻关项目，投入省级财政经费16869万元。",
        "(二)取得成效",
        "通过强化高校院所与科技企业的创新主体地位，引导其深度参与国家及省级重大科技专项，"
        "聚焦人工智能核心算法、智能装备、低空经济等重点领域开展前瞻性技术攻关。",
        "二、关于搭建吉林省人工智能与未来产业创新发展平台的建议和意见",
        "省科技厅立足老工业基地转型升级迫切需求，系统性构建人工智能与未来产业科技创新发展平台。",
    ]


def test_heading_is_never_joined_to_its_neighbours() -> None:
    text = "\n".join(
        [
            "加快构建全省科技创新有组织聚力攻坚机制，统筹全省优势创新资源，加快突破一批",
            "制约我省人工智能产业发展的技术难题，持续解决关键技术问题，加大对人工智能",
            "1.加快智能算力基础设施建设",
            "聚焦重点行业领域分布式推理需求，适度超前、科学布局全省智能算力资源，建设",
            "长春现代化都市圈算力集群和吉林西部绿色算力集群，支持智算中心绿电直连。",
            "（1）实施算力联盟计划",
            "将符合规划布局要求的智算中心纳入算力联盟，支持基础电信运营商建设智算中心。",
        ]
    )
    lines = clean_text(text).splitlines()
    assert "1.加快智能算力基础设施建设" in lines
    assert "（1）实施算力联盟计划" in lines
    assert lines[2].startswith("聚焦") and lines[2].endswith("绿电直连。")


def test_spaces_between_latin_words_and_numbers_stay() -> None:
    cleaned = clean_text("依据 GB/T 9704-2012 标准，使用 Python 3.11 和 DeepSeek V3 模型 。")
    assert cleaned == "依据 GB/T 9704-2012标准，使用 Python 3.11和 DeepSeek V3模型。"


def test_full_width_letters_and_digits_become_ascii_but_chinese_punctuation_stays() -> None:
    cleaned = clean_text("到２０２７年底，算力规模突破５０００ＰＦＬＯＰＳ（以ＦＰ１６计算）；占比１０％。")
    assert cleaned == "到2027年底，算力规模突破5000PFLOPS（以FP16计算）；占比10%。"


def test_ascii_comma_and_colon_inside_chinese_become_chinese() -> None:
    assert clean_text("《方案》,拟近期发布。办理地点:广州市") == "《方案》，拟近期发布。办理地点：广州市"


def test_lone_page_number_lines_go_but_numbers_in_text_stay() -> None:
    text = "第一段正文，共有 3 项任务。\n3\n第 2 页 共 5 页\nPage 4 of 9\n- 5 -\n第二段正文。"
    assert clean_text(text) == "第一段正文，共有3项任务。\n第二段正文。"
