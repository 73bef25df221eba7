"""A content version as a zip of its YAML files, and reading such a zip back without trusting it.

The export unzips into `framework_content/` as it is (`<framework>/<version>/framework.yaml`),
and `python -m app content validate` accepts it. An uploaded zip may be hostile: paths that
climb out of its folder, links, encrypted or enormous entries, a zip bomb. Each is refused in
one sentence before anything is read into the database.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Mapping
from pathlib import PurePosixPath

from app.content.errors import printable
from app.content.loader import MAX_FILE_BYTES, MAX_FILES, MAX_VERSION_BYTES

# An upload bigger than this is refused by the request limits before it is read.
MAX_ZIP_BYTES = 2 * 1024 * 1024
# Directories and ignored files (a README, hidden files) count too.
MAX_ENTRIES = 2 * MAX_FILES
# Real YAML compresses about tenfold; far more than this is a zip bomb.
MAX_RATIO = 100
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


class ZipProblem(Exception):
    """Why an uploaded zip is refused, in one sentence; nothing was imported."""


def export_zip(framework_id: str, number: str, texts: Mapping[str, str]) -> bytes:
    """The files under `<framework>/<number>/`, the same bytes (and hash) as in the database."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(texts):
            info = zipfile.ZipInfo(f"{framework_id}/{number}/{name}", date_time=_FIXED_TIME)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, texts[name].encode("utf-8"))
    return buffer.getvalue()


def _shown(name: str) -> str:
    return printable(name if len(name) <= 80 else name[:77] + "...")


def _check_name(name: str) -> PurePosixPath:
    if "\\" in name or "\x00" in name or name.startswith("/") or ":" in name.split("/")[0]:
        raise ZipProblem(
            f"The zip holds a file with a path that is not allowed ({_shown(name)}); nothing "
            "was imported."
        )
    path = PurePosixPath(name)
    if any(part in ("..", ".") for part in path.parts) or any(
        not part.isprintable() for part in path.parts
    ):
        raise ZipProblem(
            f"The zip holds a file outside its folder ({_shown(name)}); nothing was imported."
        )
    return path


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _wanted(path: PurePosixPath) -> bool:
    """Files the folder reader would read: YAML, not hidden (macOS adds __MACOSX/ and ._)."""
    if any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
        return False
    return path.suffix in (".yaml", ".yml")


def read_zip(data: bytes) -> dict[str, bytes]:
    """The YAML files of an uploaded version zip, named as in a version folder."""
    if len(data) > MAX_ZIP_BYTES:
        raise ZipProblem(
            f"The zip is larger than the {MAX_ZIP_BYTES // (1024 * 1024)} MB allowed; nothing "
            "was imported."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ZipProblem(
            "The file is not a zip file, or it is damaged; export the version again and upload "
            "the zip as it was saved. Nothing was imported."
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ZipProblem(
                f"The zip holds more than {MAX_ENTRIES} files and folders; a version has at "
                f"most {MAX_FILES} files. Nothing was imported."
            )
        wanted: dict[PurePosixPath, zipfile.ZipInfo] = {}
        declared = 0
        for info in infos:
            path = _check_name(info.filename)
            if _is_link(info):
                raise ZipProblem(
                    f"The zip holds a link ({_shown(info.filename)}); a version must be made of "
                    "real files. Nothing was imported."
                )
            if info.is_dir() or not _wanted(path):
                continue
            if info.flag_bits & 0x1:
                raise ZipProblem(
                    f"The file {_shown(info.filename)} in the zip is encrypted; upload a zip "
                    "without a password. Nothing was imported."
                )
            if path in wanted:
                raise ZipProblem(
                    f"The zip holds {_shown(info.filename)} twice; nothing was imported."
                )
            if info.file_size > MAX_FILE_BYTES:
                raise ZipProblem(
                    f"The file {_shown(info.filename)} is larger than the "
                    f"{MAX_FILE_BYTES // 1024} KB allowed; nothing was imported."
                )
            if info.file_size > MAX_RATIO * max(info.compress_size, 1) + 1024:
                raise ZipProblem(
                    f"The file {_shown(info.filename)} expands far more than a text file would "
                    "(a zip bomb); nothing was imported."
                )
            declared += info.file_size
            wanted[path] = info
        if len(wanted) > MAX_FILES:
            raise ZipProblem(
                f"The zip holds more than {MAX_FILES} YAML files; nothing was imported."
            )
        if declared > MAX_VERSION_BYTES:
            raise ZipProblem(
                f"The files in the zip add up to more than {MAX_VERSION_BYTES // (1024 * 1024)} "
                "MB; nothing was imported."
            )
        root = _root(list(wanted))
        files: dict[str, bytes] = {}
        for path, info in wanted.items():
            if root != PurePosixPath(".") and root not in path.parents:
                raise ZipProblem(
                    f"The zip holds {_shown(info.filename)} outside the version's folder "
                    f"({_shown(str(root))}); nothing was imported."
                )
            name = path.relative_to(root).as_posix()
            try:
                with archive.open(info) as handle:
                    content = handle.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
                raise ZipProblem(
                    f"The file {_shown(info.filename)} in the zip cannot be read (it is damaged "
                    "or compressed in a way Homeward does not read); nothing was imported."
                ) from None
            if len(content) > MAX_FILE_BYTES:
                raise ZipProblem(
                    f"The file {_shown(info.filename)} is larger than the "
                    f"{MAX_FILE_BYTES // 1024} KB allowed; nothing was imported."
                )
            files[name] = content
        return files


def _root(paths: list[PurePosixPath]) -> PurePosixPath:
    """The version's folder inside the zip: where framework.yaml is (the shallowest one)."""
    candidates = sorted(
        (path.parent for path in paths if path.name == "framework.yaml"),
        key=lambda parent: len(parent.parts),
    )
    if not candidates:
        raise ZipProblem(
            "The zip has no framework.yaml, so it is not a framework version; export a version "
            "from Homeward, or zip a version folder. Nothing was imported."
        )
    return candidates[0]
