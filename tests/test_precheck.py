"""The pre-check on real catalogue items (records copied at test time from the shared catalogue), with
materials made by the test: text-layer PDFs and .docx forms for the fast checks, and scans drawn with
fonts-noto-cjk and read by the real OCR (rapidocr) for rotation, poor scans, photos and blank pages."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from assistant.api.app import create_app
from assistant.cases.item_rules import ItemRules
from assistant.cases.items import CatalogueItems
from assistant.cli import main
from assistant.components import Components
from assistant.config import Settings, get_settings
from assistant.precheck.findings import CORRECTABLE
from assistant.precheck.ocr import PageOcr
from assistant.precheck.reading import Material
from assistant.precheck.report import AI_LABEL, PrecheckReport
from assistant.precheck.service import NoChecklist, PrecheckService, item_rules
from bench.precheck_eval import Score, score
from bench.precheck_packages import (
    DEV_ITEMS,
    Applicant,
    PackageMaker,
    applicant,
    break_checksum,
    catalogue_rows,
    draw_page,
    encrypted_pdf,
    form_docx,
    id_card,
    jpeg,
    landscape,
    png,
    rules_of,
    scanned,
    text_pdf,
)

pytest_plugins = ["api_fixtures", "db_fixtures"]

LAWYER = "11440100007483180K3440109002002"  # 兼职律师执业许可: 申请表格, 参保缴费证明, 承诺书, 居民身份证
LAB = "11440000006939801C244010300100202"  # 实验动物使用许可（变更）: 申请书, 原许可证, 营业执照或法人证书
NO_MATERIALS = "11440000MB2D02159F2442012071000"  # 海底电缆、管道标识备案: the catalogue lists no materials
TODAY = date(2026, 12, 7)
DUE = date(2027, 1, 15)


@pytest.fixture(scope="module")
def rows() -> dict[str, dict]:
    return catalogue_rows((LAWYER, LAB, NO_MATERIALS, *DEV_ITEMS))


@pytest.fixture(scope="module")
def lawyer(rows: dict[str, dict]) -> ItemRules:
    return rules_of(rows[LAWYER])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> PrecheckService:
    return PrecheckService(Settings(data_dir=tmp_path_factory.mktemp("precheck")))


@pytest.fixture
def person() -> Applicant:
    import random

    return applicant(random.Random(7))


def lawyer_package(person: Applicant, valid_until: date = date(2036, 5, 1)) -> list[Material]:
    """A clean package for 兼职律师执业许可, every material with a text layer."""
    closing = ["本人承诺以上内容真实。", f"申请人（签名）：{person.name}", "日期：2026年12月07日"]
    return [
        Material(
            "兼职律师执业许可申请表格.docx",
            form_docx("兼职律师执业许可申请表格", [("姓名", person.name), ("公民身份号码", person.id_number)], closing),
        ),
        Material(
            "社保证明.pdf",
            text_pdf(
                [
                    [
                        "社会保险参保缴费证明",
                        f"姓名：{person.name}",
                        "参保状态：正常参保",
                        "广州市社会保险基金管理中心（盖章）",
                    ]
                ]
            ),
        ),
        Material(
            "承诺书.pdf",
            text_pdf([["未受过刑事处罚本人承诺书", "本人未受过刑事处罚。", f"承诺人（签名）：{person.name}"]]),
        ),
        Material(
            "身份证.pdf",
            text_pdf(
                [
                    [
                        "居民身份证",
                        f"姓名 {person.name}",
                        f"公民身份号码 {person.id_number}",
                        f"有效期限 2016.05.01-{valid_until:%Y.%m.%d}",
                    ]
                ]
            ),  # fmt: skip
        ),
    ]


def form_of(person: Applicant) -> dict[str, str]:
    return {"姓名": person.name, "身份证号": person.id_number, "联系电话": person.phone}


def problems(report: PrecheckReport) -> list[tuple[str, str | None]]:
    return [(f.kind, f.material) for f in report.findings if f.kind in CORRECTABLE or f.kind == "not_required"]


def test_a_clean_package_fills_every_slot_with_no_problem_and_flags_signatures_for_staff(
    service: PrecheckService, lawyer: ItemRules, person: Applicant
) -> None:
    report = service.run(lawyer, form_of(person), lawyer_package(person), DUE, TODAY)

    assert problems(report) == [] and report.ready and report.correction_items == ()
    assert [r.status for r in report.rows] == ["待核验", "待核验", "待核验", "齐全"]
    assert [[f.name for f in r.files] for r in report.rows] == [
        ["兼职律师执业许可申请表格.docx"], ["社保证明.pdf"], ["承诺书.pdf"], ["身份证.pdf"]
    ]  # fmt: skip
    flagged = {f.material for f in report.findings if f.kind == "seal_signature"}
    assert flagged == {"兼职律师执业许可申请表格.docx", "社保证明.pdf", "承诺书.pdf"}
    assert all("工作人员核验" in f.message for f in report.findings if f.kind == "seal_signature")
    assert report.label == AI_LABEL and "人工智能" in report.as_text() and report.as_dict()["label"] == AI_LABEL


def test_missing_material_bad_number_and_form_mismatch_are_each_found_once_with_their_basis(
    service: PrecheckService, lawyer: ItemRules, person: Applicant
) -> None:
    materials = [m for m in lawyer_package(person) if m.name != "承诺书.pdf"]
    form = {**form_of(person), "身份证号": break_checksum(person.id_number)}
    report = service.run(lawyer, form, materials, DUE, TODAY)

    assert sorted(problems(report)) == [("bad_identifier", None), ("missing", None)]
    missing = next(f for f in report.findings if f.kind == "missing")
    assert missing.slot_index == 2 and "未受过刑事处罚本人承诺书" in missing.message and "第三十二条" in missing.basis
    assert "GB 11643" in next(f.basis for f in report.findings if f.kind == "bad_identifier")
    assert report.rows[2].status == "缺少" and len(report.correction_items) == 2

    other = applicant(__import__("random").Random(8))
    report = service.run(lawyer, {**form_of(person), "姓名": other.name}, lawyer_package(person), DUE, TODAY)
    assert problems(report) == [("mismatch", "身份证.pdf")]
    assert other.name in report.findings[0].message or other.name in report.correction_items[0]


def test_validity_already_past_or_ending_before_the_decision_deadline(
    service: PrecheckService, lawyer: ItemRules, person: Applicant
) -> None:
    expired = service.run(lawyer, form_of(person), lawyer_package(person, date(2026, 11, 30)), DUE, TODAY)
    assert problems(expired) == [("expired", "身份证.pdf")]
    assert "2026年11月30日" in next(f.message for f in expired.findings if f.kind == "expired")

    ending = service.run(lawyer, form_of(person), lawyer_package(person, date(2027, 1, 2)), DUE, TODAY)
    assert problems(ending) == [("expires_before_decision", "身份证.pdf")]
    assert problems(service.run(lawyer, form_of(person), lawyer_package(person, date(2027, 1, 2)), None, TODAY)) == []


def test_unreadable_duplicate_blank_and_unasked_files_are_reported_and_the_rest_still_read(
    tmp_path: Path, lawyer: ItemRules, person: Applicant
) -> None:
    service = PrecheckService(Settings(data_dir=tmp_path, precheck_max_image_pixels=1_000_000))
    package = lawyer_package(person)
    statement = package[2]
    with_blank = text_pdf([["社会保险参保缴费证明", f"姓名：{person.name}", "（盖章）"], []])
    package[1] = Material("社保证明.pdf", with_blank)
    extras = [
        Material("承诺书(1).pdf", statement.data),
        Material("房屋租赁合同.pdf", text_pdf([["房屋租赁合同", "出租方：某某", "承租方：某某"]])),
        Material("空文件.pdf", b""),
        Material("加密.pdf", encrypted_pdf(text_pdf([["加密的文件"]]))),
        Material("损坏.pdf", text_pdf([["损坏的文件"]])[:300]),
        Material("巨幅扫描.png", png(Image.new("RGB", (1200, 1000), "white"))),
        Material("说明.txt", "文本".encode()),
    ]
    report = service.run(lawyer, form_of(person), package + extras, DUE, TODAY)

    by_file = {(f.kind, f.material): f for f in report.findings}
    assert ("duplicate", "承诺书(1).pdf") in by_file
    assert ("blank", "社保证明.pdf") in by_file and by_file[("blank", "社保证明.pdf")].page == 2
    assert ("not_required", "房屋租赁合同.pdf") in by_file and "第三十一条" in by_file[
        ("not_required", "房屋租赁合同.pdf")
    ].basis
    assert "0 字节" in by_file[("unreadable_file", "空文件.pdf")].message
    assert "密码" in by_file[("unreadable_file", "加密.pdf")].message
    assert "损坏" in by_file[("unreadable_file", "损坏.pdf")].message
    assert "1 百万像素" in by_file[("unreadable_file", "巨幅扫描.png")].message
    assert "不支持的文件类型" in by_file[("unreadable_file", "说明.txt")].message
    assert not [k for k, m in by_file if k in ("missing", "mismatch", "bad_identifier")]
    notice = report.correction_items
    assert len(notice) == len(set(notice)) and not any(
        "房屋租赁合同" in line for line in notice
    )  # §31: said, not asked


def test_an_item_without_a_checklist_cannot_be_prechecked_and_says_why(
    service: PrecheckService, rows: dict[str, dict]
) -> None:
    rules = rules_of(rows[NO_MATERIALS])
    with pytest.raises(NoChecklist, match="没有列出申请材料"):
        service.run(rules, {}, [], None, TODAY)


def test_rotated_scans_are_read_in_order_and_checked(
    service: PrecheckService, lawyer: ItemRules, person: Applicant
) -> None:
    import random

    card = id_card(person, date(2036, 1, 1))
    ocr = PageOcr()
    for turn in (90, 180):
        page = ocr.read(np.asarray(scanned(card, random.Random(turn), rotation=turn)))
        assert page.rotation == turn
        lines = page.text.splitlines()
        name_line = next(n for n, line in enumerate(lines) if "姓名" in line)
        assert name_line < next(n for n, line in enumerate(lines) if "公民身份号码" in line)
        assert person.id_number in page.text.replace(" ", "")
    package = lawyer_package(person)
    package[3] = Material("IMG_0001.jpg", jpeg(scanned(card, random.Random(3), rotation=270)))
    report = service.run(lawyer, form_of(person), package, DUE, TODAY)
    assert problems(report) == [] and report.rows[3].files[0].name == "IMG_0001.jpg"


def test_poor_scans_photos_and_blank_sheets_are_told_apart(
    service: PrecheckService, lawyer: ItemRules, person: Applicant
) -> None:
    import random

    rng = random.Random(5)
    package = lawyer_package(person)
    lines = [("未受过刑事处罚本人承诺书", 44), (f"姓名  {person.name}", 28), (f"公民身份号码  {person.id_number}", 28)]
    package[2] = Material("未受过刑事处罚本人承诺书.jpg", jpeg(scanned(draw_page(lines, (1000, 900)), rng, "poor"), 40))
    package += [
        Material("IMG_20261203.jpg", jpeg(landscape(rng))),
        Material("背面.jpg", jpeg(scanned(Image.new("RGB", (900, 1200), (250, 250, 248)), rng))),
    ]
    report = service.run(lawyer, form_of(person), package, DUE, TODAY)

    found = set(problems(report))
    assert ("unreadable", "未受过刑事处罚本人承诺书.jpg") in found
    assert ("not_document", "IMG_20261203.jpg") in found
    assert ("blank", "背面.jpg") in found
    assert not {k for k, _ in found} & {"bad_identifier", "mismatch", "missing"}


@pytest.mark.slow
def test_generated_packages_with_planted_defects_are_caught(service: PrecheckService, rows: dict[str, dict]) -> None:
    """One clean and one defective package of a personal-certificate item, all scans read by OCR."""
    maker = PackageMaker(rules_of(rows[DEV_ITEMS[0]]), enterprise=False)
    clean = maker.make(41)
    report = service.run(clean.rules, clean.form, clean.materials, clean.decision_due, clean.today)
    assert problems(report) == []
    package = maker.make(42, ("mismatch", "expired"))
    report = service.run(package.rules, package.form, package.materials, package.decision_due, package.today)
    scored = Score()
    score(package, report, scored)  # the evaluation's own matching of findings to planted defects
    assert scored.found == scored.planted == Counter({"mismatch": 1, "expired": 1})
    assert scored.correct == scored.reported


# --- the interfaces: CLI and HTTP over a small ingested catalogue ---------------------------------------


@pytest.fixture(scope="module")
def catalogue_dir(tmp_path_factory: pytest.TempPathFactory, rows: dict[str, dict]) -> Path:
    data_dir = tmp_path_factory.mktemp("precheck-data")
    source = tmp_path_factory.mktemp("precheck-source") / "items.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows.values()), encoding="utf-8")
    components = Components(Settings(data_dir=data_dir))
    try:
        assert components.ingestor.ingest_paths([source]).count("added") == 1
        assert item_rules(CatalogueItems(lambda: components.catalogue), LAWYER).name.endswith("兼职律师执业许可")
    finally:
        components.close()
    return data_dir


def test_cli_precheck_prints_the_report_and_refuses_an_item_without_checklist(
    catalogue_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    person: Applicant,
) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(catalogue_dir))
    get_settings.cache_clear()
    files = []
    for m in lawyer_package(person)[:3]:
        (tmp_path / m.name).write_bytes(m.data)
        files.append(str(tmp_path / m.name))
    (tmp_path / "form.json").write_text(json.dumps(form_of(person), ensure_ascii=False), encoding="utf-8")
    try:
        assert main(["precheck", LAWYER, *files, "--form", str(tmp_path / "form.json"), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert [f["kind"] for f in report["findings"] if f["kind"] in CORRECTABLE] == ["missing"]
        assert report["rows"][3]["status"] == "缺少" and report["label"] == AI_LABEL
        assert main(["precheck", NO_MATERIALS, *files]) == 1
        assert "没有列出申请材料" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_http_precheck_for_applicants_stores_nothing_and_says_what_was_wrong(
    catalogue_dir: Path, person: Applicant, api_keys
) -> None:
    from api_fixtures import LiveServer, server_settings

    server = LiveServer(create_app(server_settings(catalogue_dir, api_keys=api_keys.setting))).start()
    try:
        documents_before = server.state.components.store.list_documents()
        files = [("files", (m.name, m.data)) for m in lawyer_package(person)]
        with server.client(api_keys.public) as client:
            response = client.post(
                "/v1/precheck",
                data={"item_id": LAWYER, "form": json.dumps(form_of(person)), "decision_due": "2027-01-15"},
                files=files,
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["ready"] and [r["status"] for r in body["rows"]][3] == "齐全"
            assert body["meta"]["decision_due"] == "2027-01-15"

            unknown = client.post("/v1/precheck", data={"item_id": "NOPE"}, files=files[:1])
            assert unknown.status_code == 422 and "NOPE" in unknown.json()["error"]["message"]
            none = client.post("/v1/precheck", data={"item_id": NO_MATERIALS}, files=files[:1])
            assert none.status_code == 422 and "没有列出申请材料" in none.json()["error"]["message"]
            bad_form = client.post("/v1/precheck", data={"item_id": LAWYER, "form": "[1"}, files=files[:1])
            assert bad_form.status_code == 422 and "form" in bad_form.json()["error"]["message"]
            big = client.post(
                "/v1/precheck", data={"item_id": LAWYER}, files=[("files", ("big.pdf", b"%PDF" + b"0" * 2_000_000))]
            )
            assert big.status_code == 413
        assert server.state.components.store.list_documents() == documents_before
    finally:
        server.stop()


# --- a case's pre-check: its stored materials, its deadline, on SQLite and PostgreSQL --------------------


def test_a_case_precheck_reads_its_stored_materials_keeps_the_report_and_changes_nothing(
    catalogue_dir: Path,
    database_url: str,
    tmp_path: Path,
    person: Applicant,
    api_keys,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from api_fixtures import LiveServer, server_settings
    from sqlalchemy import func, select

    from assistant.cases.service import Actor, NewMaterial
    from assistant.cases.service import Applicant as CaseApplicant
    from assistant.db.models import PrecheckRecord

    settings = Settings(data_dir=catalogue_dir, database_url=database_url, materials_path=tmp_path / "materials")
    components = Components(settings)
    try:
        package = lawyer_package(person)
        filed = [NewMaterial(m.name, m.data, slot) for slot, m in enumerate(package) if slot != 2]  # no 承诺书
        submission = components.cases.create(
            CaseApplicant("person", person.name, person.id_number, person.phone), [LAWYER], Actor("窗口", "staff"),
            materials=filed,
        )  # fmt: skip
        number = submission.case.number
        before = components.cases.get(number)

        report = components.case_precheck.run(number, "预审员")
        kinds = [(f.kind, f.slot_index) for f in report.findings if f.kind in CORRECTABLE]
        assert kinds == [("missing", 2)]
        assert report.meta["decision_due"] is not None  # the 法定 period from today, as if accepted now
        after = components.cases.get(number)
        assert (after.state, after.version, len(after.history)) == (before.state, before.version, len(before.history))
        stored = components.case_precheck.latest(number)
        assert stored is not None and stored["current"] and stored["created_by"] == "预审员"
        assert stored["rows"][2]["status"] == "缺少"

        components.cases.upload(number, [NewMaterial("承诺书.pdf", package[2].data, 2)], Actor("窗口", "staff"))
        assert components.case_precheck.latest(number)["current"] is False  # the materials moved on
        assert components.case_precheck.run(number, "预审员").ready
        with components.database.sessions() as session:
            assert session.scalar(select(func.count()).select_from(PrecheckRecord)) == 1  # the latest only
    finally:
        components.close()

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(catalogue_dir))
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", database_url)
    monkeypatch.setenv("ASSISTANT_MATERIALS_PATH", str(tmp_path / "materials"))
    get_settings.cache_clear()
    try:
        assert main(["case", "precheck", number, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["ready"] is True
    finally:
        get_settings.cache_clear()

    server_config = server_settings(
        catalogue_dir, api_keys=api_keys.setting, database_url=database_url, materials_path=tmp_path / "materials"
    )
    server = LiveServer(create_app(server_config)).start()
    try:
        with server.client(api_keys.public) as public:
            assert public.post(f"/v1/cases/{number}/precheck").status_code == 403
        with server.client(api_keys.staff) as staff:
            response = staff.post(f"/v1/cases/{number}/precheck")
            assert response.status_code == 200 and response.json()["ready"], response.text
            assert staff.get(f"/v1/cases/{number}/precheck").json()["created_by"] == "staff-client"
            assert staff.post("/v1/cases/GD-NOPE/precheck").status_code == 404
            case = staff.get(f"/v1/cases/{number}").json()
            withdrawn = staff.post(
                f"/v1/cases/{number}/transitions",
                json={"action": "withdraw", "reason": "申请人撤回", "version": case["version"]},
            )
            assert withdrawn.status_code == 200, withdrawn.text
        with server.client(api_keys.admin) as admin:
            assert admin.delete(f"/v1/cases/{number}").status_code == 204
        with server.state.components.database.sessions() as session:
            assert session.scalar(select(func.count()).select_from(PrecheckRecord)) == 0  # gone with its case
    finally:
        server.stop()
