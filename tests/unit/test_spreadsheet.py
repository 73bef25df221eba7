"""Spreadsheet cells: nothing an export writes starts like a formula, per value in a cell that
joins several, and the import reads back exactly what was exported."""

from hypothesis import given
from hypothesis import strategies as st

from app.security.spreadsheet import (
    FORMULA_START,
    neutralise,
    neutralise_joined,
    restore,
    starts_like_formula,
)

# Text that favours the characters that matter here.
risky = st.text(
    alphabet=st.sampled_from([*sorted(FORMULA_START), "'", "a", " ", ";", "1"])
    | st.characters(blacklist_categories=("Cs",)),
    max_size=12,
)


@given(risky)
def test_a_neutralised_value_never_starts_like_a_formula(value: str) -> None:
    assert not starts_like_formula(neutralise(value))


@given(risky)
def test_restore_undoes_neutralise_exactly(value: str) -> None:
    assert restore(neutralise(value)) == value


@given(st.lists(risky.filter(lambda value: "; " not in value), min_size=1, max_size=5))
def test_each_value_of_a_joined_cell_is_neutralised(values: list[str]) -> None:
    parts = neutralise_joined(values).split("; ")
    assert [restore(part) for part in parts] == values
    assert not any(starts_like_formula(part) for part in parts)


def test_full_width_signs_count_as_formula_starts() -> None:
    for sign in "\uff1d\uff0b\uff0d\uff20":
        assert neutralise(f"{sign}SUM(A1)") == f"'{sign}SUM(A1)"
