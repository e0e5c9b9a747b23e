"""The web page at /ui in a real browser: Debian's chromium, headless, driven by Playwright, against a real
uvicorn server on 127.0.0.1 with the seed corpus, the bundled embeddings and the 0.5B model.

Every page records the requests it makes; any to a host other than this machine fails the test (and is
blocked, so nothing leaves). ``UPDATE_SCREENSHOTS=1`` writes the screenshots to docs/screenshots/
(browser_fixtures.py).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_fixtures import PHONE, OpenPage, sign_in, tab_names

from assistant.answer.types import AI_LABEL
from assistant.api.app import create_app
from assistant.components import Components
from assistant.models.provision import provision

if TYPE_CHECKING:
    from api_fixtures import ApiKeys, LiveServer
    from playwright.sync_api import Page

pytest_plugins = ["api_fixtures", "browser_fixtures"]
pytestmark = pytest.mark.slow

SEED_QUESTION = "到2027年底，吉林省智能算力规模的目标是多少？"
UNANSWERABLE = "长春市落户需要什么条件？"
SEED_TITLES = (
    "吉林省加快推进人工智能创新发展实施意见",
    "关于《关于深入推进吉林省人工智能和未来产业高质量发展的建议》的答复",
)
GOAL_QUESTION = "我在工作中受伤了，要办哪些手续？"
INJURY_OFFICE = "广东省人力资源和社会保障厅"
# Two records of a service catalogue, so that a goal question has a "一件事" guide.
CATALOGUE = [
    {
        "TASK_CODE": f"1144UITEST{n}",
        "matter_name": name,
        "DEPT_NAME": INJURY_OFFICE,
        "AREA_CODE_TEXT": "广东省",
        "matter_type": "公共服务",
        "handle_location": "办理地点：广州市天河区林和中路168号",
        "handle_time_limit": "15(工作日)",
        "consult_phone": "020-12333",
        "material_intro": materials,
    }
    for n, name, materials in (
        (1, "工伤事故备案", ["工伤事故备案表"]),
        (2, "一次性工伤医疗补助金申请", ["工伤保险待遇申请表", "工伤职工身份证"]),
    )
]
ANSWER_SECONDS = 300  # generous: the machine may be shared


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, api_keys: ApiKeys) -> Iterator[LiveServer]:
    """A server with API keys configured (so sign-in and roles apply) over the seed corpus and a tiny catalogue."""
    from api_fixtures import SMALL_MODEL, LiveServer, server_settings

    data_dir = tmp_path_factory.mktemp("ui-data")
    settings = server_settings(data_dir, api_keys=api_keys.setting, llm_max_tokens=48, draft_max_tokens=80)
    provision(settings, only=[SMALL_MODEL])
    catalogue = tmp_path_factory.mktemp("ui-catalogue") / "items.jsonl"
    catalogue.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in CATALOGUE), encoding="utf-8")
    components = Components(settings)
    summary = components.ingestor.ingest_paths([corpus_dir, catalogue])
    assert summary.count("added") == 3 and not summary.count("failed"), summary.as_dict()
    server = LiveServer(create_app(settings, components)).start()
    yield server
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


def ask(page: Page, question: str) -> None:
    """Ask in the chat and wait until the finished answer (with its AI label) has replaced the draft."""
    answers = page.locator("#chat .ai-label").count()
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .ai-label').length > n && !document.querySelector('#chat .working')",
        arg=answers,
        timeout=ANSWER_SECONDS * 1000,
    )


def chat_from_the_top(page: Page) -> None:
    """Scroll the conversation to its start (for a screenshot that shows the question and the answer)."""
    page.evaluate("document.querySelector('#chat [role=log]').scrollTop = 0")


# --- sign-in and roles ---


def test_an_unknown_key_is_refused_in_plain_chinese_and_shows_no_screen(open_page: OpenPage, shots: Path) -> None:
    page = open_page(PHONE)
    assert tab_names(page) == []
    page.locator("#key input").fill("ak_not-a-key")
    page.locator("#enter").click()
    page.locator("#sign-in-message").get_by_text("访问密钥").wait_for()
    assert not re.search(r"[A-Za-z]{3,}", page.locator("#sign-in-message").inner_text())  # plain Chinese
    assert "Traceback" not in page.content() and tab_names(page) == []
    page.screenshot(path=shots / "sign-in.png")


def test_each_role_is_offered_only_the_screens_it_may_use(open_page: OpenPage, api_keys: ApiKeys) -> None:
    for key, expected in (
        (api_keys.public, ["政策问答", "进度查询"]),
        (api_keys.staff, ["政策问答", "进度查询", "办件", "公文起草"]),
        (api_keys.admin, ["政策问答", "进度查询", "办件", "公文起草", "文档管理", "知识缺口"]),
    ):
        page = open_page()
        sign_in(page, key)
        page.get_by_role("tab", name="政策问答").wait_for()
        assert tab_names(page) == expected


# --- 政策问答 ---


def test_a_seed_question_is_answered_with_citations_that_open_the_passage(
    open_page: OpenPage, api_keys: ApiKeys, shots: Path
) -> None:
    page = open_page(PHONE)
    sign_in(page, api_keys.public)
    examples = page.locator("#examples button")
    examples.first.wait_for()
    assert examples.count() >= 2 and all("？" in text for text in examples.all_inner_texts())
    page.screenshot(path=shots / "chat-start.png", full_page=True)

    # The key sentences of the passages ("政策原文") show while the model is still writing, and stay after.
    page.locator("#question textarea").fill(SEED_QUESTION)
    page.locator("#send").click()
    page.wait_for_function(
        "() => document.querySelector('#chat .working') && document.querySelector('#chat .excerpt')",
        timeout=ANSWER_SECONDS * 1000,
    )
    page.wait_for_function(
        "() => document.querySelector('#chat .ai-label') && !document.querySelector('#chat .working')",
        timeout=ANSWER_SECONDS * 1000,
    )
    answer = page.locator("#chat [data-testid='bot']").last
    assert AI_LABEL in answer.inner_text()
    excerpt = answer.locator(".excerpt")
    assert "政策原文" in excerpt.inner_text() and "5000PFLOPS" in excerpt.inner_text()
    # The target is in a draft for comments: its citation shows the status, the answer says it is not in force.
    assert "征求意见稿" in answer.locator(".cite-status").first.inner_text()
    assert "尚未正式施行" in answer.inner_text()
    citations = page.locator("#chat details.citation")
    assert citations.count() >= 1 and "[1]" in answer.inner_text()
    first = citations.first
    assert not first.locator(".cite-text").is_visible()
    first.locator("summary").click()
    assert first.locator(".cite-text").is_visible() and len(first.locator(".cite-text").inner_text()) > 20
    summary = first.locator("summary").inner_text()
    assert summary.startswith("[1]") and any(title in summary for title in SEED_TITLES)
    assert first.locator(".cite-path").inner_text().strip()
    # Usable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    chat_from_the_top(page)
    page.screenshot(path=shots / "chat-answer.png", full_page=True)

    page.locator("#new-chat").click()
    page.wait_for_function("!document.querySelector('#chat .ai-label')")


def test_an_unanswerable_question_is_declined_with_where_to_turn(open_page: OpenPage, api_keys: ApiKeys) -> None:
    page = open_page(PHONE)
    sign_in(page, api_keys.public)
    ask(page, UNANSWERABLE)
    decline = page.locator("#chat .decline").last
    assert "没有找到" in decline.inner_text() and "12345" in decline.inner_text()
    assert page.locator("#chat details.citation").count() == 0


def test_a_goal_question_gets_the_guide_card_and_a_new_conversation_stops_the_answer(
    open_page: OpenPage, api_keys: ApiKeys, shots: Path
) -> None:
    page = open_page(PHONE)
    sign_in(page, api_keys.public)
    page.locator("#question textarea").fill(GOAL_QUESTION)
    page.locator("#send").click()
    card = page.locator("#chat .guide")
    card.wait_for(timeout=60_000)
    text = card.inner_text()
    assert "工伤事故备案 [1]" in text and INJURY_OFFICE in text and "020-12333" in text
    assert "材料清单" in text and "工伤事故备案表" in (card.text_content() or "") and AI_LABEL in text
    chat_from_the_top(page)
    page.screenshot(path=shots / "chat-guide.png", full_page=True)
    page.locator("#new-chat").click()
    page.wait_for_function("!document.querySelector('#chat .guide')")
    ask(page, SEED_QUESTION)  # the model is free again: the stopped answer gave its turn back


# --- 公文起草 ---


def drafting_stage(page: Page, reached: str) -> None:
    """Wait until the JS condition ``reached`` holds; fail at once, with its message, if the desk shows an error."""
    page.wait_for_function(
        f"() => document.querySelector('#draft-status .error') !== null || ({reached})",
        timeout=ANSWER_SECONDS * 1000,
    )
    assert page.locator("#draft-status .error").count() == 0, page.locator("#draft-status").inner_text()


def test_staff_drafts_a_notice_edits_it_and_downloads_the_docx(
    open_page: OpenPage, api_keys: ApiKeys, shots: Path
) -> None:
    import docx

    page = open_page()
    sign_in(page, api_keys.staff)
    page.get_by_role("tab", name="公文起草").click()
    page.locator("#draft-issuer textarea").fill("吉林省科学技术厅")
    page.locator("#draft-to textarea").fill("各市（州）科技局")
    page.locator("#draft-subject textarea").fill("报送人工智能应用场景")
    page.locator("#draft-points textarea").fill("梳理本地区人工智能典型应用场景\n于2026年7月31日前报送省科技厅")
    page.locator("#draft-write").click()
    drafting_stage(page, "document.querySelector('#draft-preview').innerText.includes('正在撰写正文')")
    drafting_stage(page, "document.querySelector('#draft-download') !== null")
    download = page.locator("#draft-download")
    title = "吉林省科学技术厅关于报送人工智能应用场景的通知"
    preview = page.locator("#draft-preview").inner_text()
    assert title in preview and "各市（州）科技局：" in preview and "特此通知。" in preview
    assert "格式检查通过" in page.locator("#draft-findings").inner_text()
    assert page.locator("#draft-sources details.citation").count() >= 1
    page.screenshot(path=shots / "drafting.png", full_page=True)

    page.get_by_text("修改草稿").click()
    body = page.locator("#draft-edit textarea").last
    assert "特此通知" not in body.input_value()  # the program's closing is not the drafter's to edit
    body.fill(body.input_value() + "\n请各单位指定专人负责，联系人：王明，电话0431-12345678。")
    page.locator("#draft-apply").click()
    page.locator("#draft-status").get_by_text("已应用修改").wait_for()
    assert "王明" in page.locator("#draft-preview").inner_text()

    with page.expect_download() as started:
        download.click()
    saved = started.value
    assert saved.suggested_filename == f"{title}.docx"
    paragraphs = [p.text for p in docx.Document(saved.path()).paragraphs]
    assert title in paragraphs and any("王明" in p for p in paragraphs)


# --- 文档管理 ---


def test_admin_uploads_files_sees_each_result_finds_searches_and_deletes_the_document(
    open_page: OpenPage, api_keys: ApiKeys, shots: Path, tmp_path: Path
) -> None:
    title = "关于开展城市书房夜间开放试点的通知"
    good = tmp_path / "night-library.txt"
    good.write_text(
        f"{title}\n\n各区文化和旅游局：\n一、试点内容\n城市书房夜间开放至二十二时，市民凭身份证免费入馆阅读。\n"
        "二、工作要求\n各试点书房应配备夜间值守人员，做好安全保障。\n",
        encoding="utf-8",
    )
    blank = tmp_path / "blank.txt"
    blank.write_text("   \n\n", encoding="utf-8")

    page = open_page()
    sign_in(page, api_keys.admin)
    page.get_by_role("tab", name="文档管理").click()
    table = page.locator("#documents-table")
    table.get_by_text(SEED_TITLES[0]).first.wait_for()

    page.locator("#upload-files input[type=file]").set_input_files([good, blank])
    page.locator("#upload").click()
    results = page.locator("#upload-results table")
    results.wait_for(timeout=120_000)
    rows = {r.locator("td").first.inner_text(): r.inner_text() for r in results.locator("tbody tr").all()}
    assert set(rows) == {"night-library.txt", "blank.txt"}
    assert "已入库" in rows["night-library.txt"] and title in rows["night-library.txt"]
    assert "失败" in rows["blank.txt"] and "没有可用的文字" in rows["blank.txt"]
    table.get_by_text(title).wait_for()
    page.screenshot(path=shots / "documents.png", full_page=True)

    page.get_by_text("检索测试（只检索，不生成回答）").click()
    page.locator("#search-query textarea").fill("城市书房夜间开放到几点")
    page.locator("#search").click()
    page.locator("#search-results").get_by_text(title).first.wait_for()
    assert "检索到" in page.locator("#search-results").inner_text()

    page.locator("#delete-pick input").click()
    page.get_by_role("option", name=re.compile(title)).click()
    page.locator("#delete").click()
    page.locator("#delete-result").get_by_text("已删除").wait_for()
    page.wait_for_function("t => !document.querySelector('#documents-table').innerText.includes(t)", arg=title)
    assert SEED_TITLES[0] in table.inner_text()


# --- 好差评 and 知识缺口 ---


def test_a_person_rates_an_answer_once_and_an_admin_sees_the_gap_and_handles_the_complaint(
    open_page: OpenPage, api_keys: ApiKeys, ui_server: LiveServer, shots: Path
) -> None:
    from assistant.audit.feedback import FeedbackQuery

    page = open_page(PHONE)
    sign_in(page, api_keys.public)
    ask(page, UNANSWERABLE)

    def choose(rating: str) -> None:
        menu = page.locator("#chat .extra-feedback").last
        menu.hover()
        menu.get_by_role("button", name=rating, exact=True).click()

    choose("不满意")
    page.locator("#rating-chosen").get_by_text("不满意").wait_for()
    page.locator("#rating-reason textarea").fill("没有告诉我落户条件")
    page.locator("#rating-submit").click()
    page.locator("#rating-result").get_by_text("感谢您的评价").wait_for()
    page.screenshot(path=shots / "chat-rating.png", full_page=True)
    rated = ui_server.state.components.feedback.list(FeedbackQuery())
    assert [(r["rating"], r["reason"], r["target"], r["question"]) for r in rated] == [
        ("不满意", "没有告诉我落户条件", "answer", UNANSWERABLE)
    ]
    choose("满意")  # a second rating of the same answer is refused
    page.locator("#rating-submit").click()
    page.locator("#rating-result").get_by_text("只能评价一次").wait_for()
    assert len(ui_server.state.components.feedback.list(FeedbackQuery())) == 1

    admin = open_page()
    sign_in(admin, api_keys.admin)
    admin.get_by_role("tab", name="知识缺口").click()
    table = admin.locator("#gaps-table")
    table.get_by_text(UNANSWERABLE).first.wait_for()
    assert "待补充" in table.inner_text()
    admin.locator("#complaint-pick input").click()
    admin.get_by_role("option", name=re.compile("不满意")).click()
    admin.locator("#complaint-note textarea").fill("已联系公安部门补充落户政策文件")
    admin.locator("#complaint-handle").click()
    admin.locator("#complaint-result").get_by_text("已标记为已处理").wait_for()
    admin.screenshot(path=shots / "gaps.png", full_page=True)
    [handled] = ui_server.state.components.feedback.list(FeedbackQuery(handled=True))
    assert handled["handled_note"] == "已联系公安部门补充落户政策文件"
