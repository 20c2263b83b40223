"""General normalisations of an answer's wording, applied to a reply and to every reading's answers alike.

People write the same answer in several forms that no passage spells out: "Tues." for
"Tuesday", "Harbor" for "harbour", "hot-air" for "hot air", "twenty twelve" for "2012". Each form
here comes from a closed, data-independent rule or lexicon (English abbreviations of weekdays,
months, place words and ranks; British and American spellings; number words), so that the
metric compares meanings rather than the gold's spelling. The same rewrite is applied to the
reply and to every reading's answers, so it never favours one reading: "Thurs." names Thursday
whether Thursday is the intended reading's answer or the other's.

Each pass reads the text once (linear time; no backtracking pattern).
"""

from __future__ import annotations

import re

#: Standard English abbreviations, read only when written capitalised ("Wed." is Wednesday, "they
#: wed" is not): weekdays, months, place words, military and civil ranks. Ambiguous ones are left
#: out ("St" is Street or Saint, "Dr" Doctor or Drive, "Co" Company or County). A capitalised verb
#: that opens a sentence ("Sat down.") is read as the day: rare in an answer, and alike for each reading.
ABBREVIATIONS = {
    **dict.fromkeys(("mon",), "Monday"),
    **dict.fromkeys(("tue", "tues"), "Tuesday"),
    **dict.fromkeys(("wed", "weds"), "Wednesday"),
    **dict.fromkeys(("thu", "thur", "thurs"), "Thursday"),
    **dict.fromkeys(("fri",), "Friday"),
    **dict.fromkeys(("sat",), "Saturday"),
    **dict.fromkeys(("sun",), "Sunday"),
    **{"jan": "January", "feb": "February", "mar": "March", "apr": "April", "jun": "June", "jul": "July"},
    **{"aug": "August", "sep": "September", "sept": "September", "oct": "October", "nov": "November"},
    **{"dec": "December", "ave": "Avenue", "rd": "Road", "blvd": "Boulevard", "ln": "Lane"},
    **{"sq": "Square", "hwy": "Highway", "mt": "Mount", "ft": "Fort", "bldg": "Building"},
    **{"dept": "Department", "univ": "University", "apt": "Apartment", "intl": "International"},
    **{"capt": "Captain", "col": "Colonel", "gen": "General", "lt": "Lieutenant", "sgt": "Sergeant"},
    **{"gov": "Governor", "sen": "Senator", "pres": "President", "prof": "Professor", "jr": "Junior"},
}
#: An abbreviation's period is dropped where the sentence goes on ("Tues. or Thurs.", "Oct. 5").
_ABBREVIATION = re.compile(r"\b(?P<w>[A-Za-z][a-z]{1,4}|[A-Z]{2,5})\b(?:\.(?=[ \t]+[a-z0-9]))?")
#: Abbreviations read in any case ("tues", "THURS"): no English word is written so.
UNAMBIGUOUS = frozenset("tue tues thu thur thurs fri weds jan feb apr jun jul aug sept oct nov dec".split())
#: British spellings read as American: "harbour" -> "harbor", "centre" -> "center" (at least three
#: letters before the ending: "your", "four" and "tour" stay).
_OUR = re.compile(r"\b([A-Za-z]{3,})our(s|ed|ing|ite|ites|able|ably|ful)?\b")
_TRE = re.compile(r"\b([A-Za-z]{2,}t)re(s?)\b")
_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")

_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SMALL = {w: i for i, w in enumerate(_UNITS)} | {w: 10 + i for i, w in enumerate(_TEENS)}
_SMALL |= {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = re.compile(r"[A-Za-z]+")
#: What may stand between two words of one number: spaces, a hyphen, or "and" ("a hundred and two").
_JOINER = re.compile(r"[ \t-]+(?:and[ \t]+)?")


def canonical(text: str) -> str:
    """``text`` with abbreviations written out, American spellings, hyphens between words as
    spaces, and number words as digits.

    >>> canonical("Tues."), canonical("Harbor"), canonical("the harbour"), canonical("a hot-air balloon")
    ('Tuesday.', 'Harbor', 'the harbor', 'a hot air balloon')
    >>> canonical("Born in twenty twelve, forty-two days late."), canonical("They wed in Sept.")
    ('Born in 2012, 42 days late.', 'They wed in September.')
    >>> canonical("Tues. or Thurs."), canonical("on Sun."), canonical("Fray."), canonical("on tues, not the SAT")
    ('Tuesday or Thursday.', 'on Sunday.', 'Fray.', 'on Tuesday, not the SAT')
    """
    text = _HYPHEN.sub(" ", text)
    text = _ABBREVIATION.sub(_expand, text)
    text = _TRE.sub(r"\1er\2", _OUR.sub(r"\1or\2", text))
    return numbers_as_digits(text)


def _expand(match: re.Match) -> str:
    """The word an abbreviation stands for, else the match unchanged."""
    written = match["w"]
    lower = written.lower()
    if lower not in UNAMBIGUOUS and not (written[0].isupper() and written[1:].islower()):
        return match[0]  # "they wed", "the SAT": capitalised words only, but for the unambiguous
    word = ABBREVIATIONS.get(lower)
    return word if word is not None else match[0]


def numbers_as_digits(text: str) -> str:
    """``text`` with each run of number words written as its number.

    A run is read as a cardinal ("three hundred and two" 302, "forty-two" 42), or, where two
    numbers of 10 to 99 follow each other, as a year ("twenty twelve" 2012, "nineteen oh five"
    1905). A lone "one" stays a word ("the one who went").

    >>> numbers_as_digits("one hundred and two, twenty twelve, nineteen oh five, the one, one two")
    '102, 2012, 1905, the one, 1 2'
    """
    out, last, run = [], 0, []
    for match in _NUMBER_WORD.finditer(text):
        word = match[0].lower()
        if run and word == "and" and run[-1][0].lower() in _SCALES:
            continue  # "a hundred and two": the gap is read when the next word comes
        if word in _SMALL or word in _SCALES or (word == "oh" and run):
            gap = text[run[-1].end() : match.start()] if run else ""
            if run and not _JOINER.fullmatch(gap):
                last = _flush(text, run, out, last)
            run.append(match)
            continue
        last = _flush(text, run, out, last)
    last = _flush(text, run, out, last)
    return "".join(out) + text[last:]


def _flush(text: str, run: list[re.Match], out: list[str], last: int) -> int:
    """Write ``text`` up to the run and the run as digits to ``out``; empty ``run``; the new ``last``."""
    if not run:
        return last
    words = [m[0].lower() for m in run]
    while words and words[-1] == "oh":  # "oh" closes no number
        words.pop()
        run.pop()
    value = _value(words) if words and words != ["one"] else None
    out.append(text[last : run[0].start()])
    out.append(text[run[0].start() : run[-1].end()] if value is None else value)
    end = run[-1].end()
    run.clear()
    return end


def _value(words: list[str]) -> str | None:
    """The number that ``words`` name, as digits ("1 2" for a list of digits), else ``None``."""
    groups: list[list[str]] = [[]]
    for word in words:
        group = groups[-1]
        if group and (word == "oh" or (word in _SMALL and group[-1] != "oh" and not _continues(group, word))):
            groups.append([])
        groups[-1].append(word)
    values = [_cardinal(g) for g in groups]
    if None in values:
        return None
    if len(groups) == 2 and 10 <= values[0] <= 99 and values[1] < 100:
        if values[1] >= 10 or groups[1][0] == "oh":
            return str(values[0] * 100 + values[1])  # a year: "twenty twelve", "nineteen oh five"
    return " ".join(str(v) for v in values)


def _continues(group: list[str], word: str) -> bool:
    """Whether ``word`` goes on the cardinal that ``group`` starts ("twenty" then "two": yes)."""
    previous = group[-1]
    if previous in _SCALES:
        return True
    return previous in _TENS and _SMALL[word] < 10 and word != "zero"


def _cardinal(words: list[str]) -> int | None:
    """The cardinal that ``words`` name ("three hundred two": 302), else ``None``."""
    total = current = 0
    for word in words:
        if word == "oh":
            continue
        if word in _SMALL:
            current += _SMALL[word]
        elif word == "hundred":
            current = (current or 1) * 100
        else:
            total += (current or 1) * _SCALES[word]
            current = 0
    return total + current
