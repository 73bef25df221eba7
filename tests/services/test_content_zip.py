"""Versions as zips: the export unzips into framework_content/ and imports back with the same
fingerprint; a hostile zip is refused in one sentence and nothing is published."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from sqlmodel import Session, col, func, select

from app.content.loader import MAX_FILE_BYTES
from app.models.accounts import Role
from app.models.audit import AuditEvent
from app.models.content import ContentVersion
from app.services import content_studio
from app.services.audit import Actor
from app.services.content_store import build_registry
from app.services.content_zip import MAX_ENTRIES, read_zip
from app.services.errors import InvalidInput
from tests.content.broken_cases import TINY_DIR, tiny_texts
from tests.factories import make_user
from tests.support.content import publish_folder


def zipped(files: dict[str, bytes], *, prefix: str = "tiny/1.0.1/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(prefix + name, data)
    return buffer.getvalue()


def release(number: str = "1.0.1") -> dict[str, bytes]:
    texts = tiny_texts()
    texts["framework.yaml"] = (
        texts["framework.yaml"]
        .replace(b"version: 1.0.0\n", f"version: {number}\n".encode(), 1)
        .replace(
            b"changelog:\n",
            (
                f"changelog:\n  - version: {number}\n    date: 2026-12-05\n"
                "    changes: [Reworded.]\n"
            ).encode(),
            1,
        )
    )
    texts["levels.yaml"] = texts["levels.yaml"].replace(b"label: Low", b"label: Lowest", 1)
    return texts


def versions(db: Session) -> int:
    return db.exec(select(func.count()).select_from(ContentVersion)).one()


def test_an_exported_version_imports_elsewhere_with_the_same_fingerprint(db: Session) -> None:
    trainer = make_user(db, roles=[Role.TRAINER])
    row = publish_folder(db, TINY_DIR)
    name, data = content_studio.export_version(db, row)
    assert name == "tiny-1.0.0.zip"
    files = read_zip(data)
    assert files == tiny_texts()
    # The same bytes under a new number: published, and served.
    imported = content_studio.import_zip(
        db, actor=Actor(user=trainer), registry=build_registry(db), data=zipped(release())
    )
    assert (imported.framework_id, imported.number) == ("tiny", "1.0.1")
    registry = build_registry(db)
    assert registry.latest("tiny").level("low").label == "Lowest"
    assert imported.content_hash == registry.get("tiny", "1.0.1").content_hash
    (entry,) = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.user_id) == trainer.id, col(AuditEvent.action) == "import"
        )
    ).all()
    assert entry.details == {
        "framework": "tiny",
        "version": "1.0.1",
        "hash": imported.content_hash,
    }


def hostile(case: str) -> bytes:
    texts = release()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in texts.items():
            archive.writestr(f"tiny/1.0.1/{name}", data)
        if case == "traversal":
            archive.writestr("tiny/1.0.1/../../../etc/cron.d/x.yaml", b"a: 1\n")
        elif case == "absolute":
            archive.writestr("/etc/passwd.yaml", b"a: 1\n")
        elif case == "link":
            info = zipfile.ZipInfo("tiny/1.0.1/domains/link.yaml")
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, b"/etc/passwd")
        elif case == "oversized":
            archive.writestr("tiny/1.0.1/domains/big.yaml", b"#" * (MAX_FILE_BYTES + 10))
        elif case == "bomb":
            archive.writestr("tiny/1.0.1/domains/bomb.yaml", b"\n" * (MAX_FILE_BYTES - 10))
        elif case == "too-many":
            for number in range(MAX_ENTRIES):
                archive.writestr(f"tiny/1.0.1/notes/{number}.txt", b"x")
        elif case == "outside":
            archive.writestr("other/domains/x.yaml", b"a: 1\n")
    if case == "not-a-zip":
        return b"PK\x03\x04 not really a zip"
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("traversal", "outside its folder"),
        ("absolute", "a path that is not allowed"),
        ("link", "holds a link"),
        ("oversized", "larger than the 256 KB allowed"),
        ("bomb", "a zip bomb"),
        ("too-many", "more than 400 files and folders"),
        ("outside", "outside the version's folder"),
        ("not-a-zip", "not a zip file, or it is damaged"),
    ],
)
def test_a_hostile_zip_is_refused_and_nothing_published(
    db: Session, case: str, message: str
) -> None:
    trainer = make_user(db, roles=[Role.TRAINER])
    publish_folder(db, TINY_DIR)
    before = versions(db)

    with pytest.raises(InvalidInput) as refused:
        content_studio.import_zip(
            db, actor=Actor(user=trainer), registry=build_registry(db), data=hostile(case)
        )

    assert message in refused.value.errors["file"]
    assert "nothing was imported" in refused.value.errors["file"].lower()
    assert versions(db) == before


def test_a_zip_whose_content_has_problems_lists_them_and_publishes_nothing(db: Session) -> None:
    trainer = make_user(db, roles=[Role.TRAINER])
    publish_folder(db, TINY_DIR)
    texts = release()
    texts["levels.yaml"] = texts["levels.yaml"].replace(b"colour: yellow", b"color: yellow")

    with pytest.raises(content_studio.ContentRefused) as refused:
        content_studio.import_zip(
            db, actor=Actor(user=trainer), registry=build_registry(db), data=zipped(texts)
        )

    assert any('"color" is not a recognised key' in str(p) for p in refused.value.problems)
    assert (
        db.exec(select(ContentVersion).where(col(ContentVersion.number) == "1.0.1")).first() is None
    )


def test_a_zip_with_a_number_that_exists_or_does_not_fit_is_refused(db: Session) -> None:
    trainer = make_user(db, roles=[Role.TRAINER])
    publish_folder(db, TINY_DIR)

    with pytest.raises(InvalidInput) as taken:
        content_studio.import_zip(
            db,
            actor=Actor(user=trainer),
            registry=build_registry(db),
            data=zipped(tiny_texts(), prefix=""),
        )
    assert "Version 1.0.0 of this framework already exists" in taken.value.errors["file"]
