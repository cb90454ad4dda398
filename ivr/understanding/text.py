"""The one way answers are normalised before phrase matching: lower case, words only."""

from __future__ import annotations

import re

_CONTRACTIONS = {
    "did not": "didn't", "do not": "don't", "does not": "doesn't", "have not": "haven't",
    "has not": "hasn't", "was not": "wasn't", "is not": "isn't", "are not": "aren't",
    "can not": "can't", "cannot": "can't", "will not": "won't", "i am": "i'm", "it is": "it's",
    "that is": "that's", "who is": "who's", "what is": "what's", "didnt": "didn't",
    "dont": "don't", "havent": "haven't", "wasnt": "wasn't", "im": "i'm", "thats": "that's",
    "whos": "who's", "whats": "what's", "isnt": "isn't", "cant": "can't", "wont": "won't",
}  # fmt: skip
_CONTRACTION = re.compile(r"\b(" + "|".join(re.escape(k) for k in _CONTRACTIONS) + r")\b")


def normalize(text: str) -> str:
    """ "No, I did NOT." → "no i didn't"; keeps apostrophes, drops other punctuation."""
    text = text.lower().replace("’", "'").replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group(1)], text)


def phrase_pattern(phrases: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    """One regex matching any of ``phrases`` as whole words, longest first."""
    ordered = sorted({normalize(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in ordered) + r")\b")
