"""The summary page, its PDF and Word file, the disclosure copy and the whole-record export:
the same sections and facts in each, bad input shown safely, every download audited."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from io import BytesIO

import pytest
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader
from sqlmodel import Session, col, select

from app.models.accounts import Role
from app.models.assessment import Classification
from app.models.audit import AuditAction, AuditEvent
from app.models.base import utcnow
from app.services import evidence
from app.summary import drawing
from app.summary.build import build_summary
from app.summary.document import SourceList
from app.summary.sections import SUMMARY_SECTIONS, THIRD_PARTY_LEFT_OUT
from tests.factories import make_child, make_family, make_team, make_user, sign_in_as
from tests.summary.conftest import Rich, make_entry
from tests.summary.support import (
    docx_headings,
    docx_paragraphs,
    docx_text,
    pdf_structure,
    pdf_text,
)
from tests.support.assessment import CURRENT, actor, rate
from tests.support.client import CheckingClient, soup


def fetch_all(client: CheckingClient, rich: Rich, query: str = "") -> tuple[str, str, bytes, bytes]:
    """The page's text, the PDF's text, the .docx file and the PDF file of the family's
    summary."""
    base = f"/families/{rich.family.id}/summary"
    page = client.get(base + query)
    pdf = client.get(base + ".pdf" + query)
    word = client.get(base + ".docx" + query)
    assert (page.status_code, pdf.status_code, word.status_code) == (200, 200, 200)
    assert pdf.headers["content-type"] == "application/pdf"
    assert word.headers["content-disposition"].startswith('attachment; filename="')
    main = soup(page).find("main")
    assert main is not None
    return " ".join(main.get_text(" ").split()), pdf_text(pdf.content), word.content, pdf.content


# The family's facts, each in the page, the PDF and the Word file.
FACTS = (
    "Ada Okafor",
    "Interim care order (section 38)",
    "Police called to a fight at home; Ada hid in her room.",
    "Domestic abuse incident",
    "More time to test the safety plan.",
    "Grace Okafor",
    "The child is over 10",
)


def test_every_section_fact_and_heading_is_in_page_pdf_and_word(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    # One set of downloads for every check of the same family: each PDF takes a second or two.
    sign_in_as(client, db, rich.colleague)
    page, pdf, word, pdf_file = fetch_all(client, rich)
    headings = docx_headings(word, 2)
    main = [spec for spec in SUMMARY_SECTIONS if spec.part == "main"]
    for number, spec in enumerate(main, start=1):
        assert f"{number}. {spec.title}" in page, spec.id
        assert f"{number}. {spec.title}" in pdf, spec.id
        assert f"{number}. {spec.title}" in headings, spec.id
    # The appendix only on request; the sources last.
    assert headings == [f"{n}. {spec.title}" for n, spec in enumerate(main, start=1)] + ["Sources"]
    for text in (page, pdf):
        assert "Appendix A" not in text
    word_text = docx_text(word)
    for fact in FACTS:
        assert fact in page, fact
        assert fact in pdf, fact
        assert fact in word_text, fact
    # Headings a screen reader can navigate by: the title, each child, each caution.
    assert docx_headings(word, 1) == ["Summary"]
    assert "Ada Okafor" in docx_headings(word, 3)
    assert any(text.startswith("Caution: ") for text in docx_headings(word, 3))
    outline = [
        item.title for item in PdfReader(BytesIO(pdf_file)).outline if not isinstance(item, list)
    ]
    assert outline[0] == "Summary"
    # Tagged: its headings, tables with header cells, lists and links are there to navigate.
    language, kinds = pdf_structure(pdf_file)
    assert language == "en-GB"
    assert kinds["H1"] == 1
    assert kinds["H2"] >= len(main)
    assert all(kinds[kind] for kind in ("Table", "TH", "LI", "Link")), kinds


def test_provenance_is_on_the_page_and_every_page_of_the_exports(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    # Enough entries to run the PDF onto several pages.
    for number in range(40):
        make_entry(db, rich.family, rich.practitioner, what=f"Visit {number}. " + "Notes. " * 40)
    sign_in_as(client, db, rich.colleague)
    page, _, word, pdf = fetch_all(client, rich)
    content_hash = rich.family.content_hash[:12]
    assert f"content hash {content_hash}" in page
    assert "Produced by Colin Colleague" in page
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) > 1
    for pdf_page in reader.pages:
        text = " ".join(pdf_page.extract_text().split())
        assert content_hash in text
        assert "produced by Colin Colleague" in text
    footer = Document(BytesIO(word)).sections[0].footer.paragraphs[0].text
    assert content_hash in footer
    assert "Colin Colleague" in footer


def with_evidence_and_a_classification(db: Session, rich: Rich, text: str) -> None:
    """A factor present with `text` as its evidence, and a classification whose stored
    explanation cites a source, so that the appendix has something of its own."""
    user = rich.practitioner
    rate(db, user, rich.family, "factors-domestic-abuse", {"da-r1": "present"})
    evidence.add_other(
        db,
        actor=actor(user),
        family=rich.family,
        content=CURRENT,
        factor_id="da-r1",
        details=evidence.OtherEvidence("report", date(2025, 7, 4), "Refuge", text),
    )
    source = {"short": "Old study 2001", "citation": "An old study of returns (2001)", "url": None}
    db.add(
        Classification(
            family_id=rich.family.id,
            section_id="classification-before-plan",
            timepoint_id="before-plan",
            content_version=rich.family.framework_version,
            suggested_level="high",
            explanation={
                "lines": [
                    "Suggested level: High.",
                    "Old rule (at least High): why [Old study 2001]",
                ],
                "minimum_levels": [{"title": "Old rule", "sources": [source]}],
            },
            practitioner_level="high",
            rationale="The rules are right.",
            submitted_by_id=user.id,
            status="submitted",
        )
    )
    db.flush()


LONG_EVIDENCE = (
    "Grace said the shouting stopped in May, and the refuge confirmed she had not gone back."
)


def test_the_appendix_is_in_every_format_only_when_asked_for(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    with_evidence_and_a_classification(db, rich, LONG_EVIDENCE)
    sign_in_as(client, db, rich.colleague)
    short = "Grace said the shouting stopped in May, and…"
    page, pdf, word, _ = fetch_all(client, rich)
    for text in (page, pdf, docx_text(word)):
        assert short in text
        assert LONG_EVIDENCE not in text
        assert "Old rule (at least High)" not in text
        assert "An old study of returns (2001)" not in text
        assert "The rules are right." in text
        assert "included on request" in text
    page, pdf, word, _ = fetch_all(client, rich, "?appendix=1")
    appendix = [
        "Appendix A: Evidence for each factor in full",
        "Appendix B: The rules behind each classification",
    ]
    assert docx_headings(word, 2)[-3:] == [*appendix, "Sources"]
    for text in (page, pdf, docx_text(word)):
        for heading in appendix:
            assert heading in text
        assert short in text  # the main document is the same
        assert LONG_EVIDENCE in text
        assert "An old study of returns (2001)" in text
        assert "Old study 2001" not in text  # cited by its number instead
    # The disclosure copy with the appendix: both in one file.
    _, pdf, _, _ = fetch_all(client, rich, "?disclosure=1&appendix=1")
    assert "Summary for disclosure" in pdf
    assert appendix[0] in pdf


def test_each_source_is_listed_once_in_every_format(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    with_evidence_and_a_classification(db, rich, LONG_EVIDENCE)
    doc = build_summary(
        db, family=rich.family, content=CURRENT, produced_by=rich.colleague, appendix=True
    )
    (listed,) = (b for b in doc.section("sources").blocks if isinstance(b, SourceList))
    assert len(listed.items) > 1
    sign_in_as(client, db, rich.colleague)
    page, pdf, word, _ = fetch_all(client, rich, "?appendix=1")
    for text in (page, pdf, docx_text(word)):
        for item in listed.items:
            # The citation's opening words: a long address may wrap in the PDF.
            assert text.count(item[:40]) == 1, item
    for text in (pdf, docx_text(word)):
        assert re.search(r"Sources:? \[1", text)
    html = soup(client.get(f"/families/{rich.family.id}/summary?appendix=1"))
    link = html.select_one(".hw-suggestion a[href='#summary-source-1']")
    assert link is not None
    assert html.select_one("#summary-source-1") is not None


def test_bad_input_in_the_appendix_is_escaped_in_page_pdf_and_word(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    with_evidence_and_a_classification(db, rich, BAD["html"] + " " + BAD["formula"])
    sign_in_as(client, db, rich.colleague)
    page, pdf, word, _ = fetch_all(client, rich, "?appendix=1")
    html = soup(client.get(f"/families/{rich.family.id}/summary?appendix=1"))
    assert not [tag for tag in html.find_all("script") if "alert" in tag.text]
    assert html.find("b", string="bold?") is None
    full = f"{BAD['html']} {BAD['formula']}"
    assert full in page
    assert full in docx_text(word)
    # Runs longer than any word may break at the end of a line in the PDF.
    assert unbroken(full) in unbroken(pdf)


def unbroken(text: str) -> str:
    return "".join(text.split())


BAD = {
    "html": "<script>alert('x')</script><b>bold?</b>",
    "markdown": "**not bold** and [a link](https://example.test)",
    "formula": '=HYPERLINK("https://example.test","click")',
    "control": "bell\x07and\x0bvertical tab",
    "long": "W" * 300,
    "rtl": "قالت الأم إنها تريد عودة ابنتها",
    "emoji": "Ben drew us 👨‍👩‍👧 and a dog",
}


def test_bad_input_renders_escaped_in_page_pdf_and_word(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    for name, text in BAD.items():
        make_entry(db, rich.family, rich.practitioner, what=text, significance="red", impact=name)
    make_child(db, rich.family, name="<i>Zoë</i> ‮evil")
    sign_in_as(client, db, rich.colleague)
    page, pdf, word, _ = fetch_all(client, rich)
    response = client.get(f"/families/{rich.family.id}/summary")
    html = soup(response)
    assert not [tag for tag in html.find_all("script") if "alert" in tag.text]
    assert html.find("b", string="bold?") is None
    assert html.find("i", string="Zoë") is None
    word_text = docx_text(word)
    for expected in (
        BAD["html"],
        BAD["markdown"],
        BAD["formula"],
        "bell\ufffdand\ufffdvertical tab",
        "<i>Zoë</i>",
    ):
        assert expected in page
        assert expected in word_text
    assert "bold?" in pdf
    assert "**not bold**" in pdf
    assert unbroken(BAD["formula"]) in unbroken(pdf)
    assert "and a dog" in pdf
    assert "and a dog" in page
    assert "and a dog" in word_text
    assert "W" * 300 in word_text
    assert "W" * 10 in pdf
    assert "W" * 300 not in pdf
    rtl_cells = [tag for tag in html.select('[dir="rtl"]') if BAD["rtl"] in tag.text]
    assert rtl_cells
    assert any("\u0600" <= character <= "\u06ff" for character in pdf)
    rtl_paragraphs = [
        paragraph
        for paragraph in Document(BytesIO(word)).element.body.iter(qn("w:p"))
        if BAD["rtl"] in "".join(node.text or "" for node in paragraph.iter(qn("w:t")))
    ]
    assert rtl_paragraphs
    assert rtl_paragraphs[0].find(f"{qn('w:pPr')}/{qn('w:bidi')}") is not None


def test_a_family_with_no_data_renders_in_page_pdf_and_word(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    person = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=person)
    sign_in_as(client, db, person)
    base = f"/families/{family.id}/summary"
    page = client.get(base)
    pdf = pdf_text(client.get(base + ".pdf").content)
    word = docx_text(client.get(base + ".docx").content)
    for text in (page.text, pdf, word):
        assert "No children are recorded yet" in text
        assert "No chronology entries are recorded yet." in text
        assert "No decisions have been recorded yet." in text


def test_the_disclosure_copy_leaves_out_third_party_information(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    sign_in_as(client, db, rich.colleague)
    full_page, full_pdf, _, _ = fetch_all(client, rich)
    assert "Neighbour reported shouting" in full_page
    assert "Neighbour reported shouting" in full_pdf
    page, pdf, word, _ = fetch_all(client, rich, "?disclosure=1")
    for text in (page, pdf, docx_text(word)):
        assert "Neighbour reported shouting" not in text
        assert THIRD_PARTY_LEFT_OUT in text
        assert "Summary for disclosure" in text
    assert "Police called to a fight" in page


def export_events(db: Session, family_id: object) -> list[AuditEvent]:
    return list(
        db.exec(
            select(AuditEvent)
            .where(
                col(AuditEvent.family_id) == family_id,
                col(AuditEvent.action) == AuditAction.EXPORT.value,
            )
            .order_by(col(AuditEvent.id))
        ).all()
    )


def test_every_export_is_audited(client: CheckingClient, db: Session, rich: Rich) -> None:
    sign_in_as(client, db, rich.colleague)
    client.get(f"/families/{rich.family.id}/summary.pdf?disclosure=1")
    client.get(f"/families/{rich.family.id}/summary.docx")
    client.get(f"/families/{rich.family.id}/summary.docx?appendix=1")
    sign_in_as(client, db, rich.supervisor)
    client.get(f"/families/{rich.family.id}/export.json")
    client.get(f"/families/{rich.family.id}/export.csv")
    events = export_events(db, rich.family.id)
    with_appendix = {"document": "summary with appendix", "format": "docx", "disclosure": False}
    assert [(event.user_id, event.details) for event in events] == [
        (rich.colleague.id, {"document": "summary", "format": "pdf", "disclosure": True}),
        (rich.colleague.id, {"document": "summary", "format": "docx", "disclosure": False}),
        (rich.colleague.id, with_appendix),
        (rich.supervisor.id, {"document": "whole record", "format": "json", "disclosure": False}),
        (rich.supervisor.id, {"document": "whole record", "format": "csv", "disclosure": False}),
    ]


def test_a_pdf_that_cannot_be_drawn_says_what_to_do_instead(
    client: CheckingClient, db: Session, rich: Rich, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_as(client, db, rich.colleague)
    base = f"/families/{rich.family.id}/summary"
    # No drawing finishes in no time: the drawing is stopped, as one past its limit would be.
    monkeypatch.setattr(drawing, "DRAWING_SECONDS", 0.0)
    response = client.get(base + ".pdf?disclosure=1")
    assert response.status_code == 503
    main = soup(response).find("main")
    assert main is not None
    assert "The PDF could not be made" in main.get_text()
    assert "download the Word file" in main.get_text()
    back = main.find("a", string="Go back to the page you were on")
    assert back is not None
    assert back["href"] == base
    api = client.get(f"/api/v1/families/{rich.family.id}/summary.pdf")
    assert api.status_code == 503
    assert api.json()["message"].startswith("The PDF could not be made.")
    assert export_events(db, rich.family.id) == []
    # The next PDF is drawn as usual.
    monkeypatch.setattr(drawing, "DRAWING_SECONDS", 180.0)
    assert client.get(base + ".pdf").headers["content-type"] == "application/pdf"
    assert len(export_events(db, rich.family.id)) == 1


def test_only_supervisors_export_the_whole_record(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    sign_in_as(client, db, rich.practitioner)
    assert client.get(f"/families/{rich.family.id}/export.json").status_code == 403
    page = client.get(f"/families/{rich.family.id}/summary")
    assert "export.json" not in page.text
    sign_in_as(client, db, rich.supervisor)
    page = client.get(f"/families/{rich.family.id}/summary")
    assert soup(page).find("a", href=f"/families/{rich.family.id}/export.json") is not None
    assert export_events(db, rich.family.id) == []


def test_the_whole_record_export_holds_everything(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    rich.younger.deleted_at = utcnow()
    rich.younger.deleted_reason = "Added to the wrong family"
    db.add(rich.younger)
    make_entry(db, rich.family, rich.practitioner, what='=cmd|" /C calc"!A0', third_party=True)
    sign_in_as(client, db, rich.supervisor)
    data = client.get(f"/families/{rich.family.id}/export.json").json()
    tables = data["tables"]
    assert data["about"]["family_id"] == str(rich.family.id)
    assert data["about"]["framework"]["content_hash"] == rich.family.content_hash
    assert tables["family"][0]["reference"] == "SUM-0001"
    assert {row["name"] for row in tables["child"]} == {"Ada Okafor", "Ben Okafor"}
    deleted = next(row for row in tables["child"] if row["name"] == "Ben Okafor")
    assert deleted["deleted_reason"] == "Added to the wrong family"
    assert len(tables["earlier_return"]) == 1
    assert len(tables["chronology_entry"]) == 4
    assert {row["theme_id"] for row in tables["chronology_entry_theme"]} == {
        "domestic-abuse-incident",
        "good-contact",
    }
    assert len(tables["gate_decision"]) == 1
    assert "audit_event" not in tables
    assert {person["name"] for person in data["staff"]} == {
        "Priya Practitioner",
        "Sam Supervisor",
    }

    zipped = client.get(f"/families/{rich.family.id}/export.csv").content
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    assert {"about.json", "staff.csv", "family.csv", "child.csv", "chronology_entry.csv"} <= set(
        archive.namelist()
    )
    entries = archive.read("chronology_entry.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(entries)))
    assert len(rows) == 4
    assert '\'=cmd|" /C calc"!A0' in {row["what_happened"] for row in rows}
    assert json.loads(archive.read("about.json"))["reference"] == "SUM-0001"


def test_other_teams_cannot_see_or_download_the_summary(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    outsider = make_user(db, roles=[Role.SUPERVISOR], team=make_team(db))
    sign_in_as(client, db, outsider)
    for suffix in ("summary", "summary.pdf", "summary.docx", "export.json", "export.csv"):
        response = client.get(f"/families/{rich.family.id}/{suffix}")
        assert response.status_code == 404, suffix
        assert "Okafor" not in response.text
    assert export_events(db, rich.family.id) == []


def test_docx_paragraph_styles_are_real_word_styles(
    client: CheckingClient, db: Session, rich: Rich
) -> None:
    sign_in_as(client, db, rich.colleague)
    _, _, word, _ = fetch_all(client, rich)
    styles = {style for style, _ in docx_paragraphs(word)}
    assert {"Heading 1", "Heading 2", "Heading 3", "List Bullet"} <= styles
