"""`python -m app content validate` and the content part of `python -m app check`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from app.cli import main
from app.content.loader import find_version_dirs
from app.db import make_engine
from app.services.content_store import import_bundled
from tests.content.broken_cases import CASES, materialise, tiny_texts
from tests.content.support import BUNDLED_DIR, V1_DIR
from tests.content.test_validation_cases import CASES as VALIDATION
from tests.content.test_validation_cases import case_text


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A content folder with a good tiny version and a broken later one."""
    materialise(tiny_texts(), tmp_path / "content" / "tiny" / "1.0.0")
    broken = next(case for case in CASES if case.name == "duplicate-factor-id")
    materialise(broken.texts(), tmp_path / "content" / "tiny" / "1.0.1")
    return tmp_path / "content"


def test_validate_passes_on_the_bundled_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "validate"]) == 0

    out = capsys.readouterr().out
    assert "OK    reunification/1.0.0  sha256 " in out
    count = len(find_version_dirs(BUNDLED_DIR))
    assert count >= 2  # the return-home framework and the short-stay one
    assert f"{count} version(s) checked: {count} valid, 0 refused." in out


def test_validate_accepts_one_version_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "validate", str(V1_DIR)]) == 0
    assert "OK    reunification/1.0.0" in capsys.readouterr().out


def test_validate_lists_every_error_and_fails(
    content_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["content", "validate", str(content_dir)]) == 1

    captured = capsys.readouterr()
    assert "OK    tiny/1.0.0" in captured.out
    assert "FAIL  tiny/1.0.1  (2 errors)" in captured.out
    assert captured.err.splitlines() == [
        "tiny/1.0.1/domains/alpha.yaml, line 10, column 9, at risk_factors[1].id: the id "
        '"al-r1" is already used at line 6; give each factor its own id.',
        'tiny/1.0.1/framework.yaml, line 2, column 10, at version: the version is "1.0.0" '
        'but its folder is named "1.0.1"; make them match.',
    ]


def test_validate_refuses_a_path_that_is_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["content", "validate", str(tmp_path / "missing")]) == 1
    assert "is not a folder" in capsys.readouterr().err

    assert main(["content", "validate", str(tmp_path)]) == 1
    assert "No content versions were found" in capsys.readouterr().err


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWARD_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )


def test_validate_from_the_command_line_exits_non_zero_on_errors(content_dir: Path) -> None:
    result = run_cli("content", "validate", str(content_dir))

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert 'the id "al-r1" is already used at line 6' in result.stderr


def test_check_reports_refused_versions_but_passes_while_one_is_valid(
    content_dir: Path, tmp_path: Path
) -> None:
    env = {"HOMEWARD_DATA_DIR": str(tmp_path / "data"), "HOMEWARD_CONTENT_DIR": str(content_dir)}
    assert run_cli("migrate", **env).returncode == 0

    result = run_cli("check", **env)

    assert result.returncode == 0, result.stderr
    assert (
        "OK: framework content tiny 1.0.0 (imported when the app starts) is valid." in result.stdout
    )
    assert result.stderr.splitlines() == [
        "Content framework_content/tiny/1.0.1 is refused (2 errors); run `python -m app content "
        "validate` to see them, or open it on the framework content pages."
    ]


def test_check_reports_a_stored_version_whose_files_changed(
    content_dir: Path, tmp_path: Path
) -> None:
    shutil.rmtree(content_dir / "tiny" / "1.0.1")
    env = {"HOMEWARD_DATA_DIR": str(tmp_path / "data"), "HOMEWARD_CONTENT_DIR": str(content_dir)}
    assert run_cli("migrate", **env).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'homeward.sqlite3'}")
    import_bundled(engine, content_dir)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE content_file SET text = text || '# changed' WHERE name = 'levels.yaml'")
        )
    engine.dispose()

    result = run_cli("check", **env)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("Content tiny/1.0.0 is refused (1 error)") for line in lines)
    assert "No valid framework content" in result.stderr.splitlines()[-1]


def test_check_fails_when_no_content_version_is_valid(tmp_path: Path) -> None:
    broken = next(case for case in CASES if case.name == "yaml-syntax")
    materialise(broken.texts(), tmp_path / "content" / "tiny" / "1.0.0")
    env = {
        "HOMEWARD_DATA_DIR": str(tmp_path / "data"),
        "HOMEWARD_CONTENT_DIR": str(tmp_path / "content"),
    }
    assert run_cli("migrate", **env).returncode == 0

    result = run_cli("check", **env)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("No valid framework content was found in")


def test_check_cases_runs_every_family_and_prints_the_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    count = len(VALIDATION.cases)

    assert main(["content", "check-cases"]) == 0

    out = capsys.readouterr().out
    assert out.count("\nPASS  ") == count
    assert (
        "\nPASS  Osei family (osei)\n      level: suggested Very high; expected Very high\n" in out
    )
    assert f"{count} families: {count} met their expectations, 0 did not." in out
    assert f"Suggested level inside the expected range: {count} of {count}." in out
    assert "Cautions expected " in out


def test_check_cases_fails_when_a_family_misses_its_expectations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "cases.yaml"
    wrong.write_text(case_text(lowest="low", highest="medium", caution="older-child"))

    assert main(["content", "check-cases", str(wrong)]) == 1

    out = capsys.readouterr().out
    assert "FAIL  Quinn family (quinn)" in out
    assert "level: suggested Very high; expected Low to Medium  <- outside the range" in out
    assert "not raised: The child is over 10 (older-child)" in out
    assert (
        "raised but not expected: Parental problems unresolved or hidden "
        "(problems-unresolved-or-hidden); Another child seriously harmed or removed "
        "(another-child-harmed-or-removed)\n"
    ) in out
    assert "1 family: 0 met their expectations, 1 did not." in out
    assert "Cautions expected 1, raised 0 (0%); raised but not expected 2." in out


def test_check_cases_refuses_a_broken_case_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "cases.yaml"
    broken.write_text(case_text(source="made-up-2020"))

    assert main(["content", "check-cases", str(broken)]) == 1

    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{broken} is refused (1 error):"
    assert err[1].startswith(
        f'{broken}, line 19, column 19, at cases[0].expect.level.sources[0]: "made-up-2020"'
    )


def test_check_cases_says_where_a_missing_case_file_belongs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["content", "check-cases", str(tmp_path / "none.yaml")]) == 1

    assert capsys.readouterr().err == (
        f"There is no case file at {tmp_path / 'none.yaml'}: write the cases there "
        "(see docs/judgement.md).\n"
    )
