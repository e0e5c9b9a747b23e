"""The 办件 screen, the 进度查询 box and the guide card's 在线申请 in a real browser (Debian's chromium through
Playwright) against a real uvicorn server over a small catalogue of real Guangdong records and SQLite.

Cases of different ages are made through the case service itself (one dated in the past, so that its
light is red); everything else happens on the page. ``UPDATE_SCREENSHOTS=1`` writes the screenshots to
docs/screenshots/ (browser_fixtures.py).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_fixtures import DESKTOP, PHONE, OpenPage, sign_in, tab_names
from stdnum.cn import uscc

from assistant.api.app import create_app
from assistant.audit.query import AuditQuery, search
from assistant.cases.deadlines import ClockEvent, compute_deadlines
from assistant.cases.service import (
    CHINA,
    Actor,
    Applicant,
    CaseService,
    NewMaterial,
    Step,
    WorklistQuery,
    merged_checklist,
)
from assistant.components import Components
from assistant.models.provision import provision

if TYPE_CHECKING:
    from api_fixtures import ApiKeys, LiveServer
    from case_fixtures import CaseCatalogue
    from conftest import PdfMaker
    from playwright.sync_api import Page

pytest_plugins = ["api_fixtures", "browser_fixtures", "db_fixtures", "case_fixtures"]
pytestmark = pytest.mark.slow

PERSON = Applicant("person", "张三", "11010519491231002X", "13800138000")
MASKED_ID = "110105********002X"
COMPANY = Applicant(
    "enterprise",
    "广州示例科技有限公司",
    "91440101MA5CXXXX0" + uscc.calc_check_digit("91440101MA5CXXXX0"),
    "020-12345678",
)
APPLICANT = Actor("张三", "applicant")
OVERDUE_DAYS = 40


@dataclass(frozen=True)
class Seeded:
    server: LiveServer
    overdue: str  # received long ago: its light is red
    yellow: str  # due within 2 working days
    fresh: str  # received today, with materials
    fresh_code: str
    material: str  # the name of one of its materials


@pytest.fixture(scope="module")
def ui_server(
    tmp_path_factory: pytest.TempPathFactory, case_catalogue: CaseCatalogue, api_keys: ApiKeys
) -> Iterator[LiveServer]:
    """A server with API keys over the small catalogue and a fresh SQLite database (test_ui's pages open it)."""
    from api_fixtures import SMALL_MODEL, LiveServer, server_settings

    work = tmp_path_factory.mktemp("ui-cases")
    settings = server_settings(
        case_catalogue.data_dir,
        api_keys=api_keys.setting,
        database_url=f"sqlite:///{work / 'assistant.db'}",
        materials_path=work / "materials",
        llm_max_tokens=24,
    )
    provision(settings, only=[SMALL_MODEL])
    server = LiveServer(create_app(settings, Components(settings))).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def seeded(
    ui_server: LiveServer, case_catalogue: CaseCatalogue, make_pdf: PdfMaker, tmp_path_factory: pytest.TempPathFactory
) -> Seeded:
    """Three cases through the server's own case service: received long ago (red), a few working days ago
    (yellow), and today with two of its materials as PDFs (green)."""
    cases = ui_server.state.components.cases
    first, second, third = case_catalogue.licensing[:3]
    overdue = received_on(cases, datetime.now(UTC) - timedelta(days=OVERDUE_DAYS)).create(PERSON, [first], APPLICANT)
    yellow = received_on(cases, yellow_moment(cases, third)).create(COMPANY, [third], APPLICANT)
    checklist = merged_checklist([cases.items.rules(second)])
    folder = tmp_path_factory.mktemp("scans")
    pdfs = [(s, make_pdf(folder / f"{s['index']}.pdf", [[s["name"], f"申请人：{PERSON.name}"]])) for s in checklist[:2]]
    scans = [NewMaterial(f"{s['name']}.pdf", pdf.read_bytes(), s["index"]) for s, pdf in pdfs]
    fresh = cases.create(PERSON, [second], APPLICANT, materials=scans)
    return Seeded(ui_server, overdue.case.number, yellow.case.number, fresh.case.number, fresh.code, scans[0].name)


def received_on(cases: CaseService, moment: datetime) -> CaseService:
    """The same case service, on the same database, with its clock set to ``moment``."""
    return CaseService(cases.database, cases.blobs, cases.items, cases.calendar, now=lambda: moment)


def yellow_moment(cases: CaseService, item: str) -> datetime:
    """A moment in the last weeks at which an application for ``item`` is due within 2 working days from today."""
    today, rules = cases.today(), cases.items.rules(item)
    for back in range(1, 15):
        moment = datetime.now(UTC) - timedelta(days=back)
        day = moment.astimezone(CHINA).date()
        due = compute_deadlines(rules, [ClockEvent("received", day)], day, cases.calendar).next_due
        if due is not None and 0 <= cases.calendar.working_days_between(today, due) <= 2:
            return moment
    raise AssertionError(f"no day in the last two weeks leaves {item} yellow today")


def sign_in_to_cases(open_page: OpenPage, key: str, viewport: dict[str, int] | None = None) -> Page:
    page = open_page(viewport or DESKTOP)
    sign_in(page, key)
    page.get_by_role("tab", name="办件").click()
    page.locator("#worklist tr[data-case]").first.wait_for()
    return page


def worklist_rows(page: Page) -> dict[str, str]:
    return {
        row.get_attribute("data-case") or "": row.inner_text() for row in page.locator("#worklist tr[data-case]").all()
    }


def settled(page: Page) -> None:
    """Wait until no part of the page is still loading (and faded), e.g. before a screenshot."""
    page.wait_for_function("() => !document.querySelector('.pending')")
    page.wait_for_timeout(400)  # the fade back in


def wait_for_message(page: Page, text: str) -> str:
    page.locator("#case-message").get_by_text(text).wait_for()
    return page.locator("#case-message").inner_text()


def test_staff_work_a_case_from_the_worklist(
    open_page: OpenPage, seeded: Seeded, api_keys: ApiKeys, shots: Path, tmp_path: Path
) -> None:
    import docx

    page = sign_in_to_cases(open_page, api_keys.staff)
    rows = worklist_rows(page)
    assert list(rows)[:3] == [seeded.overdue, seeded.yellow, seeded.fresh]  # the nearest deadline first
    assert "红灯" in rows[seeded.overdue] and "已超期" in rows[seeded.overdue]
    assert "黄灯" in rows[seeded.yellow] and "绿灯" in rows[seeded.fresh] and "剩 " in rows[seeded.fresh]
    settled(page)
    page.screenshot(path=shots / "cases-worklist.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=tmp_path / "cases-worklist-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)

    page.locator("#filter-light input").click()
    page.get_by_role("option", name="红灯（已超期）").click()
    page.wait_for_function(
        "n => document.querySelectorAll('#worklist tr[data-case]').length === 1", arg=1, timeout=30_000
    )
    assert list(worklist_rows(page)) == [seeded.overdue]
    page.locator("#filter-light input").click()
    page.get_by_role("option", name="全部").click()
    page.locator(f"#worklist tr[data-case='{seeded.fresh}']").click()

    head = page.locator("#case-head")
    head.get_by_text(seeded.fresh).wait_for()
    assert "已提交" in head.inner_text()
    details = page.locator("#case-details").inner_text()
    assert MASKED_ID in details and PERSON.id_number not in details
    assert "承诺期限" in details and "法定期限" in details
    assert page.locator("#case-materials .precheck").count() >= 3  # a checklist slot each, with its pre-check place
    first_slot = page.locator("#case-materials tbody tr").first.inner_text()
    assert seeded.material in first_slot and "尚未预审" in first_slot
    with page.expect_download() as started:
        page.locator("#case-files tr", has_text=seeded.material.removesuffix(".pdf")).locator("a").click()
    assert Path(started.value.path()).read_bytes().startswith(b"%PDF")
    page.locator("#case-precheck").click()  # the pre-check's word on each slot, where it said 尚未预审
    wait_for_message(page, "材料预审完成")
    cells = page.locator("#case-materials .precheck").all_inner_texts()
    assert all(re.match("齐全|待核验|有问题|缺少|未提交", c.strip()) for c in cells), cells
    assert re.match("缺少|未提交", cells[-1]) and "AI生成" in page.locator("#case-materials").inner_text()
    assert "提交申请" in page.locator("#case-history").inner_text()
    # Only what the state allows is offered: a submitted case can go to 预审 or be withdrawn, not be accepted.
    assert page.locator("#case-do-start_prereview").is_visible() and page.locator("#case-do-withdraw").is_visible()
    assert not page.locator("#case-do-accept").is_visible() and not page.locator("#case-do-decide").is_visible()
    assert not page.locator("#case-do-extend").is_visible()  # 延期 is the approver's (admin)

    page.locator("#case-do-start_prereview").click()
    wait_for_message(page, "请填写办理理由")
    page.locator("#case-reason textarea").fill("材料已收到，开始预审")
    page.locator("#case-do-start_prereview").click()
    wait_for_message(page, "开始预审")
    history = page.locator("#case-history tbody tr").last.inner_text()
    assert "staff-client" in history and "已提交 → 预审" in history and "材料已收到，开始预审" in history
    assert page.locator("#case-do-accept").is_visible() and not page.locator("#case-do-start_prereview").is_visible()

    page.locator("#case-reason textarea").fill("材料齐全，予以受理")
    page.locator("#case-do-accept").click()
    wait_for_message(page, "受理")
    page.locator("#case-notices").get_by_text("受理通知书").wait_for()
    settled(page)
    page.screenshot(path=shots / "cases-page.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=tmp_path / "cases-page-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    with page.expect_download() as started:
        page.locator("#case-notices tr", has_text="受理通知书").locator("a").click()
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(Path(started.value.path()).read_bytes())).paragraphs)
    assert "受理通知书" in text and seeded.fresh in text

    # The page's case actions are in the audit log like the API's: who, which case, which step, from where.
    components = seeded.server.state.components
    components.audit.flush()
    logged = search(components.database, AuditQuery(kinds=["case_action"]))
    steps = [e for e in logged if e["detail"].get("case") == seeded.fresh]
    assert [e["detail"]["action"] for e in steps if e["detail"]["action"] in ("start_prereview", "accept")] == [
        "start_prereview",
        "accept",
    ]
    assert all(e["role"] == "staff" and e["client"] for e in steps)
    assert any(e["detail"]["action"] == "view" for e in steps)

    # Someone else moves the case on meanwhile: the step is refused plainly and the page shows the case as it is.
    staff = Actor("另一位工作人员", "staff")
    seeded.server.state.components.cases.transition(seeded.fresh, Step("start_review", "开始审查"), staff)
    page.locator("#case-reason textarea").fill("开始审查")
    page.locator("#case-do-start_review").click()
    said = wait_for_message(page, "已被其他人办理")
    assert "重新载入" in said
    head.get_by_text("审查").wait_for()
    assert "另一位工作人员" in page.locator("#case-history").inner_text()
    assert not page.locator("#case-do-start_review").is_visible() and page.locator("#case-do-decide").is_visible()


def test_an_applicant_follows_a_case_with_its_code_without_signing_in(
    open_page: OpenPage, seeded: Seeded, shots: Path
) -> None:
    page = open_page(PHONE)
    box = page.locator("#public-progress")

    def look(number: str, code: str) -> str:
        """The answer to a lookup (waiting until it replaced the last one: each names the number asked about)."""
        box.locator("#lookup-number textarea").fill(number)
        box.locator("#lookup-code input").fill(code)
        answer = "() => document.querySelector('#lookup-result .progress, #lookup-result .error')"
        previous = page.evaluate(f"() => ({answer})()?.innerText ?? ''")
        box.locator("#lookup-look").click()
        page.wait_for_function(f"p => {{ const a = ({answer})(); return a && a.innerText !== p; }}", arg=previous)
        return page.evaluate(f"() => ({answer})().innerText")

    shown = look(seeded.fresh, seeded.fresh_code)
    assert seeded.fresh in shown and "承诺期限" in shown and "办理记录" in shown
    # The applicant's copy names no staff member (the page before may have had staff act on it).
    assert "staff-client" not in shown and "另一位工作人员" not in shown
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    settled(page)
    page.screenshot(path=shots / "progress.png", full_page=True)

    missing = seeded.fresh[:-5] + "99999"
    not_found = {number: look(number, code) for number, code in (
        (seeded.fresh, "WRONG-CODE"),  # a wrong code
        (seeded.overdue, seeded.fresh_code),  # another applicant's case
        (missing, seeded.fresh_code),  # no such case
    )}  # fmt: skip
    assert {text.replace(number, "N") for number, text in not_found.items()} == {
        "N：未找到该办件：请核对办件编号和查询码。"
    }


def test_a_public_user_starts_the_one_thing_from_a_guide(
    open_page: OpenPage, seeded: Seeded, api_keys: ApiKeys
) -> None:
    from case_fixtures import HK_BUSINESS, HK_PERMIT, HK_QUESTION

    page = open_page(DESKTOP)
    sign_in(page, api_keys.public)
    page.get_by_role("tab", name="政策问答").wait_for()
    assert "办件" not in tab_names(page) and "进度查询" in tab_names(page)
    page.locator("#question textarea").fill(HK_QUESTION)
    page.locator("#send").click()
    page.locator("#chat .guide").wait_for(timeout=60_000)
    start = page.locator("#start-case")
    start.wait_for()
    start.click()
    page.locator("#start-name textarea").fill(PERSON.name)
    page.locator("#start-id textarea").fill("110105194912310021")  # a wrong check digit
    page.locator("#start-phone textarea").fill(PERSON.phone)
    page.locator("#start-submit").click()
    page.locator("#start-result .error").wait_for()
    assert "申请人信息有误" in page.locator("#start-result").inner_text()

    page.locator("#start-id textarea").fill(PERSON.id_number)
    page.locator("#start-submit").click()
    page.locator("#start-result .submitted").wait_for()
    number = page.locator("#start-result .case-number").inner_text().strip()
    code = page.locator("#start-result .case-code").inner_text().strip()
    assert "只显示这一次" in page.locator("#start-result").inner_text()
    case = seeded.server.state.components.cases.open_as_applicant(number, code)
    assert {s.item_id for s in case.sub_cases} <= {HK_PERMIT, HK_BUSINESS} and HK_PERMIT in {
        s.item_id for s in case.sub_cases
    }
    assert case.history[0].actor == PERSON.name and case.history[0].role == "applicant"  # through a public key
    assert number in {c.number for c in seeded.server.state.components.cases.worklist(WorklistQuery()).cases}
    assert re.fullmatch(r"GD-\d{8}-\d{5}", number)
