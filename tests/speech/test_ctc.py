"""The CTC temperature reader: its grammar, its decoding, and the shipped head on real audio."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from asr import ctc
from asr.recognizer import Recognizer
from ivr.errors import SpeechError
from ivr.speech import Synthesizer
from ivr.understanding import understand
from tests.speech.conftest import spoken


def _frames_saying(*words: str, frames_per_token: int = 4) -> np.ndarray:
    """Log-probabilities of a head sure of ``words`` (OTHER for "<w>"), blanks between."""
    rows = []
    for word in ("<b>", *words, "<b>"):
        for _ in range(frames_per_token):
            row = np.full(len(ctc.VOCAB), math.log(1e-6))
            row[ctc.INDEX[word]] = 0.0
            rows.append(row - np.logaddexp.reduce(row))
        blank = np.full(len(ctc.VOCAB), math.log(1e-6))
        blank[0] = 0.0
        rows.append(blank - np.logaddexp.reduce(blank))
    return np.array(rows)


@pytest.fixture(scope="module")
def grammar() -> ctc.TemperatureGrammar:
    return ctc.TemperatureGrammar(ctc.temperature_forms(34.0, 42.5))


def test_every_form_is_a_plausible_temperature_the_parser_agrees_on() -> None:
    forms = ctc.temperature_forms(34.0, 42.5)
    values = set(forms.values())
    # every tenth from 34.0 to 42.5 °C can be said, in Celsius
    assert {round(34.0 + i / 10, 1) for i in range(86)} <= values
    assert all(34.0 <= v <= 42.5 for v in values)
    for text, value in forms.items():
        assert all(word in ctc.INDEX for word in text.split()), text
        parsed = understand("temperature", text, min_c=34.0, max_c=42.5)
        assert parsed is not None and round(float(parsed.value), 1) == value
    assert forms["ninety eight point six"] == 37.0
    assert forms["thirty eight and a half"] == 38.5
    assert forms["a hundred and one"] == 38.3
    # read off a display digit by digit, and the tenth after "and" (as "36度5" is said)
    assert forms["three six point four"] == 36.4
    assert forms["three seven two"] == 37.2
    assert forms["thirty six and five"] == 36.5
    assert forms["thirty eight degrees and a half"] == 38.5
    assert "three seven" not in forms  # no reading: 37, or 3 and 7?


def test_the_grammar_reads_the_number_between_other_words(grammar: ctc.TemperatureGrammar) -> None:
    said = _frames_saying("<w>", "<w>", "thirty", "six", "point", "eight", "degrees")
    reading = grammar.read(said)
    assert reading.value == 36.8
    assert reading.shares[36.8] > 0.99
    assert reading.forms[36.8] == "thirty six point eight"
    # a repeated word needs a blank between its two tokens to count twice
    assert grammar.read(_frames_saying("thirty", "nine", "point", "nine")).value == 39.9
    assert grammar.read(_frames_saying("<w>", "three", "seven", "two")).value == 37.2
    fahrenheit = grammar.read(_frames_saying("ninety", "nine", "point", "five", "fahrenheit"))
    assert fahrenheit.value == 37.5


def test_a_number_before_the_reading_is_not_the_reading(grammar: ctc.TemperatureGrammar) -> None:
    def said(*words: str) -> ctc.GrammarReading:  # a trained head's spikes: a frame a word
        return grammar.read(_frames_saying(*words, frames_per_token=1))

    # a reading said again: the last is the reading
    again = said("thirty", "eight", "<w>", "thirty", "nine", "point", "four")
    assert again.value == 39.4 and again.shares[39.4] > 0.99
    # a carrier word heard as a number ("the old one says a hundred point four")
    carrier = said("<w>", "one", "<w>", "a", "hundred", "point", "four")
    assert carrier.value == 38.0 and carrier.shares[38.0] > 0.99
    # a number before the reading costs something: a clean reading is surer
    clean = said("<w>", "<w>", "<w>", "a", "hundred", "point", "four")
    assert clean.shares[38.0] > carrier.shares[38.0]
    # many numbers before one: no reading at all, rather than a guess
    assert said(*["thirty"] * 12, "thirty", "six").value is None


def test_no_number_said_reads_as_none(grammar: ctc.TemperatureGrammar) -> None:
    reading = grammar.read(_frames_saying("<w>", "<w>", "<w>"))
    assert reading.value is None and reading.no_number > 0.99
    # an implausible number is no temperature either: "six" alone is not in the grammar
    assert grammar.read(_frames_saying("<w>", "six", "<w>")).value is None


def test_readings_of_several_views_are_averaged() -> None:
    said = ctc.GrammarReading(
        {36.8: 0.6, 36.0: 0.3}, 0.1, {36.8: "thirty six eight", 36.0: "thirty six"}
    )
    scaled = ctc.GrammarReading(
        {36.8: 0.9, 37.8: 0.1}, 0.0, {36.8: "thirty six point eight", 37.8: "x"}
    )
    mean = ctc.GrammarReading.mean([said, scaled])
    assert mean.shares == pytest.approx({36.8: 0.75, 36.0: 0.15, 37.8: 0.05})
    assert mean.no_number == pytest.approx(0.05)
    assert mean.value == 36.8 and mean.forms[36.8] == "thirty six eight"  # the first view's form
    assert mean.forms[37.8] == "x"
    # "no number" in every view stays no number
    nothing = ctc.GrammarReading({36.0: 0.1}, 0.9, {36.0: "thirty six"})
    assert ctc.GrammarReading.mean([nothing, nothing]).value is None


def test_greedy_reading_keeps_words_and_drops_other_words() -> None:
    said = _frames_saying("<w>", "thirty", "seven", "and", "a", "half")
    reading = ctc.greedy(said)
    assert reading.text == "thirty seven and a half" and reading.log_prob > -1.0
    # a word said twice needs a blank between: the helper puts one after every word
    assert ctc.greedy(_frames_saying("one", "one")).text == "one one"


def test_the_beam_finds_the_most_probable_sequence_not_path() -> None:
    vocab = ("<b>", "<w>", "a", "b")
    # two frames, "a" at 0.4 in each: the best single path is two blanks (0.36), but "a" has
    # three paths (a a, a -, - a: 0.64); greedy reads nothing, the beam reads "a"
    frames = np.log(np.array([[0.6, 1e-6, 0.4, 1e-6]] * 2))
    assert ctc.greedy(frames, vocab).text == ""
    readings = ctc.beam(frames, vocab, width=4)
    assert [r.text for r in readings[:2]] == ["a", ""]
    assert readings[0].log_prob == pytest.approx(np.log(0.64), abs=1e-5)
    assert readings[1].log_prob == pytest.approx(np.log(0.36), abs=1e-5)
    # a label said twice needs a blank between; without one it is said once
    twice = np.log(np.array([[1e-6, 1e-6, 1.0, 1e-6], [1.0, 1e-6, 1e-6, 1e-6],
                             [1e-6, 1e-6, 1.0, 1e-6]]))  # fmt: skip
    assert ctc.beam(twice, vocab)[0].text == "a a"
    assert ctc.beam(twice[[0, 2]], vocab)[0].text == "a"
    # on clear frames the best reading is greedy's, and no more than ``width`` come back
    said = _frames_saying("<w>", "thirty", "seven", "and", "a", "half")
    best = ctc.beam(said, width=3)
    assert best[0].text == ctc.greedy(said).text and len(best) <= 3
    assert all(a.log_prob >= b.log_prob for a, b in itertools.pairwise(best))


def test_targets_map_other_words_to_one_token() -> None:
    assert ctc.target("It's thirty-six point five, degree") == [
        ctc.INDEX[w] for w in ("<w>", "thirty", "six", "point", "five", "degrees")
    ]


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("thirty seven point two", 37.2),
        ("my temperature is thirty eight and a half", 38.5),
        ("ninety nine point one fahrenheit", 37.3),
    ],
)
def test_the_shipped_head_reads_the_bot_voice(
    recognizer: Recognizer, bot_voice: Synthesizer, said: str, value: float
) -> None:
    pcm = spoken(bot_voice, said)
    result = recognizer.recognize_sync(pcm, "temperature")
    assert result.value == value, (said, result.text, result.extra)
    assert "reader" in result.extra
    # with the head, Whisper decodes once, unprompted (the transcript, intents, noise guard)
    assert result.hypotheses and not any(h.prompted for h in result.hypotheses)


def test_each_temperature_head_reads_on_its_own(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    # heads trained apart (two on tiny.en's encoder, one on base's); their grammar readings
    # are averaged, so each must be a reader
    assert len(recognizer._readers) == len(ctc.TEMPERATURE_WEIGHTS) == 3
    grammar = recognizer._grammar
    assert grammar is not None
    audio, _, _ = recognizer.speech(spoken(bot_voice, "thirty eight point four"))
    assert audio is not None
    frames = recognizer.head_frames(audio)
    readings = [grammar.read(h.log_probs(frames[h.encoder])) for h in recognizer._readers]
    assert [r.value for r in readings] == [38.4, 38.4, 38.4]
    both = ctc.GrammarReading.mean(readings)
    assert both.value == 38.4 and both.shares[38.4] >= min(r.shares[38.4] for r in readings)


def test_heads_read_tiny_en_s_and_base_s_encoders(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    # tiny.en writes the transcript; its encoder's frames come with the decode, base's are
    # encoded beside it
    assert not recognizer.model.model.is_multilingual
    assert (
        recognizer._encoders.keys() == {"tiny.en", "base"} and not recognizer._encoders["tiny.en"]
    )
    for kind in ("yes_no", "intent"):
        assert [h.encoder for h in recognizer._answers[kind]] == ["tiny.en", "base"]
    assert [h.encoder for h in recognizer._readers] == ["tiny.en", "tiny.en", "base"]
    audio, _, _ = recognizer.speech(spoken(bot_voice, "thirty eight point four"))
    assert audio is not None
    frames = recognizer.head_frames(audio)
    assert np.array_equal(frames["tiny.en"], recognizer.encoder_frames(audio))
    assert len(frames["tiny.en"]) == len(frames["base"])  # one row per 20 ms in both
    assert frames["tiny.en"].shape[1] == 384 and frames["base"].shape[1] == 512
    assert {h.dim for h in recognizer._readers} == {384, 512}


def test_a_head_whose_encoder_is_not_loaded_is_refused(recognizer: Recognizer) -> None:
    heads = object.__new__(Recognizer)  # only the heads: what _head_encoders looks at
    heads._readers = recognizer._readers
    heads._answers = {}
    with pytest.raises(SpeechError, match="reads base's encoder, and it is not loaded"):
        heads._head_encoders("tiny.en", None)
    loaded: list[str] = []
    encoders = heads._head_encoders("tiny.en", lambda name: loaded.append(name) or name)
    assert encoders == {"base": "base", "tiny.en": None} and loaded == ["base"]


def test_the_head_can_be_switched_off(speech_settings, bot_voice: Synthesizer) -> None:
    settings = speech_settings.model_copy(update={"asr_temperature_reader": False})
    recognizer = Recognizer.shared(settings)
    pcm = spoken(bot_voice, "thirty six point five")
    result = recognizer.recognize_sync(pcm, "temperature")
    assert "reader" not in result.extra
    assert any(h.prompted for h in result.hypotheses)


@pytest.mark.parametrize(
    ("said", "expect", "value"),
    [("no I didn't", "yes_no", False), ("yes I did", "yes_no", True),
     ("please stop calling me", "intent", "opt_out")],
)  # fmt: skip
def test_the_answers_head_reads_along(
    recognizer: Recognizer, bot_voice: Synthesizer, said: str, expect: str, value: object
) -> None:
    pcm = spoken(bot_voice, said)
    result = recognizer.recognize_sync(pcm, expect)  # type: ignore[arg-type]
    assert result.value == value, (result.text, result.extra)
    heard = result.extra["answer_reader"]
    parsed = understand(expect, heard)  # type: ignore[arg-type]
    assert parsed is not None and parsed.value == value, heard


def test_requests_are_read_by_a_head_that_knows_people_s_own_words(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    # "time" is no word of the tiny.en answers head (our own phrasings); people wrote it, and
    # the request heads (base's reads yes/no too) know it
    tiny_answers, base_answers = recognizer._answers["yes_no"]
    assert "time" not in tiny_answers.vocab
    assert all("time" in head.vocab for head in recognizer._answers["intent"])
    assert base_answers is recognizer._answers["intent"][1]
    said = "I missed what you said, can you repeat it one more time"
    result = recognizer.recognize_sync(spoken(bot_voice, said), "intent")
    assert result.value == "repeat"
    assert "time" in result.extra["answer_reader"].split(), result.extra
