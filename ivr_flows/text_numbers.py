"""Every number in free text (an event's description, a price, a street address) as words.

Staff and providers write "noin 40 minuuttia", "45 minuutin jumppa", "1950-luvulla", "Salomonkatu
21 B", "klo 14.30", "5 euroa"; the speech engine must get words, and in Finnish in the case the
next word asks for ("neljänkymmenenviiden minuutin"). The case is read from a small table of the
nouns that follow numbers in a programme; anything else stays nominative, which is what a number
before a partitive noun ("neljäkymmentä minuuttia") or alone (a street number) takes.
"""
from __future__ import annotations

import re

from num2words import num2words

from . import speak

# Finnish case endings of the nouns that follow a number in programme texts.
_FI_NOUNS = ("minuut", "tunn", "tunt", "euro", "vuo", "päiv", "viiko", "henge", "kerra",
             "kerta", "osa", "paika", "sivu", "kilometri", "metri", "senti")
_FI_CASE_ENDINGS = (("issa", "inessive"), ("issä", "inessive"), ("ssa", "inessive"),
                    ("ssä", "inessive"), ("sta", "elative"), ("stä", "elative"),
                    ("iksi", "translative"), ("ksi", "translative"), ("lla", "adessive"),
                    ("llä", "adessive"), ("lta", "ablative"), ("ltä", "ablative"),
                    ("een", "illative"), ("iin", "illative"), ("na", "essive"), ("nä", "essive"),
                    ("n", "genitive"))
# Finnish "-luku" (decade) forms: "1950-luvulla" → "tuhat…viisikymmentäluvulla".
_DECADE = re.compile(r"\b(\d{4})-(luvu\w*|luku\w*|talet|tal\w*)", re.IGNORECASE)
_EN_DECADE = re.compile(r"\b(\d{4})s\b")
_CLOCK = re.compile(r"\b(kello|klo|klockan|kl\.?|at)\s+(\d{1,2})[.:](\d{2})\b", re.IGNORECASE)
_CLOCK_WORD = {"klo": "kello", "kl": "klockan"}
_HYPHENED = re.compile(r"\b(\d+)-(\w+)")  # "45-minute" / "45-minuuttinen"
_ORDINAL_FI = re.compile(r"\b(\d{1,2})\.(?=\s+[a-zåäö])")  # "3. joulukuuta"
_NUMBER = re.compile(r"\d+(?:[,.]\d+)?")
# Thousands written in groups: "1 200 euroa", "12 500" (a space, no-break or thin space), and in
# English "1,200": one number, not "yksi kaksisataa".
_GROUPED = re.compile("(?<![\\d,.])\\d{1,3}(?:[ \u00a0\u202f]\\d{3})+(?![\\d,])")
_EN_GROUPED = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?![\d,])")
_NEXT_WORD = re.compile(r"\s*(\w+)")


def fi_case_of(word: str) -> str:
    """The case a Finnish number takes before ``word`` ("minuutin" → genitive)."""
    w = word.lower()
    if not any(w.startswith(stem) for stem in _FI_NOUNS):
        return "nominative"
    if w.endswith(("tia", "ttia", "tta", "ttä", "oa", "ea", "ia", "ua", "tä", "ta", "ä", "a")) \
            and not w.endswith(("ssa", "ssä", "lla", "llä", "sta", "stä", "lta", "ltä", "na", "nä")):
        return "nominative"  # a partitive noun: the number itself is nominative
    for ending, case in _FI_CASE_ENDINGS:
        if w.endswith(ending):
            return case
    return "nominative"


def _year(n: int, lang: str) -> str:
    if lang == "en":
        return num2words(n, lang="en", to="year")
    if lang == "sv" and 1100 <= n < 2000:
        rest = n % 100
        return num2words(n // 100, lang="sv") + "hundra" + (num2words(rest, lang="sv") if rest else "")
    return num2words(n, lang=lang).replace(" ", "")  # a Finnish compound is one word


def _decimal(raw: str, lang: str, case: str) -> str:
    whole, _, frac = raw.replace(",", ".").partition(".")
    if not frac:
        return speak.number(int(whole), lang, case)
    comma = {"fi": "pilkku", "sv": "komma", "en": "point"}.get(lang, ",")
    return f"{speak.number(int(whole), lang, case)} {comma} {speak.digits(frac, lang).replace(',', '')}"


def say_numbers(text: str, lang: str) -> str:
    """``text`` with every number in words (see the module's docstring)."""
    if not any(c.isdigit() for c in text):
        return text

    def decade(m: re.Match[str]) -> str:
        year, tail = int(m.group(1)), m.group(2)
        return _year(year, lang) + tail

    def en_decade(m: re.Match[str]) -> str:
        words = _year(int(m.group(1)), "en")
        if words.endswith("hundred"):
            return words + "s"
        return words[:-1] + "ies" if words.endswith("y") else words + "s"

    def clock(m: re.Match[str]) -> str:
        word = _CLOCK_WORD.get(m.group(1).lower().rstrip("."), m.group(1))  # "klo" is not said
        return word + " " + speak.clock_short(int(m.group(2)), int(m.group(3)), lang)

    def hyphened(m: re.Match[str]) -> str:
        case = fi_case_of(m.group(2)) if lang == "fi" else "nominative"
        joiner = "-" if lang == "en" else " "
        return speak.number(int(m.group(1)), lang, case) + joiner + m.group(2)

    def ordinal(m: re.Match[str]) -> str:
        return speak.ordinal(int(m.group(1)), lang)

    text = _GROUPED.sub(lambda m: re.sub(r"\D", "", m.group(0)), text)
    if lang == "en":
        text = _EN_GROUPED.sub(lambda m: m.group(0).replace(",", ""), text)
    text = _DECADE.sub(decade, text)
    if lang == "en":
        text = _EN_DECADE.sub(en_decade, text)
    text = _CLOCK.sub(clock, text)
    text = _HYPHENED.sub(hyphened, text)
    if lang == "fi":
        text = _ORDINAL_FI.sub(ordinal, text)
    out: list[str] = []
    pos = 0
    for m in _NUMBER.finditer(text):
        out.append(text[pos:m.start()])
        case = "nominative"
        if lang == "fi":
            following = _NEXT_WORD.match(text, m.end())
            case = fi_case_of(following.group(1)) if following else "nominative"
        out.append(_decimal(m.group(0), lang, case))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)
