"""The corpus of broken content: each case edits the tiny fixture version in one way and names
the one error a trainer must see (file, line and a key phrase of the sentence).

Cases are named texts (file name → text), the same form the loader takes from any source;
`materialise` writes one out as a version folder when a test needs files on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.content.loader import read_version_dir

TINY_DIR = Path(__file__).parent / "fixtures" / "good" / "tiny" / "1.0.0"
DELETE = object()
BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]
"""

# A scored tool in a file of its own, as trainers may write one (tools/<id>.yaml).
EXTRA_TOOL = """\
id: extra
title: Extra tool
summary: A tool in its own file.
applies_at: [before-plan]
items:
  - id: strength
    label: Alpha strength present
    points: 1
    when:
      factor: al-p1
bands:
  - max: 0
    level: low
    label: Low concern 0
  - min: 1
    level: medium
    label: Some concern 1
"""


@dataclass(frozen=True)
class Replace:
    """Replace the first occurrence of `old` with `new` in a file of the tiny version."""

    old: str
    new: str


@dataclass(frozen=True)
class BrokenCase:
    name: str
    file: str
    line: int | None
    phrase: str
    edits: dict[str, Replace | tuple[Replace, ...] | str | bytes | object] = field(
        default_factory=dict
    )

    def texts(self) -> dict[str, bytes]:
        """The tiny version's files with this case's edits applied."""
        texts = dict(tiny_texts())
        for name, edit in self.edits.items():
            if edit is DELETE:
                del texts[name]
            elif isinstance(edit, Replace | tuple):
                text = texts[name].decode()
                for replace in edit if isinstance(edit, tuple) else (edit,):
                    assert replace.old in text, f"{self.name}: {replace.old!r} not in {name}"
                    text = text.replace(replace.old, replace.new, 1)
                texts[name] = text.encode()
            elif isinstance(edit, str):
                texts[name] = edit.encode()
            else:
                assert isinstance(edit, bytes)
                texts[name] = edit
        return texts


def tiny_texts() -> dict[str, bytes]:
    return read_version_dir(TINY_DIR)


def materialise(texts: dict[str, bytes], folder: Path) -> Path:
    """Write named texts out as a version folder."""
    for name, data in texts.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


CASES = [
    BrokenCase(
        "yaml-syntax",
        "levels.yaml",
        4,
        "this is not valid YAML (did not find expected ',' or ']', in the list in square brackets "
        "that starts on line 3)",
        {"levels.yaml": Replace("    rank: 1\n", "    rank: [1\n")},
    ),
    BrokenCase(
        "tab-indentation",
        "domains/alpha.yaml",
        7,
        "a tab is used for indentation",
        {"domains/alpha.yaml": Replace("    text: First alpha risk", "\ttext: First alpha risk")},
    ),
    BrokenCase(
        "missing-required-key",
        "domains/alpha.yaml",
        10,
        'the required key "text" is missing',
        {"domains/alpha.yaml": Replace("    text: Second alpha risk\n", "")},
    ),
    BrokenCase(
        "unknown-key",
        "levels.yaml",
        11,
        '"color" is not a recognised key here (did you mean "colour"?)',
        {"levels.yaml": Replace("    colour: yellow", "    color: yellow")},
    ),
    BrokenCase(
        "duplicate-factor-id",
        "domains/alpha.yaml",
        10,
        'the id "al-r1" is already used at line 6; give each factor its own id',
        {"domains/alpha.yaml": Replace("  - id: al-r2", "  - id: al-r1")},
    ),
    BrokenCase(
        "duplicate-id-across-files",
        "domains/beta.yaml",
        6,
        'the id "al-r1" is already used in domains/alpha.yaml at line 6',
        {"domains/beta.yaml": Replace("  - id: be-r1", "  - id: al-r1")},
    ),
    BrokenCase(
        "duplicate-key",
        "framework.yaml",
        4,
        'the key "title" appears twice in this mapping (first at line 3)',
        {"framework.yaml": Replace("summary:", "title: Again\nsummary:")},
    ),
    BrokenCase(
        "rule-names-missing-factor",
        "rules.yaml",
        57,
        'there is no factor with the id "al-p9" (did you mean "al-p1"?)',
        {"rules.yaml": Replace("factor: al-p1", "factor: al-p9")},
    ),
    BrokenCase(
        "show-when-cycle",
        "stages/assess.yaml",
        16,
        "show_when goes round in a circle (planned → plan-notes → planned)",
        {
            "stages/assess.yaml": Replace(
                "        label: Is the return planned?\n",
                "        label: Is the return planned?\n"
                "        show_when:\n"
                "          answer: plan-notes\n"
                "          answered: true\n",
            )
        },
    ),
    BrokenCase(
        "level-used-not-defined",
        "rules.yaml",
        14,
        'there is no level with the id "severe" (known: high, low, medium)',
        {"rules.yaml": Replace("    level: high\n", "    level: severe\n")},
    ),
    BrokenCase(
        "billion-laughs",
        "cadence.yaml",
        1,
        "the anchor &a is not allowed",
        {"cadence.yaml": BILLION_LAUGHS},
    ),
    BrokenCase(
        "python-tag",
        "sources.yaml",
        4,
        'the tag "!!python/object/apply:os.system" is not allowed',
        {
            "sources.yaml": Replace(
                "    citation: A. Author", '    citation: !!python/object/apply:os.system ["ls"]\n#'
            )
        },
    ),
    BrokenCase(
        "custom-tag",
        "chronology.yaml",
        3,
        'the tag "!include" is not allowed',
        {"chronology.yaml": Replace("label: Council case file", "label: !include other.yaml")},
    ),
    BrokenCase(
        "alias",
        "levels.yaml",
        4,
        "the anchor &name is not allowed",
        {"levels.yaml": Replace("    label: Low", "    label: &name Low")},
    ),
    BrokenCase(
        "not-utf8",
        "domains/beta.yaml",
        2,
        "the file is not UTF-8 text; save it with UTF-8 encoding",
        {"domains/beta.yaml": "id: beta\ntitle: B\xe9ta\n".encode("latin-1")},
    ),
    BrokenCase(
        "control-character",
        "domains/beta.yaml",
        2,
        "control character #x0007",
        {"domains/beta.yaml": Replace("title: Beta", "title: Be\x07ta")},
    ),
    BrokenCase("empty-file", "cadence.yaml", 1, "the file is empty", {"cadence.yaml": ""}),
    BrokenCase(
        "missing-file", "cadence.yaml", None, "this file is missing", {"cadence.yaml": DELETE}
    ),
    BrokenCase(
        "two-documents",
        "cadence.yaml",
        8,
        "the file holds more than one YAML document",
        {
            "cadence.yaml": Replace(
                "  monitor_for_months: 12\n", "  monitor_for_months: 12\n---\na: 1\n"
            )
        },
    ),
    BrokenCase(
        "levels-out-of-order",
        "levels.yaml",
        8,
        'levels are out of order: "medium" is listed in position 2 but has rank 3',
        {"levels.yaml": Replace("    rank: 2", "    rank: 3")},
    ),
    BrokenCase(
        "requires-cycle",
        "stages/assess.yaml",
        107,
        "the prerequisites go round in a circle (history → classify → history)",
        {"stages/assess.yaml": Replace("requires: [start]", "requires: [classify]")},
    ),
    BrokenCase(
        "unknown-question-type",
        "stages/assess.yaml",
        13,
        '"yesno" is not a known type; use one of: short_text',
        {
            "stages/assess.yaml": Replace(
                "type: yes_no\n        label: Is the", "type: yesno\n        label: Is the"
            )
        },
    ),
    BrokenCase(
        "show-when-unknown-question",
        "stages/assess.yaml",
        20,
        'there is no question with the id "planed" (did you mean "planned"?)',
        {"stages/assess.yaml": Replace("answer: planned", "answer: planed")},
    ),
    BrokenCase(
        "show-when-wrong-value",
        "stages/assess.yaml",
        21,
        '"planned" is a yes/no question, so compare it with true or false',
        {"stages/assess.yaml": Replace("equals: true", "equals: yes")},
    ),
    BrokenCase(
        "unknown-source",
        "domains/alpha.yaml",
        9,
        'there is no source with the id "stdy" (did you mean "study"?)',
        {"domains/alpha.yaml": Replace("sources: [study]", "sources: [stdy]")},
    ),
    BrokenCase(
        "invalid-id",
        "domains/alpha.yaml",
        6,
        '"Al R1" is not a valid id; use lower-case letters, digits and single hyphens',
        {"domains/alpha.yaml": Replace("  - id: al-r1", "  - id: Al R1")},
    ),
    BrokenCase(
        "file-name-differs-from-id",
        "domains/beta.yaml",
        1,
        'the file is named beta.yaml but its id is "gamma"',
        {"domains/beta.yaml": Replace("id: beta", "id: gamma")},
    ),
    BrokenCase(
        "bands-out-of-order",
        "rules.yaml",
        65,
        "bands are out of order",
        {
            "rules.yaml": Replace(
                "      - min: 4\n        level: high", "      - min: 4\n        level: low"
            )
        },
    ),
    BrokenCase(
        "band-gap",
        "rules.yaml",
        61,
        "this band should start at 2",
        {"rules.yaml": Replace("      - min: 2\n", "      - min: 3\n")},
    ),
    BrokenCase(
        "html-in-guidance",
        "domains/alpha.yaml",
        4,
        "HTML is not allowed in guidance",
        {
            "domains/alpha.yaml": Replace(
                "guidance: Look for", "guidance: <script>x</script> Look for"
            )
        },
    ),
    BrokenCase(
        "javascript-link",
        "domains/alpha.yaml",
        8,
        'the link "javascript:alert(1)" is not allowed; links must start with https://',
        {
            "domains/alpha.yaml": Replace(
                "guidance: Evidence of the first risk.",
                "guidance: See [this](javascript:alert(1)).",
            )
        },
    ),
    BrokenCase(
        "deep-nesting",
        "cadence.yaml",
        1,
        "nested more than 40 levels deep",
        {"cadence.yaml": "x: " + "[" * 60 + "]" * 60 + "\n"},
    ),
    BrokenCase(
        "wrong-type",
        "levels.yaml",
        3,
        'this should be a whole number, not the text "one"',
        {"levels.yaml": Replace("    rank: 1", "    rank: one")},
    ),
    BrokenCase(
        "number-where-text-expected",
        "framework.yaml",
        2,
        "this should be text, but it reads as the number 1.0; put it in quotes",
        {"framework.yaml": Replace("version: 1.0.0\ntitle", "version: 1.0\ntitle")},
    ),
    BrokenCase(
        "unknown-condition",
        "rules.yaml",
        25,
        "a condition must be a mapping that starts with one of: all, any, not, factor",
        {"rules.yaml": Replace("      child:\n        age:", "      kid:\n        age:")},
    ),
    BrokenCase(
        "framework-id-differs-from-folder",
        "framework.yaml",
        1,
        'the framework id is "other" but its folder is named "tiny"',
        {"framework.yaml": Replace("id: tiny", "id: other")},
    ),
    BrokenCase(
        "unknown-file",
        "notes.yaml",
        None,
        "this is not a recognised content file",
        {"notes.yaml": "a: 1\n"},
    ),
    BrokenCase(
        "yml-extension",
        "extra.yml",
        None,
        "content files end in .yaml, not .yml",
        {"extra.yml": "a: 1\n"},
    ),
    BrokenCase(
        "timepoint-without-section",
        "levels.yaml",
        18,
        'the timepoint "before-plan" is used by no classification section',
        {"stages/assess.yaml": Replace("timepoint: before-plan", "timepoint: before-return")},
    ),
    BrokenCase(
        "fact-on-wrong-question",
        "stages/assess.yaml",
        99,
        'the fact "parent-engaged" needs a yes_no question',
        {
            "stages/assess.yaml": (
                Replace("fact: parent-engaged", "fact: parent-months-sustained"),
                Replace("fact: parent-months-sustained", "fact: parent-engaged"),
            )
        },
    ),
    BrokenCase(
        "domain-never-assessed",
        "domains/beta.yaml",
        1,
        'no section assesses the domain "beta"',
        {"stages/assess.yaml": Replace("    domain: beta", "    domain: alpha")},
    ),
    BrokenCase(
        "gate-names-missing-stage",
        "stages/assess.yaml",
        130,
        'there is no stage with the id "reveiw" (did you mean "review"?)',
        {"stages/assess.yaml": Replace("next_stage: review", "next_stage: reveiw")},
    ),
    BrokenCase(
        "gate-option-with-two-effects",
        "stages/assess.yaml",
        128,
        "an option that ends the plan or closes the case cannot also lead on",
        {
            "stages/assess.yaml": Replace(
                "next_stage: review", "next_stage: review\n        ends_plan: true"
            )
        },
    ),
    BrokenCase(
        "changelog-without-this-version",
        "framework.yaml",
        13,
        "the changelog has no entry for version 1.0.0",
        {"framework.yaml": Replace("  - version: 1.0.0", "  - version: 0.9.0")},
    ),
    BrokenCase(
        "per-item-of-non-repeating",
        "stages/review.yaml",
        12,
        '"planned" is not a repeating group, so per_item cannot go through its items',
        {"stages/review.yaml": Replace("of: goals", "of: planned")},
    ),
    BrokenCase(
        "option-missing-in-answer-test",
        "rules.yaml",
        17,
        'the question "readiness" has no option "ready" (options: thinking, doing, keeping)',
        {
            "rules.yaml": Replace(
                "      answer: planned\n      equals: false",
                "      answer: readiness\n      equals: ready",
            )
        },
    ),
    BrokenCase(
        "misspelt-key-of-a-questions-section",
        "stages/assess.yaml",
        7,
        '"titel" is not a recognised key here (did you mean "title"?)',
        {"stages/assess.yaml": Replace("    title: Start\n", "    titel: Start\n")},
    ),
    BrokenCase(
        "number-with-thousands-of-digits",
        "stages/assess.yaml",
        98,
        "this number has 5000 digits, more than the 30 allowed",
        {"stages/assess.yaml": Replace("min: 0\n", "min: " + "9" * 5000 + "\n")},
    ),
    BrokenCase(
        "change-lasting-without-a-time-to-last",
        "rules.yaml",
        26,
        "change_lasting needs to know how many months change must last in every problem area",
        {
            "rules.yaml": Replace(
                "      child:\n        age:\n          more_than: 10\n",
                "      parent:\n        change_lasting: false\n",
            )
        },
    ),
    BrokenCase(
        "risk-factor-no-rule-reads",
        "domains/beta.yaml",
        6,
        'no rule, caution or tool reads the risk factor "be-r1"',
        {
            "rules.yaml": Replace("minimum_levels:\n", "factor_coverage: risk\nminimum_levels:\n"),
            "domains/alpha.yaml": (
                Replace(
                    "    sources: [study]\n",
                    "    sources: [study]\n    not_read_because: Recorded for the analysis.\n",
                ),
                Replace(
                    "    guidance: Evidence of the second risk.\n",
                    "    guidance: Evidence of the second risk.\n"
                    "    not_read_because: Recorded for the analysis.\n",
                ),
            ),
        },
    ),
    BrokenCase(
        "step-down-below-the-lowest-level",
        "rules.yaml",
        23,
        "a step down of 3 levels would go below the lowest of the 3 levels",
        {
            "rules.yaml": Replace(
                "cautions:\n",
                "step_downs:\n  - id: strong\n    title: Strong\n    levels: 3\n"
                "    when: {factor: al-p1}\n    explanation: Strong.\n    sources: [study]\n"
                "cautions:\n",
            )
        },
    ),
    BrokenCase(
        "months-since-and-a-count-together",
        "rules.yaml",
        16,
        "counts entries (at_least, at_most) or measures the time since the latest one",
        {
            "rules.yaml": Replace(
                "      answer: planned\n      equals: false",
                "      chronology: {theme: incident}\n      at_least: 1\n"
                "      months_since_last: {less_than: 12}",
            )
        },
    ),
    BrokenCase(
        "right-to-left-override",
        "stages/assess.yaml",
        15,
        "the hidden direction control character U+202E",
        {"stages/assess.yaml": Replace("Is the return planned?", "Is the \u202ereturn planned?")},
    ),
    BrokenCase(
        "duration-without-a-unit",
        "rules.yaml",
        51,
        '"within" is a duration without a unit; write within_months with the number of months',
        {"rules.yaml": Replace("within_months: 6}", "within: 6}")},
    ),
    BrokenCase(
        "override-that-would-lower-the-level",
        "rules.yaml",
        69,
        "a mandatory override can only raise the level",
        {
            "rules.yaml": Replace(
                "        level: high\n        when:\n          child:",
                "        level: low\n        when:\n          child:",
            )
        },
    ),
    BrokenCase(
        "tool-with-no-items",
        "tools/extra.yaml",
        5,
        "a scored tool needs at least one item to score; add it under items",
        {
            "tools/extra.yaml": EXTRA_TOOL.replace(
                "items:\n  - id: strength\n    label: Alpha strength present\n    points: 1\n"
                "    when:\n      factor: al-p1\n",
                "items: []\n",
            )
        },
    ),
    BrokenCase(
        "bands-leave-out-the-lowest-scores",
        "rules.yaml",
        59,
        "the items can add up to -1, below this first band's min of 0; lower min to -1",
        {
            "rules.yaml": Replace(
                "      - max: 1\n        level: low",
                "      - min: 0\n        max: 1\n        level: low",
            )
        },
    ),
    BrokenCase(
        "tool-file-names-a-missing-factor",
        "tools/extra.yaml",
        10,
        'there is no factor with the id "al-p9" (did you mean "al-p1"?)',
        {"tools/extra.yaml": EXTRA_TOOL.replace("al-p1", "al-p9")},
    ),
    BrokenCase(
        "tool-file-band-gap",
        "tools/extra.yaml",
        15,
        "this band should start at 1",
        {"tools/extra.yaml": EXTRA_TOOL.replace("min: 1", "min: 2")},
    ),
    BrokenCase(
        "tool-file-named-differently",
        "tools/other.yaml",
        1,
        'the file is named other.yaml but its id is "extra"',
        {"tools/other.yaml": EXTRA_TOOL},
    ),
    BrokenCase(
        "tool-applies-at-an-unknown-timepoint",
        "tools/extra.yaml",
        4,
        'there is no classification timepoint with the id "before-return"',
        {"tools/extra.yaml": EXTRA_TOOL.replace("[before-plan]", "[before-return]")},
    ),
    BrokenCase(
        "tool-reads-another-tool",
        "rules.yaml",
        57,
        "a scored tool cannot read another tool's result",
        {
            "rules.yaml": Replace(
                "          factor: al-p1\n    bands",
                "          tool: {id: example-tool, score: {at_least: 1}}\n    bands",
            )
        },
    ),
    BrokenCase(
        "option-points-miss-an-option",
        "rules.yaml",
        56,
        "give points to every option of the question, so the item scores once it is answered; "
        "add doing, keeping",
        {
            "rules.yaml": Replace(
                "      - id: strength\n        label: Alpha strength present\n        points: -1\n"
                "        when:\n          factor: al-p1\n",
                "      - id: strength\n        label: Readiness\n        answer: readiness\n"
                "        option_points: {thinking: 1}\n",
            )
        },
    ),
    BrokenCase(
        "rule-reads-a-band-the-tool-lacks",
        "rules.yaml",
        16,
        'the tool "example-tool" has no band with the level "severe"',
        {
            "rules.yaml": Replace(
                "      answer: planned\n      equals: false",
                "      tool: {id: example-tool, band: [severe]}",
            )
        },
    ),
]
