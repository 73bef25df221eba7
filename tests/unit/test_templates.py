"""The templates: every one compiles (a syntax error otherwise shows only when someone opens
the page), the environment's quicker parts answer as Jinja's own, and the GOV.UK markup written
out is what GOV.UK's macros draw."""

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import ChoiceLoader, DictLoader
from jinja2 import Environment as JinjaEnvironment
from jinja2_fragments import render_block
from markupsafe import Markup

from app.config import Environment, Settings
from app.templating import create_templates

SETTINGS = Settings(
    environment=Environment.TEST, database_url="sqlite:///:memory:", data_dir=Path("data")
)
ENVIRONMENT = create_templates(SETTINGS).env
NAMES = [
    str(path.relative_to(SETTINGS.templates_dir))
    for path in sorted(Path(SETTINGS.templates_dir).rglob("*.html"))
]


def test_the_templates_are_found() -> None:
    assert "layouts/base.html" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_template_compiles(name: str) -> None:
    ENVIRONMENT.get_template(name)


def test_a_templates_globals_overlay_the_environments_and_see_later_ones() -> None:
    """Templates keep Jinja's rules for globals with their quicker keys: a template's own
    globals win over the environment's and stay its own, and a global the environment gains
    later reaches templates loaded before."""
    environment = create_templates(SETTINGS).env
    plain = environment.from_string("{{ service_name }} {{ added | default('none') }}")
    own = environment.from_string("{{ service_name }}", globals={"service_name": "Own"})
    assert plain.render() == "Homeward none"
    assert own.render() == "Own"
    assert set(plain.globals.keys()) == set(environment.globals)
    environment.globals["added"] = "later"
    assert plain.render() == "Homeward later"
    assert own.render() == "Own"
    assert set(own.globals.keys()) == set(environment.globals)
    assert environment.globals["service_name"] == "Homeward"


def test_a_macro_imported_inside_a_macro_sees_the_globals_the_page_was_given() -> None:
    """Jinja gives an imported template the importing page's own globals (found by comparing
    their keys, which the quicker keys must not change)."""
    environment = create_templates(SETTINGS).env
    assert environment.loader is not None
    environment.loader = ChoiceLoader(
        [
            DictLoader({"shout.html": "{% macro shout() %}{{ greeting }}!{% endmacro %}"}),
            environment.loader,
        ]
    )
    source = "{% macro show() %}{% from 'shout.html' import shout %}{{ shout() }}{% endmacro %}"
    page = environment.from_string(source + "{{ show() }}", globals={"greeting": "Hello"})
    other = environment.from_string(source + "{{ show() }}")
    assert page.render() == "Hello!"
    assert other.render() == "!"


def test_no_character_html_forbids_reaches_a_page_whichever_way_it_comes() -> None:
    """A typed value, markup made in Python, a filter's markup and a macro's output: each
    control character (other than whitespace) becomes a replacement character, once."""
    environment = create_templates(SETTINGS).env
    assert environment.loader is not None
    source = (
        "{% macro echo(text) %}<b>{{ text }}</b>{% endmacro %}"
        "<p>{{ typed }}</p><p>{{ made }}</p><p>{{ [typed, 'x'] | join(', ') }}</p>"
        "<p>{{ echo(echo(typed)) }}</p>{% block rest %}<p>{{ typed | e }}</p>{% endblock %}"
    )
    environment.loader = ChoiceLoader([DictLoader({"page.html": source}), environment.loader])
    values = {"typed": "a\x00b\x1fc\x7fd\te", "made": Markup("<i>\x08</i>")}
    html = environment.get_template("page.html").render(values)
    assert not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", html)
    assert html.count("a\ufffdb\ufffdc\ufffdd\te") == 4
    assert "<i>\ufffd</i>" in html
    assert "<b><b>a\ufffdb" in html
    # A block drawn alone (an htmx fragment) is cleaned too.
    assert render_block(environment, "page.html", "rest", values) == (
        "<p>a\ufffdb\ufffdc\ufffdd\te</p>"
    )


@pytest.mark.parametrize(
    "text",
    [
        Markup('<div class="a">\n  <p>One &amp; two</p>\n\n<span>x</span>\r\nend\n'),
        Markup("single line"),
        Markup(""),
        "plain <b>text</b>\nsecond line\n\n",
        "\u2028odd\x0bline\x0cbreaks\x85",
    ],
)
@pytest.mark.parametrize(
    ("width", "first", "blank"),
    [(4, False, False), (2, True, False), (6, True, True), ("> ", False, True)],
)
def test_indent_is_jinjas_own_on_markup_and_text(
    text: str, width: int | str, first: bool, blank: bool
) -> None:
    """The environment's quicker `indent` gives what Jinja's gives, markup staying markup and
    text staying text to be escaped when written."""
    jinja = JinjaEnvironment(autoescape=True)
    template = "{{ text | indent(width, first, blank) }}"
    ours = ENVIRONMENT.from_string(template).render(
        text=text, width=width, first=first, blank=blank
    )
    theirs = jinja.from_string(template).render(text=text, width=width, first=first, blank=blank)
    assert ours == theirs
    filtered = ENVIRONMENT.filters["indent"](text, width, first, blank)
    assert type(filtered) is type(jinja.filters["indent"](text, width, first, blank))


# The rating and notes of a factor, as GOV.UK's macros draw them: what the assessment page's
# written-out markup (components/assessment.html, factor_field) must stay equal to.
_GOVUK_FACTOR = """
{%- from "govuk_frontend_jinja/components/radios/macro.html" import govukRadios -%}
{%- from "govuk_frontend_jinja/components/textarea/macro.html" import govukTextarea -%}
{{ govukRadios({"idPrefix": status_id, "name": factor.status_name,
  "classes": "govuk-radios--inline govuk-radios--small",
  "fieldset": {"legend": {"text": factor.text, "classes": "govuk-fieldset__legend--s"}},
  "hint": {"text": hint},
  "errorMessage": {"text": errors[status_id]} if errors.get(status_id) else none,
  "items": [
    {"value": "present", "text": "Present" ~ (" (suggested)" if suggested == "present" else ""),
     "checked": current == "present"},
    {"value": "absent", "text": "Not present" ~ (" (suggested)" if suggested == "absent" else ""),
     "checked": current == "absent"},
    {"value": "unknown", "text": "Not known", "checked": current == "unknown"}]}) }}
{{ govukTextarea({"id": notes_id, "name": factor.notes_name, "rows": 2,
  "label": {"html": ("Notes" | safe) ~ ('<span class="govuk-visually-hidden"> on ‘' | safe)
    ~ factor.text ~ ('’</span> (optional)' | safe)},
  "value": notes, "errorMessage": {"text": errors[notes_id]} if errors.get(notes_id) else none}) }}
"""


def _spaced(html: str) -> str:
    return re.sub(r"\s+", " ", html)


@pytest.mark.parametrize("current", ["", "present", "absent", "unknown"])
@pytest.mark.parametrize("suggested", ["", "present", "absent", "unknown"])
@pytest.mark.parametrize("wrong", [False, True])
def test_a_factors_rating_and_notes_are_govuks_markup(
    current: str, suggested: str, wrong: bool
) -> None:
    """The assessment page writes out govukRadios' and govukTextarea's markup for each factor
    (their macros took half of drawing the page): it must be what they draw, in every state,
    whitespace between tags aside."""
    factor = {
        "factor_id": "sm-r1",
        "status_name": "f.sm-r1.status",
        "notes_name": "f.sm-r1.notes",
        "text": "Uses <drugs> & \"alcohol\" 'daily'",
        "kind": "risk",
        "guidance": "",
    }
    errors = (
        {"f-sm-r1-status": "Choose <one>", "f-sm-r1-notes": "Notes are too long & wrong"}
        if wrong
        else {}
    )
    notes = "Seen at contact <b>drunk</b> & late\nsecond line"
    form = SimpleNamespace(
        values={"f.sm-r1.status": current, "f.sm-r1.notes": notes}, errors=errors
    )
    suggestion = (
        SimpleNamespace(
            status=SimpleNamespace(value=suggested), source="Family details <b>said</b> so."
        )
        if suggested
        else None
    )
    ours = ENVIRONMENT.from_string(
        '{% from "components/assessment.html" import factor_field %}'
        "{{ factor_field({'id': 'f1'}, factor, form, [], false, suggestion) }}"
    ).render(factor=factor, form=form, suggestion=suggestion)
    hint = "Risk factor" + (
        ". Suggested from the record: Family details <b>said</b> so."
        + (
            " Choose an answer to confirm or change it."
            if not current
            else (" Your answer differs." if current != suggested else "")
        )
        if suggested
        else ""
    )
    theirs = ENVIRONMENT.from_string(_GOVUK_FACTOR).render(
        factor=factor,
        status_id="f-sm-r1-status",
        notes_id="f-sm-r1-notes",
        hint=hint,
        errors=errors,
        current=current,
        suggested=suggested,
        notes=notes,
    )
    radios, textarea = theirs.strip().split("\n\n")
    assert _spaced(radios) in _spaced(ours)
    assert _spaced(textarea) in _spaced(ours)


_GOVUK_RECORD_ENTRY = (
    '{%- from "govuk_frontend_jinja/components/select/macro.html" import govukSelect -%}'
    '{%- from "govuk_frontend_jinja/components/button/macro.html" import govukButton -%}'
    "{%- set label_html %}How significant was it?"
    '<span class="govuk-visually-hidden"> (the event of {{ item.occurred_on | date }})</span>'
    "{% endset -%}"
    "{%- set button_html %}Add to the chronology"
    '<span class="govuk-visually-hidden">: {{ item.what_happened | truncate(60) }}</span>'
    "{% endset -%}"
    '{{ govukSelect({"id": "record-2-significance", "name": "significance",'
    ' "label": {"html": label_html}, "items": items,'
    ' "errorMessage": {"text": problem} if problem else none,'
    ' "formGroup": {"classes": "govuk-!-margin-bottom-0"}}) }}'
    "\n\n"
    '{{ govukButton({"html": button_html, "preventDoubleClick": true}) }}'
)


@pytest.mark.parametrize("problem", ["", "It has been added <already> & more"])
def test_an_event_from_the_childrens_records_is_offered_in_govuks_markup(problem: str) -> None:
    """The chronology page writes out govukSelect's and govukButton's markup for each event
    from the children's records that it offers: it must be what they draw, whitespace between
    tags aside."""
    item = SimpleNamespace(
        occurred_on=date(2024, 3, 2),
        what_happened="Jayden <went> home & stayed for a long weekend with his mother and sister",
    )
    grade_labels = {"red": "Red, <serious>", "amber": "Amber & concerning", "green": "Green"}
    ours = ENVIRONMENT.from_string(
        '{% from "components/chronology.html" import record_entry_choice %}'
        "{{ record_entry_choice(2, item, problem, grade_labels) }}"
    ).render(item=item, problem=problem, grade_labels=grade_labels)
    items = [{"value": "", "text": "Choose"}] + [
        {"value": grade_id, "text": label} for grade_id, label in grade_labels.items()
    ]
    theirs = ENVIRONMENT.from_string(_GOVUK_RECORD_ENTRY).render(
        item=item, problem=problem, items=items
    )
    select, button = theirs.strip().split("\n\n")
    assert _spaced(select) in _spaced(ours)
    assert _spaced(button) in _spaced(ours)


def _inline(html: str) -> str:
    """Markup with the whitespace beside its tags left out, and the rest spaced as `_spaced`."""
    return _spaced(re.sub(r"\s*(<[^>]+>)\s*", r"\1", html)).strip()


@pytest.mark.parametrize("chosen", ["", "a", "b & c"])
def test_the_chronologys_filters_are_govuks_select(chosen: str) -> None:
    """The chronology's filters write out govukSelect's markup (a theme filter has dozens of
    options): the same as the macro draws, with the chosen option selected and "any" never."""
    options = [("", "Any <theme>"), ("a", "A & b"), ("b & c", 'B "and" c')]
    ours = ENVIRONMENT.from_string(
        '{% from "components/chronology.html" import filter_select %}'
        '{{ filter_select("filter-theme", "theme", "Theme <x>", options, chosen) }}'
    ).render(options=options, chosen=chosen)
    theirs = ENVIRONMENT.from_string(
        '{% from "govuk_frontend_jinja/components/select/macro.html" import govukSelect %}'
        '{{ govukSelect({"id": "filter-theme", "name": "theme", "label": {"text": "Theme <x>"},'
        ' "classes": "govuk-!-width-full hw-filter-input", "items": items}) }}'
    ).render(
        items=[
            {"value": value, "text": text, "selected": bool(value) and value == chosen}
            for value, text in options
        ]
    )
    assert _spaced(ours).strip() == _spaced(theirs).strip()


@pytest.mark.parametrize(
    ("grade", "colour"),
    [
        ("red", "govuk-tag--red"),
        ("amber", "govuk-tag--orange"),
        ("green", "govuk-tag--green"),
        ("gone", "govuk-tag--grey"),
    ],
)
def test_an_entrys_significance_is_govuks_tag(grade: str, colour: str) -> None:
    """A chronology row's significance writes out govukTag's markup, by the grade's rank in
    the content (a grade content no longer has is grey)."""
    labels = {"red": "Red, <serious>", "amber": "Amber & concerning", "green": "Green"}
    ranks = {"red": 0, "amber": 1, "green": 2}
    ours = ENVIRONMENT.from_string(
        '{% from "components/chronology.html" import significance_tag %}'
        "{{ significance_tag(grade, labels, ranks) }}"
    ).render(grade=grade, labels=labels, ranks=ranks)
    theirs = ENVIRONMENT.from_string(
        '{% from "govuk_frontend_jinja/components/tag/macro.html" import govukTag %}'
        '{{ govukTag({"text": text, "classes": colour ~ " hw-significance"}) }}'
    ).render(text=labels.get(grade, grade), colour=colour)
    assert _inline(ours) == _inline(theirs)
