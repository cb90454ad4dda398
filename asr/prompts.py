"""What the recogniser is told to expect: a short text "said before" the answer.

Whisper continues the style and vocabulary of its prompt, so a prompt full of temperatures
makes "thirty six point five" come out as "36.5" instead of "36 point time". A prompt can also
talk the model into hearing what is not there, which is why every answer is also decoded
without one and the hypotheses are weighed together (see ``asr.recognizer``).
"""

from __future__ import annotations

from collections.abc import Sequence

# Several prompts per kind of answer: each biases the decoder differently, and their n-best
# lists vote together, so no single prompt's quirk decides (measured on the dev split).
PROMPTS: dict[str, tuple[str, ...]] = {
    "temperature": (
        "Thirty-six point five. Thirty-seven point two degrees. Thirty-five point nine. "
        "Thirty-nine point one. Ninety-eight point six Fahrenheit. Thirty-eight and a half.",
        # digits: a view that writes "38.5" where the word prompt wrote "Ninety-eight". It
        # replaced a second word prompt: dev 0.70 -> 0.72 with one decode less (a third prompt
        # on top cost ~70 ms CPU for no gain on dev; docs/decisions.md).
        "36.5 degrees. 37.2. 38.1 degrees. 35.9. 98.6 Fahrenheit. 39.4. 100.2 Fahrenheit.",
    ),
    "yes_no": ("Did you go out today? No, I didn't. Yes. Yeah. Nope. Sure. I stayed home.",),
    "intent": (
        "Sorry, can you repeat that? Who is calling? Stop calling me. "
        "I want to talk to a real person.",
    ),
    "digits": ("Please say the digits. 1 2 3 4 5 6 7 8 9 0.",),
    "free": (),
}


def prompts_for(expect: str, options: Sequence[str] = ()) -> tuple[str, ...]:
    if expect == "choice":
        return ("Which one? " + ". ".join(options) + ".",) if options else ()
    return PROMPTS.get(expect, ())
