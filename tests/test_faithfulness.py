"""The faithfulness check, the "政策原文" excerpt and answers from a service item's record, on constructed
answers and passages (negation flips, changed amounts, repeats, filler, drafts, other provinces' policies)."""

from __future__ import annotations

from assistant.answer.excerpt import key_sentences, renumbered
from assistant.answer.faithfulness import (
    UNVERIFIED_MARK,
    provinces_named,
    review_answer,
    standing_notes,
    with_notes,
)
from assistant.answer.field_answer import field_answer
from assistant.answer.types import Answer
from assistant.ingest.records import service_item_record
from assistant.retrieval.citation import Citation
from assistant.retrieval.search import SearchResult
from assistant.ui.render import answer_markdown, citations_html

TAX = "对个人从公开发行和转让市场取得的上市公司股票，持股期限超过1年的，股息红利所得暂不征收个人所得税。"
COMPUTE = "到2027年底，全省智能算力规模达到5000PFLOPS，建成长春现代化都市圈算力集群。"
VOUCHER = "发放算力券，对采购算力服务开展模型训练的企业给予补贴，降低企业使用算力的成本。"
PASSAGES = [TAX, COMPUTE, VOUCHER]


def result(text: str, title: str = "文件", **fields: object) -> SearchResult:
    return SearchResult(
        text=text,
        score=0.9,
        doc_id=f"doc-{title}",
        chunk_id=f"chunk-{title}",
        chunk_index=0,
        title=title,
        doc_title=title,
        section="",
        heading_path=[],
        source=f"{title}.txt",
        fields=dict(fields),
    )


# --- polarity ---


def test_a_sentence_dropping_the_sources_negation_is_replaced_with_the_sources_words() -> None:
    review = review_answer("持股期限超过1年的，股息红利所得增收个人所得税[1]。", PASSAGES)
    assert review.text == TAX.rstrip("。") + "[1]。"
    (finding,) = review.findings
    assert (finding.kind, finding.action) == ("polarity", "replaced")
    assert finding.sentence == "持股期限超过1年的，股息红利所得增收个人所得税。" and "暂不" in finding.detail


def test_a_negation_the_source_does_not_have_is_caught_too() -> None:
    review = review_answer("对采购算力服务开展模型训练的企业不给予补贴[3]。", PASSAGES)
    assert review.text == VOUCHER.rstrip("。") + "[3]。"
    assert [(f.kind, f.action) for f in review.findings] == [("polarity", "replaced")]


def test_the_same_negation_on_both_sides_and_words_like_不断_are_no_flip() -> None:
    faithful = "持股期限超过1年的，股息红利所得暂不征收个人所得税[1]。算力集群不断建成[2]。"
    review = review_answer(faithful, [TAX, COMPUTE + "算力集群不断建成。"])
    assert review.text == faithful and review.findings == []


def test_a_source_saying_both_the_negated_and_the_plain_form_is_no_flip() -> None:
    source = "对未按期申报的企业不予补贴，对按期申报的企业给予补贴。"
    assert review_answer("按期申报的企业给予补贴[1]。", [source]).findings == []


# --- numbers and places ---


def test_a_changed_amount_is_replaced_with_the_sources_sentence() -> None:
    review = review_answer("到2027年底，全省智能算力规模达到500PFLOPS[2]。", PASSAGES)
    assert review.text == COMPUTE.rstrip("。") + "[2]。"
    (finding,) = review.findings
    assert (finding.kind, finding.action, finding.source) == ("number", "replaced", COMPUTE)
    assert "500" in finding.detail


def test_a_number_with_no_matching_source_sentence_is_marked_not_invented_away() -> None:
    review = review_answer("企业最多可以领取300万元的算力补贴[3]。", PASSAGES)
    assert review.text == f"企业最多可以领取300万元的算力补贴[3]{UNVERIFIED_MARK}。"
    assert [(f.kind, f.action) for f in review.findings] == [("number", "marked")]


def test_numbers_written_differently_still_match_and_list_numbers_are_no_claim() -> None:
    passages = ["申请人应当自收到决定书之日起十五个工作日内提出复核，金额为5,000元。"]
    answer = "1. 申请人应当自收到决定书之日起15个工作日内提出复核，金额为5000元[1]。"
    assert review_answer(answer, passages).findings == []


def test_places_and_numbers_of_the_passages_document_count_as_the_passages_own() -> None:
    answer = "### 1. 目标\n（2）吉林省到2027年底智能算力规模达到5000PFLOPS[1]。"
    assert review_answer(answer, [COMPUTE], about=["吉林省加快推进人工智能创新发展实施意见"]).findings == []
    assert [f.kind for f in review_answer(answer, [COMPUTE]).findings] == ["place"]  # without it: not said


def test_a_place_the_cited_passage_does_not_name_is_repaired() -> None:
    review = review_answer("到2027年底，广州智能算力规模达到5000PFLOPS[2]。", PASSAGES)
    assert review.text == COMPUTE.rstrip("。") + "[2]。"
    assert [(f.kind, f.action) for f in review.findings] == [("place", "replaced")]


# --- repeats and filler ---


def test_a_sentence_repeated_under_other_headings_is_kept_once_and_filler_is_dropped() -> None:
    answer = (
        "根据资料中的描述。\n"
        "### 补贴对象\n对采购算力服务开展模型训练的企业给予补贴[3]。\n"
        "### 补贴方式\n对采购算力服务开展模型训练的企业给予补贴[3]。\n"
        "### 其他\n对采购算力服务、开展模型训练的企业给予补贴。"
    )
    review = review_answer(answer, PASSAGES)
    assert review.text.count("给予补贴") == 1 and "根据资料中的描述" not in review.text
    assert "### 补贴对象" in review.text
    kinds = sorted((f.kind, f.action) for f in review.findings)
    assert kinds == [("filler", "dropped"), ("repeat", "dropped"), ("repeat", "dropped")]


def test_a_longer_list_item_that_adds_words_is_no_repeat() -> None:
    passages = ["申请材料：居民身份证；居民身份证复印件；户口簿。"]
    answer = "1. 居民身份证[1]\n2. 居民身份证复印件[1]\n3. 户口簿[1]"
    assert review_answer(answer, passages).findings == []


# --- status and whose policy ---


def citation(n: int, title: str, **kw: str) -> Citation:
    return Citation(n=n, title=title, section="", text="…", doc_id="d", chunk_id=f"c{n}", source="s", **kw)


def test_a_draft_or_repealed_document_is_noted_with_its_status_and_date() -> None:
    draft = citation(1, "吉林省加快推进人工智能创新发展实施意见", status="征求意见稿", date="2025-03-01")
    repealed = citation(2, "某市旧办法", status="已废止", date="2019-12-31")
    final = citation(3, "关于某事的答复", issuer="吉林省科学技术厅")
    notes = standing_notes("算力券怎么申请？", [draft, repealed, final])
    assert [(n.kind, n.action) for n in notes] == [("status", "noted"), ("status", "noted")]
    assert all(words in notes[0].sentence for words in ("征求意见稿", "2025-03-01", "尚未正式施行"))
    assert "2019-12-31" in notes[1].sentence and "不再有效" in notes[1].sentence
    text = with_notes("回答正文[1]。", notes)
    assert text.startswith("请注意：[1]") and text.endswith("回答正文[1]。")
    html = citations_html([draft])
    assert "征求意见稿" in html and "2025-03-01" in html


def test_several_passages_of_one_draft_get_one_note_naming_them_all() -> None:
    title = "吉林省加快推进人工智能创新发展实施意见"
    passages = [citation(n, title, status="征求意见稿", date="2025-03-01") for n in (1, 2, 4)]
    other = citation(3, "另一份征求意见稿", status="征求意见稿")
    notes = standing_notes("算力券补贴哪些单位？", [*passages[:2], other, passages[2]])
    assert [n.sentence.split("《")[0] for n in notes] == ["[1][2][4]", "[3]"]
    jilin = [citation(n, "关于人工智能的答复", issuer="吉林省科学技术厅") for n in (1, 2)]
    (whose,) = standing_notes("广州市企业购买算力有补贴吗？", jilin)
    assert whose.sentence.startswith("[1][2]是吉林的政策")


def test_another_provinces_policy_is_said_to_be_theirs_and_a_missing_region_is_tolerated() -> None:
    jilin = citation(1, "关于人工智能的答复", issuer="吉林省科学技术厅")
    guangdong_item = citation(2, "法律援助", issuer="广东省司法厅", region="广东省")
    nowhere = citation(3, "无地区信息的文件")
    notes = standing_notes("广州市企业购买算力有补贴吗？", [jilin, guangdong_item, nowhere])
    (note,) = notes
    assert note.kind == "whose" and note.sentence.startswith("[1]是吉林的政策") and "广东" in note.sentence
    assert standing_notes("长春的企业购买算力有补贴吗？", [jilin]) == []  # 长春 is in 吉林
    assert standing_notes("企业购买算力有补贴吗？", [jilin]) == []  # no place asked: nothing to say
    assert provinces_named("吉林市和深圳市") == {"吉林", "广东"}


# --- the excerpt ---


def test_the_excerpt_is_the_matching_sentences_verbatim_numbered_like_the_passages() -> None:
    passages = [
        result("一、总体要求。坚持应用牵引。" + COMPUTE, "意见"),
        result("人工智能核心产业营业收入规模达到400亿元。" + VOUCHER, "答复"),
    ]
    excerpt = key_sentences("企业采购算力服务有什么补贴？", passages)
    assert [(s.n, s.text, s.title) for s in excerpt] == [(2, VOUCHER, "答复")]
    compute = key_sentences("全省智能算力规模到2027年达到多少？", passages)
    assert [(s.n, s.text) for s in compute] == [(1, COMPUTE)]  # "坚持应用牵引。" and the revenue do not match
    assert [(s.n, s.text) for s in renumbered(excerpt, {"chunk-答复": 1})] == [(1, VOUCHER)]
    assert renumbered(excerpt, {"chunk-意见": 1}) == []  # a passage the answer does not cite


def test_the_excerpt_of_a_service_items_chunks_is_the_line_asked_for_once() -> None:
    summary = "事项名称：机动车驾驶证初次申领\n实施机关：广州市公安局\n办理地点：广州市天河区华观路1732号\n"
    chunks = [result(summary + f"设定依据：第{n}条 申请机动车驾驶证的条件。", "机动车驾驶证初次申领") for n in (12, 13)]
    excerpt = key_sentences("机动车驾驶证初次申领在哪里办理？", chunks)
    # The line naming the item matches the question best but says nothing the title does not.
    assert [(s.n, s.text) for s in excerpt] == [(1, "办理地点：广州市天河区华观路1732号")]


def test_the_excerpt_leaves_out_a_chunks_heading_path_line() -> None:
    chunk = result("意见 > 二、重点任务 > （一）全省智能算力规模\n" + COMPUTE, "意见")  # matches the question too
    assert [s.text for s in key_sentences("全省智能算力规模到2027年达到多少？", [chunk])] == [COMPUTE]


# --- answers from a service item's record ---

ITEM_ROW = {
    "matter_name": "法律援助",
    "TASK_CODE": "1144",
    "DEPT_NAME": "广东省司法厅",
    "AREA_CODE_TEXT": "广东省",
    "handle_location": "办理地点：广州市越秀区东风中路305号",
    "handle_time": "30(工作日)",
    "handle_time_limit": "7(工作日)",
    "material_intro": ["家庭困难和经济困难申报表", "身份证明"],
    "consult_phone": "020-12345678",
    "accept_standard": "申请人经济困难且无委托代理人的。",
}


def item_result() -> SearchResult:
    record = service_item_record(ITEM_ROW)
    return result(record.text, record.title, **record.fields)


def test_a_field_question_is_answered_from_the_records_own_values() -> None:
    item = item_result()
    materials = field_answer("申请法律援助需要提交哪些材料？", item)
    assert materials is not None and "1. 家庭困难和经济困难申报表\n2. 身份证明" in materials and "[1]" in materials
    both = field_answer("法律援助在哪里办，要多久？", item)
    assert both is not None and "广州市越秀区东风中路305号" in both and "7(工作日)" in both and "30(工作日)" in both
    assert "020-12345678" in (field_answer("法律援助的咨询电话是多少？", item) or "")
    assert "无委托代理人" in (field_answer("申请法律援助需要什么条件？", item) or "")


def test_a_question_for_no_field_or_a_field_the_record_lacks_goes_to_the_model() -> None:
    item = item_result()
    assert field_answer("法律援助是什么？", item) is None
    assert field_answer("法律援助收费吗？", item) is None  # the record has no fee
    assert field_answer("算力券需要什么材料？", result(VOUCHER, "意见")) is None  # not a service item


# --- what the chat shows ---


def test_the_chat_shows_the_repairs_the_excerpt_and_the_status_of_a_draft() -> None:
    review = review_answer("到2027年底，全省智能算力规模达到500PFLOPS[1]。", [COMPUTE])
    draft = citation(1, "吉林省加快推进人工智能创新发展实施意见", status="征求意见稿")
    passages = [result(COMPUTE, "吉林省加快推进人工智能创新发展实施意见")]
    answer = Answer(
        question="算力规模目标？",
        standalone_question="算力规模目标？",
        answer=with_notes(review.text, standing_notes("算力规模目标？", [draft])),
        citations=[draft],
        grounded=True,
        declined=False,
        excerpt=key_sentences("全省智能算力规模的目标", passages),
        findings=review.findings,
    )
    html = answer_markdown(answer)
    assert "已按原文更正" in html and "<s>到2027年底，全省智能算力规模达到500PFLOPS。</s>" in html
    assert "政策原文" in html and "5000PFLOPS" in html and "征求意见稿" in html and "请注意" in html
