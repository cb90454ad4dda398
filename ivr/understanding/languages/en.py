"""English spoken numbers → digits: "thirty six point five" → "36.5", "ninety eight six" → "98 6";
and back (``number_words``), for what the robot says and for the speech models' grammar.
"""

from __future__ import annotations

import re

ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
DIGIT_WORDS = tuple(ONES)  # "zero" ... "nine"
_TENS_WORDS = {value: word for word, value in TENS.items() if word != "fourty"}
DECIMAL_MARKERS = frozenset({"point", "points", "dot", "decimal", "comma"})  # "comma": 37,2
# After a decimal marker a short word can only be a digit; recognisers write these homophones,
# and British speakers say "nought".
DECIMAL_HOMOPHONES = {
    "oh": 0, "o": 0, "nought": 0, "naught": 0, "to": 2, "too": 2, "for": 4, "ate": 8, "won": 1,
}  # fmt: skip
HALF = ["and", "a", "half"]
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z']+")
# Sounds of thinking, never part of a number: "thirty six, um, point six" is 36.6
HESITATIONS = frozenset({"um", "umm", "uh", "uhh", "er", "erm", "hmm", "mm", "ah"})


def number_words(n: int) -> str:
    """English words for 0–999 (all a body temperature or a mask count needs):
    101 → "one hundred and one"."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 10:
        return DIGIT_WORDS[n]
    if n < 20:
        return list(TEENS)[n - 10]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS_WORDS[10 * tens] + ("" if ones == 0 else f" {DIGIT_WORDS[ones]}")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        spoken = f"{DIGIT_WORDS[hundreds]} hundred"
        return spoken if rest == 0 else f"{spoken} and {number_words(rest)}"
    return str(n)


def _digit_after_marker(token: str) -> str | None:
    if token.isdigit():
        return token
    value = ONES.get(token, DECIMAL_HOMOPHONES.get(token))
    return None if value is None else str(value)


def _integer(tokens: list[str], i: int) -> tuple[int, int] | None:
    """An integer spelled in words from ``tokens[i]``: (value, index after it), or None."""
    current, j, seen = 0, i, False
    while j < len(tokens):
        word = tokens[j]
        after_hundred = current >= 100 and current % 100 == 0
        bare_tens = current % 100 >= 20 and current % 10 == 0
        if word in ONES and (not seen or after_hundred or bare_tens):
            current += ONES[word]
        elif word in TEENS and (not seen or after_hundred):
            current += TEENS[word]
        elif word in TENS and (not seen or after_hundred):
            current += TENS[word]
        elif word == "hundred" and current < 10:
            current = max(current, 1) * 100
        elif word == "a" and not seen and j + 1 < len(tokens) and tokens[j + 1] == "hundred":
            current = 1
        elif (
            word == "and"
            and after_hundred
            and j + 1 < len(tokens)
            and is_number_word(tokens[j + 1])
        ):
            pass
        else:
            break
        seen = True
        j += 1
    return (current, j) if seen else None


def is_number_word(word: str) -> bool:
    return word in ONES or word in TEENS or word in TENS


def _number(tokens: list[str], i: int) -> tuple[str, int] | None:
    """A number (words or digits, with decimals) starting at ``tokens[i]``."""
    token = tokens[i]
    if token[0].isdigit():
        whole, j = token, i + 1
        # "100 and 2": a recogniser's digits for "one hundred and two"
        if token in ("100", "200") and tokens[j : j + 1] == ["and"] and j + 1 < len(tokens):
            rest = tokens[j + 1]
            if rest.isdigit() and int(rest) < 100:
                whole, j = str(int(token) + int(rest)), j + 2
            elif "." in rest and rest.split(".")[0].isdigit() and int(rest.split(".")[0]) < 100:
                # "100 and 1.5": digits for "one hundred and one point five"
                whole, j = f"{int(token) + int(rest.split('.')[0])}.{rest.split('.')[1]}", j + 2
    else:
        parsed = _integer(tokens, i)
        if parsed is None:
            return None
        whole, j = str(parsed[0]), parsed[1]
    if "." in whole:
        return whole, j
    if j + 1 < len(tokens) and tokens[j] in DECIMAL_MARKERS:
        decimals = ""
        k = j + 1
        while k < len(tokens) and (digit := _digit_after_marker(tokens[k])) is not None:
            decimals += digit
            k += 1
            if len(digit) > 1 or len(decimals) >= 2:  # temperatures have one decimal
                break
        if decimals:
            return f"{whole}.{decimals}", k
    if tokens[j : j + 1] and tokens[j] in DECIMAL_MARKERS and tokens[j + 1 : j + 4] == HALF:
        return f"{whole}.5", j + 4  # "36 points and a half"
    if tokens[j : j + 3] == ["and", "a", "half"]:
        return f"{whole}.5", j + 3
    if tokens[j : j + 1] in (["degrees"], ["degree"]) and tokens[j + 1 : j + 4] == HALF:
        return f"{whole}.5", j + 4  # "38 degrees and a half": the half was lost, 38.0
    if tokens[j : j + 2] == ["and", "half"]:
        return f"{whole}.5", j + 2
    return whole, j


class English:
    code = "en"
    fahrenheit_words = ("fahrenheit", "farenheit", "fahrenheight", "f")
    celsius_words = ("celsius", "centigrade", "celcius", "c")
    bounds_before = tuple(
        tuple(phrase.split())
        for phrase in ("under", "over", "above", "below", "almost", "nearly", "than",
                       "at least", "at most", "up to", "not quite", "between", "beyond")
    )  # fmt: skip
    # "up to" after a verb of rising says where the thermometer got: a reading
    readings_before = tuple(
        (verb, "up", "to")
        for verb in ("come", "came", "gone", "went", "got", "gotten", "climbed", "crept",
                     "shot", "risen", "rose", "gets", "goes", "comes", "going")
    )  # fmt: skip
    bounds_after = (("or", "more"), ("or", "less"), ("or", "above"), ("or", "over"),
                    ("or", "higher"), ("or", "lower"), ("or", "below"), ("or", "under"),
                    ("plus",), ("something",), ("odd",), ("and", "a", "bit"),
                    ("and", "a", "little"))  # fmt: skip
    range_joiners = (("to",), ("or",), ("and",), ("or", "maybe"), ("maybe",))

    def to_digits(self, text: str) -> str:
        text = text.lower().replace("-", " ").replace("°", " degrees ")
        text = re.sub(r"(\d),(\d)(?!\d)", r"\1.\2", text)  # "36,5": a decimal comma
        tokens = [t for t in _TOKEN.findall(text) if t not in HESITATIONS]
        out: list[str] = []
        i = 0
        while i < len(tokens):
            found = _number(tokens, i)
            if found is None:
                out.append(tokens[i])
                i += 1
            else:
                out.append(found[0])
                i = found[1]
        return " ".join(out)
