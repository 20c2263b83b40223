"""The code family's public templates: function skeletons, requirement variants and their tests.

Each template is a function skeleton with one placeholder per requirement slot. A slot's
variants each carry the user's statement, the code snippet that meets it, and the hidden unit
test that checks it. ``{name}`` stands for the function's name everywhere (filled with
``str.replace``, so code braces need no escaping).
"""

from __future__ import annotations

from dataclasses import dataclass

_RAISES = (
    "try:\n    {call}\nexcept ValueError:\n    pass\nelse:\n    raise AssertionError('expected ValueError')"
)


@dataclass(frozen=True)
class Variant:
    """One way a requirement can go: what the user says, the code, and the test."""

    label: str
    statement: str
    snippet: str
    test: str


@dataclass(frozen=True)
class Slot:
    """A requirement of a template (a facet kind) and its variants; the first is the drafter's default."""

    kind: str
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Template:
    """A function-writing request."""

    key: str
    gist: str
    names: tuple[str, ...]
    skeleton: str
    slots: tuple[Slot, ...]


TEMPLATES = (
    Template(
        "average",
        "Can you write a Python function that averages a list of numbers?",
        ("mean_of", "average", "avg_values", "list_mean", "compute_average"),
        "def {name}(values):\n{missing_values}\n{empty_input}\n    result = sum(values) / len(values)\n{rounding}\n",
        (
            Slot(
                "missing_values",
                (
                    Variant(
                        "skip",
                        "Skip any None values in the list.",
                        "    values = [v for v in values if v is not None]",
                        "assert {name}([1, None, 3]) == 2",
                    ),
                    Variant(
                        "zero",
                        "Treat None values as zero.",
                        "    values = [0 if v is None else v for v in values]",
                        "assert {name}([1, None, 2]) == 1",
                    ),
                ),
            ),
            Slot(
                "empty_input",
                (
                    Variant(
                        "zero",
                        "For an empty list, return 0.",
                        "    if not values:\n        return 0",
                        "assert {name}([]) == 0",
                    ),
                    Variant(
                        "none",
                        "For an empty list, return None.",
                        "    if not values:\n        return None",
                        "assert {name}([]) is None",
                    ),
                    Variant(
                        "raise",
                        "For an empty list, raise a ValueError.",
                        "    if not values:\n        raise ValueError('empty list')",
                        _RAISES.replace("{call}", "{name}([])"),
                    ),
                ),
            ),
            Slot(
                "rounding",
                (
                    Variant(
                        "none",
                        "Don't round the result.",
                        "    return result",
                        "assert abs({name}([1, 2, 2]) - 5 / 3) < 1e-9",
                    ),
                    Variant(
                        "two",
                        "Round the result to 2 decimal places.",
                        "    return round(result, 2)",
                        "assert {name}([1, 2, 2]) == 1.67",
                    ),
                    Variant(
                        "int",
                        "Round the result to the nearest whole number.",
                        "    return round(result)",
                        "assert {name}([1, 2, 2]) == 2 and isinstance({name}([1, 2, 2]), int)",
                    ),
                ),
            ),
        ),
    ),
    Template(
        "word_count",
        "Can you write a Python function that counts how often each word appears in a text?",
        ("word_counts", "count_words", "tally_words", "word_frequencies", "count_each_word"),
        "import string\n\n\ndef {name}(text):\n    words = text.split()\n{punctuation}\n{case}\n{short_words}\n"
        "    counts = {}\n    for word in words:\n        if word:\n            counts[word] = counts.get(word, 0) + 1\n    return counts\n",
        (
            Slot(
                "punctuation",
                (
                    Variant(
                        "keep",
                        "Keep punctuation as part of the words.",
                        "",
                        "assert {name}('cats, cats') == {'cats,': 1, 'cats': 1}",
                    ),
                    Variant(
                        "strip",
                        "Strip punctuation from the words.",
                        "    words = [w.strip(string.punctuation) for w in words]",
                        "assert {name}('cats, cats') == {'cats': 2}",
                    ),
                ),
            ),
            Slot(
                "case",
                (
                    Variant(
                        "sensitive",
                        "Counting should be case-sensitive.",
                        "",
                        "assert {name}('Cat cat') == {'Cat': 1, 'cat': 1}",
                    ),
                    Variant(
                        "lower",
                        "Count words case-insensitively, in lower case.",
                        "    words = [w.lower() for w in words]",
                        "assert {name}('Cat cat') == {'cat': 2}",
                    ),
                ),
            ),
            Slot(
                "short_words",
                (
                    Variant(
                        "all",
                        "Count every word, even short ones.",
                        "",
                        "assert {name}('a cats') == {'a': 1, 'cats': 1}",
                    ),
                    Variant(
                        "skip",
                        "Ignore words shorter than 3 letters.",
                        "    words = [w for w in words if len(w) >= 3]",
                        "assert {name}('a cats') == {'cats': 1}",
                    ),
                ),
            ),
        ),
    ),
    Template(
        "duration",
        "Can you write a Python function that parses a duration like '2h 15m'?",
        ("parse_duration", "duration_value", "read_duration", "duration_from_text", "convert_duration"),
        "import re\n\n\ndef {name}(text):\n    match = re.fullmatch(r'\\s*(?:(\\d+)h)?\\s*(?:(\\d+)m)?\\s*', text)\n"
        "    if not match or not (match.group(1) or match.group(2)):\n{invalid_input}\n"
        "    minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)\n{unit}\n",
        (
            Slot(
                "invalid_input",
                (
                    Variant(
                        "none",
                        "Return None for text that is not a duration.",
                        "        return None",
                        "assert {name}('soon') is None",
                    ),
                    Variant(
                        "raise",
                        "Raise a ValueError for text that is not a duration.",
                        "        raise ValueError(f'not a duration: {text!r}')",
                        _RAISES.replace("{call}", "{name}('soon')"),
                    ),
                ),
            ),
            Slot(
                "unit",
                (
                    Variant(
                        "minutes",
                        "Return the duration in minutes.",
                        "    return minutes",
                        "assert {name}('1h 5m') == 65",
                    ),
                    Variant(
                        "seconds",
                        "Return the duration in seconds.",
                        "    return minutes * 60",
                        "assert {name}('1h 5m') == 3900",
                    ),
                    Variant(
                        "hours",
                        "Return the duration in hours, as a float.",
                        "    return minutes / 60",
                        "assert abs({name}('1h 30m') - 1.5) < 1e-9",
                    ),
                ),
            ),
        ),
    ),
    Template(
        "phone",
        "Can you write a Python function that cleans up US phone numbers?",
        ("normalize_phone", "format_phone", "clean_phone_number", "tidy_phone", "standard_phone"),
        "import re\n\n\ndef {name}(raw):\n    digits = re.sub(r'\\D', '', raw)\n{country_code}\n"
        "    if len(digits) != 10:\n{invalid_input}\n{format}\n",
        (
            Slot(
                "country_code",
                (
                    Variant(
                        "reject",
                        "Numbers with a country code are invalid.",
                        "",
                        "try:\n    result = {name}('1-555-123-4567')\nexcept ValueError:\n    result = None\nassert result is None",
                    ),
                    Variant(
                        "strip",
                        "A leading 1 country code should be dropped.",
                        "    if len(digits) == 11 and digits.startswith('1'):\n        digits = digits[1:]",
                        "assert {name}('1-555-123-4567') == {name}('555-123-4567') is not None",
                    ),
                ),
            ),
            Slot(
                "invalid_input",
                (
                    Variant(
                        "none",
                        "Return None for numbers that don't have 10 digits.",
                        "        return None",
                        "assert {name}('12345') is None",
                    ),
                    Variant(
                        "raise",
                        "Raise a ValueError for numbers that don't have 10 digits.",
                        "        raise ValueError(f'not a phone number: {raw!r}')",
                        _RAISES.replace("{call}", "{name}('12345')"),
                    ),
                ),
            ),
            Slot(
                "format",
                (
                    Variant(
                        "plain",
                        "Return just the ten digits, like 5551234567.",
                        "    return digits",
                        "assert {name}('555-123-4567') == '5551234567'",
                    ),
                    Variant(
                        "dashes",
                        "Format it like 555-123-4567.",
                        "    return f'{digits[:3]}-{digits[3:6]}-{digits[6:]}'",
                        "assert {name}('(555) 123 4567') == '555-123-4567'",
                    ),
                    Variant(
                        "parens",
                        "Format it like (555) 123-4567.",
                        "    return f'({digits[:3]}) {digits[3:6]}-{digits[6:]}'",
                        "assert {name}('555.123.4567') == '(555) 123-4567'",
                    ),
                ),
            ),
        ),
    ),
    Template(
        "slug",
        "Can you write a Python function that turns a title into a URL slug?",
        ("slugify", "make_slug", "title_to_slug", "url_slug", "to_slug"),
        "import re\n\n\ndef {name}(title):\n    words = re.findall(r'[A-Za-z0-9]+', title)\n{letter_case}\n{separator}\n{max_length}\n    return slug\n",
        (
            Slot(
                "letter_case",
                (
                    Variant(
                        "keep",
                        "Keep the original capitalisation.",
                        "",
                        "assert 'Hello' in {name}('Hello World')",
                    ),
                    Variant(
                        "lower",
                        "Make the slug lower case.",
                        "    words = [w.lower() for w in words]",
                        "assert {name}('Hello World') == {name}('Hello World').lower()",
                    ),
                ),
            ),
            Slot(
                "separator",
                (
                    Variant(
                        "dash",
                        "Join the words with hyphens.",
                        "    slug = '-'.join(words)",
                        "assert {name}('a b')[1] == '-'",
                    ),
                    Variant(
                        "underscore",
                        "Join the words with underscores.",
                        "    slug = '_'.join(words)",
                        "assert {name}('a b')[1] == '_'",
                    ),
                ),
            ),
            Slot(
                "max_length",
                (
                    Variant("none", "Don't limit the length.", "", "assert len({name}('word ' * 20)) > 30"),
                    Variant(
                        "cap",
                        "Cut the slug to at most 30 characters.",
                        "    slug = slug[:30]",
                        "assert len({name}('word ' * 20)) <= 30",
                    ),
                ),
            ),
        ),
    ),
    Template(
        "temperature",
        "Can you write a Python function that converts Celsius to Fahrenheit?",
        ("c_to_f", "celsius_to_fahrenheit", "to_fahrenheit", "convert_temp", "temp_in_f"),
        "def {name}(celsius):\n    if celsius < -273.15:\n{invalid_input}\n    result = celsius * 9 / 5 + 32\n{rounding}\n",
        (
            Slot(
                "invalid_input",
                (
                    Variant(
                        "none",
                        "Return None below absolute zero.",
                        "        return None",
                        "assert {name}(-300) is None",
                    ),
                    Variant(
                        "raise",
                        "Raise a ValueError below absolute zero.",
                        "        raise ValueError('below absolute zero')",
                        _RAISES.replace("{call}", "{name}(-300)"),
                    ),
                ),
            ),
            Slot(
                "rounding",
                (
                    Variant(
                        "none",
                        "Don't round the result.",
                        "    return result",
                        "assert abs({name}(21.3) - 70.34) < 1e-9",
                    ),
                    Variant(
                        "two",
                        "Round the result to 2 decimal places.",
                        "    return round(result, 2)",
                        "assert {name}(21.337) == 70.41",
                    ),
                    Variant(
                        "int",
                        "Round the result to the nearest whole number.",
                        "    return round(result)",
                        "assert {name}(21.3) == 70 and isinstance({name}(21.3), int)",
                    ),
                ),
            ),
        ),
    ),
)

NAME_STATEMENT = "Call the function `{name}`."


def render(template: Template, name: str, labels: dict[str, str]) -> str:
    """The function's source with the chosen variant of each slot (the default where unknown)."""
    code = template.skeleton
    for slot in template.slots:
        variant = next((v for v in slot.variants if v.label == labels.get(slot.kind)), slot.variants[0])
        code = code.replace("{" + slot.kind + "}\n", variant.snippet + "\n" if variant.snippet else "")
    return code.replace("{name}", name)
