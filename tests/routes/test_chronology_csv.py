"""Importing a chronology from CSV and exporting it: the preview, every kind of bad file in the
issue, one transaction, only the uploader, and the round trip on SQLite and PostgreSQL."""

import csv
import io
import uuid
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models.accounts import Role, Team, User
from app.models.audit import AuditAction, AuditEvent
from app.models.chronology import ChronologyEntry, ChronologyEntryChild, ChronologyImport
from app.models.family import Child, Family
from app.services import chronology, chronology_csv
from app.services.audit import Actor
from tests.factories import (
    CONTENT,
    csrf_token,
    make_child,
    make_entry,
    make_family,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.support.client import CheckingClient, soup

HEADER = "Date,Source,What happened,Children,Themes,Significance,Third-party information\r\n"
GOOD = (
    HEADER
    + "27/03/2024,Police,Police called after shouting,Amy Harper,Domestic abuse incident,Red,no\r\n"
    + '"about 06/2019",health,"GP: missed two appointments, no follow-up",,'
    + "missed-health-or-education; neglect-of-care,amber,yes\r\n"
    + "2021,Schools and early years settings,Good attendance all year,amy harper,"
    + "THE CHILD IS DOING WELL,green,\r\n"
)


@pytest.fixture
def team(db: Session) -> Team:
    return make_team(db, "Riverside")


@pytest.fixture
def practitioner(client: CheckingClient, db: Session, team: Team) -> User:
    user = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Priya Shah")
    sign_in_as(client, db, user)
    return user


@pytest.fixture
def family(db: Session, team: Team, practitioner: User) -> Family:
    return make_family(
        db, team=team, allocated_to=practitioner, display_name="Harper family", identified=True
    )


@pytest.fixture
def child(db: Session, family: Family) -> Child:
    return make_child(db, family, name="Amy Harper")


def upload(client: CheckingClient, family: Family, data: bytes, name: str = "chronology.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/families/{family.id}/chronology/import",
        data={"csrf_token": csrf_token(client)},
        files={"file": (name, data, "text/csv")},
    )


def entries(db: Session, family: Family) -> int:
    return db.exec(
        select(func.count())
        .select_from(ChronologyEntry)
        .where(col(ChronologyEntry.family_id) == family.id)
    ).one()


def imports(db: Session, family: Family) -> int:
    return db.exec(
        select(func.count())
        .select_from(ChronologyImport)
        .where(col(ChronologyImport.family_id) == family.id)
    ).one()


def test_a_good_file_is_previewed_then_imported_in_one_go(
    client: CheckingClient, db: Session, family: Family, practitioner: User, child: Child
) -> None:
    response = upload(client, family, GOOD.encode())
    assert response.status_code == 303
    preview_url = response.headers["location"]
    page = soup(client.get(preview_url))
    assert entries(db, family) == 0
    rows = page.select(".hw-import-table tbody tr")
    assert len(rows) == 3
    first = rows[0].get_text(" ", strip=True)
    assert "27 March 2024" in first
    assert "Red, serious" in first
    assert "Amy Harper" in first
    second = rows[1].get_text(" ", strip=True)
    assert "About June 2019" in second
    assert "Health services" in second
    assert "Missed health or education appointments; Neglect of the child's care" in second
    assert "2021" in rows[2].get_text(" ", strip=True)
    assert all(row.select_one(".govuk-tag--green") for row in rows)
    done = post_form(client, preview_url, {"action": "import"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/families/{family.id}/chronology?imported=3"
    assert "3 entries imported" in client.get(done.headers["location"]).text
    saved = db.exec(
        select(ChronologyEntry)
        .where(col(ChronologyEntry.family_id) == family.id)
        .order_by(col(ChronologyEntry.occurred_on))
    ).all()
    assert [(e.occurred_on, e.date_precision) for e in saved] == [
        (date(2019, 6, 1), "approximate"),
        (date(2021, 1, 1), "year"),
        (date(2024, 3, 27), "day"),
    ]
    assert [e.third_party for e in saved] == [True, False, False]
    assert all(e.author_id == practitioner.id for e in saved)
    themes, children, _comments = chronology.entry_links(db, [e.id for e in saved])
    assert themes[saved[1].id] == ["child-progress"]
    assert children[saved[2].id] == [child.id]
    event = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_type) == "chronology_import",
            col(AuditEvent.details)["entries_imported"].as_integer() == 3,
        )
    ).one()
    assert event.family_id == family.id
    # Confirming twice saves nothing more.
    again = post_form(client, preview_url, {"action": "import"})
    assert "This file has been imported" in again.text
    assert entries(db, family) == 3


def test_bom_windows_line_endings_semicolons_and_windows_1252(
    client: CheckingClient, db: Session, family: Family, child: Child
) -> None:
    text = (
        "\ufeffDATE;source;WHAT HAPPENED;significance\r\n03/04/2024;Police;Caf\u00e9 row;Amber\r\n"
    )
    for data in (text.encode("utf-8"), text[1:].encode("cp1252")):
        response = upload(client, family, data)
        assert response.status_code == 303
        page = soup(client.get(response.headers["location"]))
        row = page.select_one(".hw-import-table tbody tr").get_text(" ", strip=True)
        assert "3 April 2024" in row
        assert "Café row" in row
        assert "Amber, concerning" in row


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty: choose the CSV file with your chronology in it."),
        (
            b"Name,Address\r\nA,B\r\n",
            "The first row must be the column headings (Date, Source, What happened, "
            "Significance and any others from the guide), but it is \u2018Name, Address\u2019.",
        ),
        (
            b"Date,Source,What happened\r\n01/01/2020,Police,x\r\n",
            "The file has no \u2018Significance\u2019 column: add it and try again (the guide "
            "lists the columns).",
        ),
        (
            b"Date,Source,What happened,Significance,Mood\r\n",
            "The column \u2018Mood\u2019 is not one we know: rename or remove it (the guide lists "
            "the columns).",
        ),
        (
            b"Date,Date,Source,What happened,Significance\r\n",
            "The column \u2018Date\u2019 appears twice in the first row: keep one.",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
            "The file is not a CSV text file (it contains binary data): save it from your "
            "spreadsheet as \u2018CSV UTF-8\u2019 and try again.",
        ),
        (
            b'Date,Source,What happened,Significance\r\n01/01/2020,Police,"unclosed,Red\r\n',
            "The file could not be read as CSV (unexpected end of data, near line 2): save it "
            "from your spreadsheet as \u2018CSV UTF-8\u2019 and try again.",
        ),
        (
            (
                "Date,Source,What happened,Significance\r\n"
                + "01/01/2020,Police,x,Red\r\n" * 50_000
            ).encode(),
            "The file has more than 5,000 rows: split it into smaller files and import each "
            "one. Nothing was saved.",
        ),
        (b"x" * (chronology_csv.MAX_BYTES + 100), chronology_csv.TOO_LARGE),
    ],
    ids=[
        "empty",
        "wrong-header",
        "missing-column",
        "unknown-column",
        "duplicate",
        "binary",
        "broken-quotes",
        "50000-rows",
        "over-2MB",
    ],
)
def test_files_that_cannot_be_a_chronology_are_refused_in_one_sentence(
    client: CheckingClient, db: Session, family: Family, data: bytes, message: str
) -> None:
    response = upload(client, family, data)
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("#file-error").get_text(strip=True) == f"Error:{message}"
    assert page.select_one(".govuk-error-summary a[href='#file']").get_text(strip=True) == message
    assert imports(db, family) == 0
    assert entries(db, family) == 0


def test_a_far_too_large_upload_is_refused_before_it_is_read(
    client: CheckingClient, family: Family
) -> None:
    response = upload(client, family, b"x" * (5 * 1024 * 1024))
    assert response.status_code == 413
    assert chronology_csv.TOO_LARGE in response.text


def test_no_file_chosen(client: CheckingClient, family: Family) -> None:
    response = post_form(client, f"/families/{family.id}/chronology/import")
    assert soup(response).select_one("#file-error").get_text(strip=True) == (
        "Error:Choose a CSV file to import"
    )


def test_each_bad_row_says_what_is_wrong_and_nothing_is_saved(
    client: CheckingClient, db: Session, family: Family, child: Child
) -> None:
    text = (
        "Date,Date precision,Source,What happened,Children,Themes,Significance,"
        "Third-party information\r\n"
        "31/02/2024,,Police,Impossible date,,,Red,\r\n"
        "04/23/2024,,Police,American date,,,Red,\r\n"
        "next Tuesday,,Police,Words,,,Red,\r\n"
        "01/01/2099,,Police,Future,,,Red,\r\n"
        "01/01/2020,weekly,Tabloid,Unknown source,Aimy,Sadness;neglect-of-care,Purple,maybe\r\n"
        "01/01/2020,,Police,,,,,\r\n"
        '01/01/2020,,Police,=HYPERLINK("http://evil.test";"click"),,,Red,\r\n'
        "01/01/2020,,Police,Too many cells,,,Red,no,surplus\r\n"
    )
    response = upload(client, family, text.encode())
    page = soup(client.get(response.headers["location"]))
    problems = {
        int(row.th.get_text(strip=True)): [li.get_text(strip=True) for li in row.select("td li")]
        for row in page.select(".hw-import-table tbody tr")
    }
    assert problems[2] == ["Date: \u201831/02/2024\u2019 is not a real date"]
    assert problems[3] == [
        "Date: \u201804/23/2024\u2019 has no month 23: write dates day first, like 03/04/2024 "
        "for 3 April 2024"
    ]
    assert problems[4][0].startswith("Date: \u2018next Tuesday\u2019 is not a date")
    assert problems[5] == [
        "Date: \u201801/01/2099\u2019 is in the future: the chronology records what has happened"
    ]
    assert problems[6] == [
        "Date precision: \u2018weekly\u2019 is not one of day, month, year or approximate",
        "Source: \u2018Tabloid\u2019 is not a source we know (see the guide)",
        "Significance: \u2018Purple\u2019 is not one of Red, serious, Amber, concerning, Green, "
        "positive or routine",
        "Themes: \u2018Sadness\u2019 is not a theme we know (see the guide)",
        "Children: \u2018Aimy\u2019 is not a child in this family: did you mean \u2018Amy "
        "Harper\u2019? (Write a child outside the family as, for example, \u2018Tom "
        "(half-brother)\u2019.)",
        "Third-party information: \u2018maybe\u2019 is not yes or no",
    ]
    # The error summary lists every problem of every row, not only each row's first.
    summary = [a.get_text(strip=True) for a in page.select(".govuk-error-summary__list a")]
    assert [item for item in summary if item.startswith("Row 6:")] == [
        f"Row 6: {problem}" for problem in problems[6]
    ]
    assert problems[7] == [
        "What happened: Enter what happened",
        "Significance: Enter how significant the event is",
    ]
    # A formula is not an error: it is kept as text and the preview says so.
    assert problems[8] == []
    row8 = page.select_one("#row-8").get_text(" ", strip=True)
    assert (
        "What happened starts with \u2018=\u2019: it is saved as text, never run as a formula"
        in row8
    )
    assert problems[9] == [
        "This row has 9 cells but there are 8 column headings: check for a stray comma or an "
        "unquoted cell"
    ]
    assert "7 of 8 rows have problems" in page.get_text()
    assert page.find("button", string="Import 8 entries") is None
    refused = post_form(client, response.headers["location"], {"action": "import"})
    assert refused.status_code == 200
    assert entries(db, family) == 0
    # Fixed and uploaded again, it imports.
    fixed = (
        "Date,Source,What happened,Significance\r\n"
        "28/02/2024,Police,Possible date,Red\r\n"
        '=HYPERLINK("x"),Police,x,Red\r\n'
    )
    second = upload(client, family, fixed.encode())
    page = soup(client.get(second.headers["location"]))
    assert 'Date: \u2018=HYPERLINK("x")\u2019 is not a date' in page.get_text()


def test_only_the_uploader_sees_the_preview(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    response = upload(client, family, GOOD.encode())
    url = response.headers["location"]
    successor = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family.allocated_practitioner_id = successor.id
    db.add(family)
    db.flush()
    sign_in_as(client, db, successor)
    assert client.get(url).status_code == 404
    assert post_form(client, url, {"action": "import"}).status_code == 404
    assert entries(db, family) == 0


def test_discarding_keeps_nothing(
    client: CheckingClient, db: Session, family: Family, child: Child
) -> None:
    url = upload(client, family, GOOD.encode()).headers["location"]
    done = post_form(client, url, {"action": "discard"})
    assert done.status_code == 303
    record = db.exec(
        select(ChronologyImport).where(col(ChronologyImport.family_id) == family.id)
    ).one()
    assert record.status == "discarded"
    assert record.csv_text == ""
    assert "This import was discarded" in client.get(url).text
    assert entries(db, family) == 0


def test_a_failure_part_way_saves_nothing(
    client: CheckingClient,
    db: Session,
    family: Family,
    child: Child,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = upload(client, family, GOOD.encode()).headers["location"]
    real = chronology.insert_entries

    def insert_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        real(*args, **kwargs)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(chronology, "insert_entries", insert_then_fail)
    with pytest.raises(RuntimeError):
        post_form(client, url, {"action": "import"})
    assert entries(db, family) == 0
    record = db.exec(
        select(ChronologyImport).where(col(ChronologyImport.family_id) == family.id)
    ).one()
    db.refresh(record)
    assert record.status == "pending"


def test_export_neutralises_formulas_and_audits(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    for what in ['=HYPERLINK("http://evil.test")', "+1", "-2", "@SUM(A1)", "\tTabbed", "Plain"]:
        make_entry(db, family, author=practitioner, what=what)
    response = client.get(f"/families/{family.id}/chronology/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == chronology_csv.HEADERS
    cells = sorted(row[4] for row in rows[1:])
    assert cells == sorted(
        ['\'=HYPERLINK("http://evil.test")', "'+1", "'-2", "'@SUM(A1)", "'\tTabbed", "Plain"]
    )
    assert db.exec(
        select(AuditEvent).where(
            col(AuditEvent.family_id) == family.id,
            col(AuditEvent.action) == AuditAction.EXPORT.value,
        )
    ).one()


def test_export_then_import_is_a_round_trip(db: Session, team: Team) -> None:
    """On SQLite and PostgreSQL: every field survives export and import unchanged."""
    author = make_user(db, team=team)
    source_family = make_family(db, team=team, allocated_to=author, identified=True)
    target_family = make_family(db, team=team, allocated_to=author, identified=True)
    for target in (source_family, target_family):
        make_child(db, target, name="Amy Harper")
        make_child(db, target, name="Zoë O'Neill")
        # Names a spreadsheet would run, in a cell that joins several names.
        make_child(db, target, name='=HYPERLINK("x")')
        make_child(db, target, name="\uff0bFull-width plus")
        make_child(db, target, name="'Apostrophe")
    names = chronology.child_names(db, source_family)
    content = CONTENT.latest("reunification")
    actor = Actor(user=author)
    samples = [
        (date(2024, 3, 27), "day", "police", "red", ["domestic-abuse-incident", "child-distress"]),
        (date(2021, 6, 9), "month", "health", "amber", []),
        (date(2019, 1, 1), "year", "court-bundle", "green", ["good-contact"]),
        (date(2018, 4, 2), "approximate", "family", "amber", ["new-adult"]),
    ]
    for number, (day, precision, source, grade, themes) in enumerate(samples):
        chronology.add_entry(
            db,
            actor=actor,
            family=source_family,
            content=content,
            details=chronology.EntryDetails(
                occurred_on=day,
                date_precision=precision,
                source_id=source,
                significance=grade,
                source_detail=f'Ref, "{number}"',
                what_happened=(
                    f'=HYPERLINK("x") line one\nline two, with commas; and semicolons {number}'
                ),
                who_was_involved="-Mother; @partner" if number == 0 else "\uff20handle",
                impact_on_child="Frightened \u2013 cried all night \U0001f622",
                response="+Referral",
                outcome=None,
                parents_comments="Mother says: \u201cit wasn't like that\u201d",
                theme_ids=tuple(themes),
                child_ids=tuple(names) if number == 3 else tuple(list(names)[: number % 3]),
                third_party=number % 2 == 0,
            ),
        )
    exported = chronology_csv.export_csv(db, family=source_family, content=content)
    record = chronology_csv.start_import(
        db,
        actor=actor,
        family=target_family,
        content=content,
        filename="round-trip.csv",
        data=exported.encode("utf-8"),
    )
    preview = chronology_csv.preview(
        record.csv_text, content=content, children=chronology.child_names(db, target_family)
    )
    assert [row.errors for row in preview.rows] == [[]] * 4
    assert (
        chronology_csv.confirm_import(
            db, actor=actor, family=target_family, content=content, record=record
        )
        == 4
    )
    again = chronology_csv.export_csv(db, family=target_family, content=content)
    assert again == exported

    def facts(family: Family) -> list[tuple[object, ...]]:
        rows = db.exec(
            select(ChronologyEntry)
            .where(col(ChronologyEntry.family_id) == family.id)
            .order_by(col(ChronologyEntry.occurred_on))
        ).all()
        themes, children, _comments = chronology.entry_links(db, [row.id for row in rows])
        child_names = chronology.child_names(db, family)
        return [
            (
                row.occurred_on,
                row.date_precision,
                row.source_id,
                row.source_detail,
                row.what_happened,
                row.who_was_involved,
                row.impact_on_child,
                row.response,
                row.outcome,
                row.significance,
                row.parents_comments,
                row.third_party,
                sorted(themes[row.id]),
                sorted(child_names[c] for c in children[row.id]),
            )
            for row in rows
        ]

    assert facts(target_family) == facts(source_family)


def test_rows_are_numbered_as_in_a_spreadsheet(
    client: CheckingClient, db: Session, family: Family
) -> None:
    text = (
        "Date,Source,What happened,Significance\r\n"
        '01/01/2020,Police,"Two lines:\r\nthe second",Red\r\n'
        ",,,\r\n"
        "01/01/2020,Police,,Red\r\n"
    )
    url = upload(client, family, text.encode()).headers["location"]
    page = soup(client.get(url))
    assert [row["id"] for row in page.select(".hw-import-table tbody tr")] == ["row-2", "row-4"]
    assert "What happened: Enter what happened" in page.select_one("#row-4").get_text()


def test_a_cell_joining_names_is_neutralised_per_name(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    names = ["Amy Harper", '=HYPERLINK("http://evil.test")', "\uff1dSUM(1)", "-1"]
    children = [make_child(db, family, name=name) for name in names]
    entry = make_entry(db, family, author=practitioner, what="\uff0bcmd")
    db.add_all(ChronologyEntryChild(entry_id=entry.id, child_id=child.id) for child in children)
    db.flush()
    response = client.get(f"/families/{family.id}/chronology/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["What happened"] == "'\uff0bcmd"
    parts = row["Children"].split("; ")
    assert sorted(parts) == sorted(
        ["Amy Harper", '\'=HYPERLINK("http://evil.test")', "'\uff1dSUM(1)", "'-1"]
    )


def _preview(text: str, children: dict[uuid.UUID, str] | None = None) -> chronology_csv.Preview:
    return chronology_csv.preview(
        text, content=CONTENT.latest("reunification"), children=children or {}
    )


def test_sources_and_themes_as_people_write_them() -> None:
    """Any case, punctuation, accents, "&", plurals and the usual other names; a name close to
    one we know gets a "did you mean"; the rest say to see the guide."""
    rows = [
        ("GP", "DV; missing", "health", ["domestic-abuse-incident", "child-missing"]),
        ("CAMHS", "Neglect", "mental-health-service", ["neglect-of-care"]),
        ("drug & alcohol service", "", "substance-misuse-service", []),
        ("POLICE.", "Domestic-Abuse incidents", "police", ["domestic-abuse-incident"]),
        ("school", "S47", "education", ["child-protection-action"]),
        ("Youth Offending Team", "", "probation", []),
        ("Neighbour's blog", "", None, []),
    ]
    text = "Date,Source,What happened,Themes,Significance\r\n" + "".join(
        f'01/01/2020,"{source}",x,"{themes}",Red\r\n' for source, themes, _, _ in rows
    )
    preview = _preview(text)
    for row, (source, _, source_id, theme_ids) in zip(preview.rows, rows, strict=True):
        if source_id is None:
            assert row.errors == [
                f"Source: \u2018{source}\u2019 is not a source we know (see the guide)"
            ]
            continue
        assert row.errors == [], source
        assert row.checked is not None
        assert row.checked.values["source_id"] == source_id
        assert list(row.checked.theme_ids) == theme_ids
    misspelt = _preview(
        "Date,Source,What happened,Themes,Significance\r\n"
        "01/01/2020,Polise,x,Domestic abuse incidnet;Sadness,Red\r\n"
    ).rows[0]
    assert misspelt.errors == [
        "Source: \u2018Polise\u2019 is not a source we know: did you mean \u2018Police\u2019?",
        "Themes: \u2018Domestic abuse incidnet\u2019 is not a theme we know: did you mean "
        "\u2018Domestic abuse incident\u2019?",
        "Themes: \u2018Sadness\u2019 is not a theme we know (see the guide)",
    ]


def test_other_names_match_only_items_the_content_has_and_never_two() -> None:
    """Each other name finds one item of the content, never another item's name."""
    from app.content.synonyms import SOURCE_SYNONYMS, THEME_SYNONYMS

    content = CONTENT.latest("reunification")
    for items, synonyms in (
        (chronology.sources(content), SOURCE_SYNONYMS),
        (chronology.themes(content), THEME_SYNONYMS),
    ):
        assert set(synonyms) <= set(items)
        owner: dict[str, str] = {}
        for item_id, label in items.items():
            for name in (item_id, label, *synonyms.get(item_id, ())):
                key = chronology_csv._loose(name)
                assert owner.setdefault(key, item_id) == item_id, (name, owner[key])


def test_children_by_first_name_when_unique_and_others_named() -> None:
    amy, ben, ben_too, zoe = (uuid.uuid4() for _ in range(4))
    children = {amy: "Amy Harper", ben: "Ben Harper", ben_too: "Ben Okoro", zoe: "Zoë O'Neill"}
    text = (
        "Date,Source,What happened,Who was involved,Children,Significance\r\n"
        "01/01/2020,Police,x,,amy; ZOE ONEILL,Red\r\n"
        "01/01/2020,Police,x,,Ben,Red\r\n"
        '01/01/2020,Police,x,Mother,"Amy;Tyler (half-brother, lives with his father)",Red\r\n'
        "01/01/2020,Police,x,,Aimy,Red\r\n"
        "01/01/2020,Police,x,,Ammy (cousin),Red\r\n"
    )
    rows = _preview(text, children).rows
    assert rows[0].errors == []
    assert rows[0].checked is not None
    assert set(rows[0].checked.child_ids) == {amy, zoe}
    assert rows[0].shown["Children"] == "Amy Harper, Zoë O'Neill"
    assert rows[1].errors == [
        "Children: more than one child in this family is called \u2018Ben\u2019: write the full "
        "name (\u2018Ben Harper\u2019 or \u2018Ben Okoro\u2019)"
    ]
    assert rows[2].errors == []
    assert rows[2].checked is not None
    assert list(rows[2].checked.child_ids) == [amy]
    assert rows[2].checked.values["who_was_involved"] == (
        "Mother; Tyler (half-brother, lives with his father)"
    )
    assert rows[2].notes == [
        "Children: \u2018Tyler (half-brother, lives with his father)\u2019 is not a child in "
        "this family's record, so is kept under \u2018Who was involved\u2019"
    ]
    assert (
        rows[3]
        .errors[0]
        .startswith(
            "Children: \u2018Aimy\u2019 is not a child in this family: did you mean \u2018Amy "
        )
    )
    # Said to be someone else, a name close to a child's is kept as named.
    assert rows[4].errors == []
    assert rows[4].checked is not None
    assert rows[4].checked.values["who_was_involved"] == ("Ammy (cousin)")


def test_about_a_year_stays_a_year(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    text = (
        "Date,Date precision,Source,What happened,Significance\r\n"
        "about 2022,,Police,About a year,Red\r\n"
        "2019,approximate,Police,Said to be approximate,Red\r\n"
        "c. March 2020,,Police,About a month,Red\r\n"
    )
    url = upload(client, family, text.encode()).headers["location"]
    shown = [
        row.select_one("dd").get_text(strip=True)
        for row in soup(client.get(url)).select(".hw-import-table tbody tr")
    ]
    assert shown == ["About 2022", "About 2019", "About March 2020"]
    assert post_form(client, url, {"action": "import"}).status_code == 303
    saved = db.exec(
        select(ChronologyEntry)
        .where(col(ChronologyEntry.family_id) == family.id)
        .order_by(col(ChronologyEntry.occurred_on))
    ).all()
    assert [(e.occurred_on, e.date_precision) for e in saved] == [
        (date(2019, 1, 1), "approximate_year"),
        (date(2020, 3, 1), "approximate"),
        (date(2022, 1, 1), "approximate_year"),
    ]
    exported = client.get(f"/families/{family.id}/chronology/export.csv").content
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert [row[:2] for row in rows[1:]] == [
        ["about 2019", "approximate_year"],
        ["about 03/2020", "approximate"],
        ["about 2022", "approximate_year"],
    ]
    page = client.get(f"/families/{family.id}/chronology/{saved[0].id}")
    assert "About 2019 (approximate (around the year given))" in page.text


def test_a_corrected_file_is_uploaded_from_the_preview(
    client: CheckingClient, db: Session, family: Family, child: Child
) -> None:
    bad = "Date,Source,What happened,Significance\r\n01/01/2020,Polise,x,Red\r\n"
    first = upload(client, family, bad.encode()).headers["location"]
    page = soup(client.get(first))
    form = page.select_one("form#upload-again")
    assert form["action"] == f"{first}/replace"
    assert form["enctype"] == "multipart/form-data"
    # A refused replacement: the error summary and the first file's preview, both kept.
    refused = client.post(
        f"{first}/replace",
        data={"csrf_token": csrf_token(client)},
        files={"file": ("new.csv", b"Name,Address\r\nA,B\r\n", "text/csv")},
    )
    assert refused.status_code == 200
    page = soup(refused)
    assert (
        page.select_one(".govuk-error-summary a[href='#file']")
        .get_text(strip=True)
        .startswith("The first row must be the column headings")
    )
    assert page.title is not None
    assert page.title.get_text().startswith("Error: ")
    assert "Polise" in page.select_one("#row-2").get_text()
    replaced = client.post(
        f"{first}/replace",
        data={"csrf_token": csrf_token(client)},
        files={"file": ("fixed.csv", GOOD.encode(), "text/csv")},
    )
    assert replaced.status_code == 303
    second = replaced.headers["location"]
    assert second != first
    assert "This import was discarded" in client.get(first).text
    assert post_form(client, second, {"action": "import"}).status_code == 303
    assert entries(db, family) == 3


def test_markup_right_to_left_text_emoji_and_formulas_are_kept_as_text(
    client: CheckingClient, db: Session, family: Family
) -> None:
    make_child(db, family, name="\u0644\u064a\u0644\u0649 \u062d\u0633\u0646")  # Arabic
    hostile = [
        "<script>alert(1)</script><b>bold</b>",
        "\u202eevil\u202c reversed; \u05e9\u05dc\u05d5\u05dd",
        "Upset \U0001f622\U0001f468\u200d\U0001f469\u200d\U0001f467",
        '=HYPERLINK("http://evil.test";"x")',
    ]
    lines = [
        f'01/01/2020,Police,"{cell.replace(chr(34), chr(34) * 2)}",\u0644\u064a\u0644\u0649,Red'
        for cell in hostile
    ]
    text = "Date,Source,What happened,Children,Significance\r\n" + "\r\n".join(lines) + "\r\n"
    url = upload(client, family, text.encode()).headers["location"]
    response = client.get(url)
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    page = soup(response)
    shown = [row.select("dd")[2] for row in page.select(".hw-import-table tbody tr")]
    assert [dd.get_text() for dd in shown] == hostile
    assert all(dd["dir"] == "auto" for dd in shown)
    assert post_form(client, url, {"action": "import"}).status_code == 303
    saved = db.exec(
        select(ChronologyEntry.what_happened).where(col(ChronologyEntry.family_id) == family.id)
    ).all()
    assert sorted(saved) == sorted(hostile)
