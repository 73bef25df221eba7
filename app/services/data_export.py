"""A family's whole record as data, for a subject access request: JSON, or CSV files in a zip.

The tables are found from the schema, not listed by hand: every table with a `family_id`
column, and every table that refers to one of those (a child's earlier returns, an entry's
themes). A table a later feature adds is exported without a change here. Soft-deleted rows are
included (they are still held), with their deletion columns. The audit trail is not: it is
about staff, and supervisors see a record's access log in the service.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy import select as select_rows
from sqlmodel import Session, SQLModel, col, select

from app.models.accounts import User
from app.models.family import Family
from app.summary.text import csv_cell

# Tables outside the family's record even though they name a family: see the module docstring.
NOT_EXPORTED = frozenset({"audit_event"})
FORMAT_VERSION = 1


@dataclass(frozen=True)
class FamilyRecord:
    family: Family
    tables: dict[str, list[dict[str, Any]]]
    staff: dict[str, str]  # id -> name of everyone the record names (authors, deciders)
    exported_at: datetime
    exported_by: str

    @property
    def about(self) -> dict[str, Any]:
        return {
            "format": "homeward-family-record",
            "format_version": FORMAT_VERSION,
            "purpose": "Subject access request: everything held in this family's record",
            "family_id": str(self.family.id),
            "reference": self.family.reference,
            "framework": {
                "id": self.family.framework_id,
                "version": self.family.framework_version,
                "content_hash": self.family.content_hash,
            },
            "exported_at": self.exported_at.isoformat(),
            "exported_by": self.exported_by,
            "notes": (
                "Ids in the content columns (legal_status, significance, factor_id and others) "
                "are defined by the framework content version named above. Deleted records are "
                "included with the time, person and reason of deletion."
            ),
        }


def family_tables() -> list[tuple[Table, list[Table]]]:
    """Each exported table with the chain of tables that leads from it to `family`."""
    tables = [table for table in SQLModel.metadata.sorted_tables if table.name not in NOT_EXPORTED]
    found: dict[str, list[Table]] = {"family": []}
    changed = True
    while changed:
        changed = False
        for table in tables:
            if table.name in found:
                continue
            if "family_id" in table.c:
                found[table.name] = []
                changed = True
                continue
            for key in table.foreign_keys:
                parent = key.column.table
                if parent.name in found and parent.name != "family":
                    found[table.name] = [parent, *found[parent.name]]
                    changed = True
                    break
    by_name = {table.name: table for table in tables}
    return [(by_name[name], chain) for name, chain in found.items()]


def belongs_to(table: Table, chain: list[Table], family_id: uuid.UUID) -> ColumnElement[bool]:
    """The rows of `table` that are part of the family's record (see family_tables)."""
    if table.name == "family":
        return table.c.id == family_id
    if not chain:
        return table.c.family_id == family_id
    parent = chain[0]
    key = next(key for key in table.foreign_keys if key.column.table is parent)
    return key.parent.in_(select_rows(key.column).where(belongs_to(parent, chain[1:], family_id)))


def _json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def family_record(
    session: Session, *, family: Family, exported_by: User, now: datetime
) -> FamilyRecord:
    """Every row the service holds about `family`, table by table."""
    tables: dict[str, list[dict[str, Any]]] = {}
    staff_ids: set[uuid.UUID] = set()
    for table, chain in family_tables():
        staff_columns = [
            column.name
            for column in table.c
            if any(key.column.table.name == "user_account" for key in column.foreign_keys)
        ]
        order = [table.c[name] for name in ("created_at", "occurred_on") if name in table.c]
        rows = session.execute(
            select_rows(table)
            .where(belongs_to(table, chain, family.id))
            .order_by(*order, *table.primary_key.columns)
        ).mappings()
        tables[table.name] = [
            {name: _json_value(value) for name, value in row.items()} for row in rows
        ]
        for row in tables[table.name]:
            staff_ids.update(uuid.UUID(row[name]) for name in staff_columns if row[name])
    people = session.exec(select(User).where(col(User.id).in_(staff_ids))).all()
    return FamilyRecord(
        family=family,
        tables=tables,
        staff={str(person.id): person.name for person in people},
        exported_at=now,
        exported_by=exported_by.name,
    )


def as_json(record: FamilyRecord) -> bytes:
    document = {
        "about": record.about,
        "staff": [{"id": key, "name": name} for key, name in sorted(record.staff.items())],
        "tables": record.tables,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    # A byte-order mark, so that spreadsheet programs read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return csv_cell(json.dumps(value, ensure_ascii=False))
    if isinstance(value, str):
        return csv_cell(value)
    return str(value)


def as_csv_zip(record: FamilyRecord) -> bytes:
    """A zip of one CSV file per table, the staff named in them, and what the export is."""
    buffer = io.BytesIO()
    columns = {table.name: [column.name for column in table.c] for table, _ in family_tables()}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("about.json", json.dumps(record.about, ensure_ascii=False, indent=2))
        archive.writestr(
            "staff.csv", _csv(["id", "name"], [list(item) for item in sorted(record.staff.items())])
        )
        for name, rows in record.tables.items():
            header = columns[name]
            table_rows = [[row[key] for key in header] for row in rows]
            archive.writestr(f"{name}.csv", _csv(header, table_rows))
    return buffer.getvalue()
