"""Recognition on telephone-band audio from voices never used for tuning (held-out split).

The floors are what the method reaches today on this set, a little below the measured figure
so a regression fails; they are NOT the 95 % target (see docs/performance.md).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import numpy as np
import pytest

from asr.canonical import MAX_CONFIDENCE
from asr.evaluate import evaluate
from asr.recognizer import (
    DOUBTFUL_MAX_CONFIDENCE,
    WHISPER_RATE,
    HeadReading,
    Hypothesis,
    Recognizer,
)
from asr.testset import _speak, load, telephone_line
from ivr.audio import SAMPLE_RATE, from_float, resample, scaled, to_float
from ivr.dialogue.session import ACCEPT_CONFIDENCE
from ivr.script import load_script
from ivr.speech import Synthesizer
from ivr.understanding import Asked, understand
from ivr.understanding.intents import ACT_CONFIDENCE
from ivr.understanding.learned import LEARNED_CONFIDENCE
from tests.speech.conftest import spoken

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"

# Measured on this CI set (one clip of 24 is 0.04), in two renders with sox dither (ts5; piper and
# the dither were not deterministic, and that alone moved 4 temperatures): temperature 0.25 and
# 0.42, yes_no 0.79 and 0.83, intent 0.79 and 0.75; in the dither-free render (ts6): 0.33, 0.83,
# 0.67; silence 1.0 always. The floors sit one clip below the lowest. Before the level gate,
# canonical yes/no and the digit prompt: 0.17, 0.67, 0.79.
# With the CTC heads (asr/ctc.py; ts6 render): temperature 0.875, yes_no 0.958, intent 0.708,
# silence 1.0, nothing wrong given with confidence >= 0.8. With the answers head retrained on
# wider phrasings and the intent cues (2026-11-26): yes_no 0.958, intent 0.875. With the
# answers head's n-best vote on requests and both heads trained with three held-out accents
# (night): temperature 0.875, yes_no 0.958, intent 0.917.
FLOORS = {"temperature": 0.8, "yes_no": 0.875, "intent": 0.875, "silence": 1.0}


@pytest.mark.slow
def test_accuracy_floors_on_heldout_voices(recognizer: Recognizer, testset_manifest: Path) -> None:
    evaluation = evaluate(recognizer, load(testset_manifest, "heldout"), testset_manifest.parent)
    accuracy = evaluation.accuracy()
    for kind, floor in FLOORS.items():
        assert accuracy[kind] >= floor, f"{kind}: {accuracy[kind]:.2%} below {floor:.0%}"
    # talk in the room with no answer is often heard as one, but never taken without read-back
    assert evaluation.confident_without_answer() == 0
    assert evaluation.wrong_values(min_confidence=0.8)["count"] <= 1


# The held-out clips 15 dB quieter: a caller far from the microphone or a weak handset (their
# voiced audio near -42 dBFS; the set is spoken at a line's nominal level). Measured
# 2026-11-27: temperature 0.833, yes_no 0.833, intent 0.917, silence 1.0. With the old level
# gate (-45 dBFS): 0.583, 0.667, 0.792. One clip below.
QUIET_FLOORS = {"temperature": 0.791, "yes_no": 0.791, "intent": 0.875, "silence": 1.0}


@pytest.mark.slow
def test_accuracy_floors_for_a_quiet_caller(recognizer: Recognizer, testset_manifest: Path) -> None:
    clips = load(testset_manifest, "heldout")
    evaluation = evaluate(recognizer, clips, testset_manifest.parent, level_db=-15.0)
    levels = [r.speech_dbfs for c, r in evaluation.results if c.label is not None]
    assert float(np.median(levels)) < -40.0  # the premise: 15 dB under a line's nominal level
    accuracy = evaluation.accuracy()
    for kind, floor in QUIET_FLOORS.items():
        assert accuracy[kind] >= floor, f"{kind}: {accuracy[kind]:.2%} below {floor:.0%}"
    assert evaluation.confident_without_answer() == 0
    assert evaluation.wrong_values(min_confidence=0.8)["count"] <= 1


# The same kind of set spoken by flite's awb (asr/testset.py "speaker"), a voice of another
# engine: measured 2026-11-26 with the temperature head trained on flite's other voices:
# temperature 0.917, yes_no 0.958, intent 0.75, silence 1.0 (before it: temperature 0.75 on
# the 60-per-kind render). One clip below. The temperature head trained on with the accents
# (night) reads one of these 24 less well (0.875; 0.933 -> 0.917 on the 60-per-kind render)
# and festival's ked one better: the floor keeps its one clip of margin, at 0.833.
# With the heads' views at other voice scales (late evening): yes_no 0.917, one answer under
# babble ("I didn't go anywhere") turned from a weak right no (0.53) to a weak wrong yes
# (0.34), read back either way. The yes_no floor had been written 0.917 for 22 of 24 clips,
# which is 0.9167 and so needed 23: 0.916 is the one clip below 0.958 it was meant to be.
SPEAKER_FLOORS = {"temperature": 0.833, "yes_no": 0.916, "intent": 0.708, "silence": 1.0}


@pytest.mark.slow
def test_accuracy_floors_on_a_voice_of_another_engine(
    recognizer: Recognizer, speaker_manifest: Path
) -> None:
    clips = load(speaker_manifest, "speaker")
    assert {c.voice.split(":")[1] for c in clips if c.voice} == {"awb"}
    evaluation = evaluate(recognizer, clips, speaker_manifest.parent)
    accuracy = evaluation.accuracy()
    for kind, floor in SPEAKER_FLOORS.items():
        assert accuracy[kind] >= floor, f"{kind}: {accuracy[kind]:.2%} below {floor:.0%}"
    assert evaluation.confident_without_answer() == 0
    assert evaluation.wrong_values(min_confidence=0.8)["count"] <= 1


def test_silence_and_noise_give_no_text(recognizer: Recognizer) -> None:
    rng = np.random.default_rng(3)
    for pcm in (bytes(32000), from_float(0.05 * rng.standard_normal(16000))):
        for expect in ("temperature", "yes_no", "intent", "free"):
            result = recognizer.recognize_sync(pcm, expect)  # type: ignore[arg-type]
            assert result.text == "" and result.value is None and result.confidence == 0.0


@pytest.mark.parametrize(
    "voice", ["espeak:en-gb-x-gbclan+f2:179:56", "espeak:en-gb-x-gbclan+zac:150:50"]
)
def test_a_yup_whisper_writes_as_you_is_read_by_the_heads(
    recognizer: Recognizer, voice: str
) -> None:
    """Whisper writes "You." for a short "yup" in these voices: a phrase it also writes for
    noise, so the answer was thrown away as noise, though Whisper was sure there was speech
    (no-speech probability ~0.2). Now only a noise phrase that Whisper itself doubts is noise;
    this one the answers head reads, and it is read back (held at DOUBTFUL_MAX_CONFIDENCE)."""
    silence = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    said = _speak(voice, "yup")
    pcm = telephone_line(from_float(np.concatenate([silence, 0.3 * said / np.abs(said).max(),
                                                    silence])))  # fmt: skip
    result = recognizer.recognize_sync(pcm, "yes_no")
    assert result.value is True and result.confidence <= DOUBTFUL_MAX_CONFIDENCE, result.extra
    # talk in the room written "Thank you.", Whisper doubting any speech: still noise
    assert recognizer._is_noise(Hypothesis("Thank you.", -1.36, False), 0.85)
    assert not recognizer._is_noise(Hypothesis("You.", -1.46, False), 0.21)


def test_speech_quieter_than_any_answer_gives_nothing(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    """A voice far in the background (a television) is not taken for the resident's answer."""
    pcm = scaled(spoken(bot_voice, "yes"), -50.0)  # 50 dB down
    result = recognizer.recognize_sync(pcm, "yes_no")
    assert result.value is None and result.text == ""
    assert result.speech_dbfs < recognizer.config.min_speech_dbfs


def test_a_quiet_caller_is_heard(recognizer: Recognizer, bot_voice: Synthesizer) -> None:
    """A resident far from the handset's microphone, some 20 dB under the test set's answers,
    on a line whose own noise is 20 dB under that: quieter than the level gate used to let
    through (-45 dBFS), and still the answer."""
    speech = to_float(spoken(bot_voice, "thirty six point five")) * 10 ** (-30 / 20)
    line = np.random.default_rng(5).standard_normal(len(speech)).astype(np.float32)
    level = np.sqrt(np.mean(speech[np.abs(speech) > 1e-4] ** 2))
    pcm = from_float(speech + line * level * 10 ** (-20 / 20))
    result = recognizer.recognize_sync(pcm, "temperature")
    assert -50.0 < result.speech_dbfs < -45.0  # the premise: quiet, but a voice on the line
    assert result.value == 36.5


def test_canonical_answers_score_what_was_said(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    for said, answer in (("yes", True), ("no I did not", False)):
        pcm = spoken(bot_voice, said)
        audio = resample(to_float(pcm), SAMPLE_RATE, WHISPER_RATE)
        choice = recognizer._canonical_yes_no(audio)
        assert choice is not None and choice.answer is answer, said
        assert 0.0 < choice.confidence <= MAX_CONFIDENCE


def test_bot_voice_temperature_is_understood(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    pcm = spoken(bot_voice, "thirty six point five")
    result = recognizer.recognize_sync(pcm, "temperature")
    assert result.value == 36.5
    assert result.hypotheses and 0.0 < result.confidence <= 1.0


def test_a_bound_is_not_read_as_the_temperature(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    """The head's grammar reads the number of "over thirty-eight degrees" and had stored 38.0
    at 0.855, without reading it back; Whisper's words say it is a bound, so it is asked again."""
    for said in ("Over thirty eight degrees.", "Almost thirty eight.", "Thirty seven something."):
        result = recognizer.recognize_sync(spoken(bot_voice, said), "temperature")
        assert result.value is None, (said, result.text, result.extra)
        assert "said_a_bound" in result.extra, (said, result.text)


def test_only_a_request_to_act_on_replaces_the_heads_temperature(
    recognizer: Recognizer, bot_voice: Synthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where Whisper hears no number, a request in its words is the answer ("sorry" had been
    read "forty" by the head). Words it made of an unfamiliar voice's temperature ("What do
    you kill?") are a request too weak for the dialogue to act on, and used to throw away the
    head's reading all the same. Whisper's mishearing is that voice's, not the bot's, so its
    words are put in place of what it heard; the head reads the real audio."""

    pcm = spoken(bot_voice, "thirty eight")
    decode = recognizer._decode

    def hearing(*words: str):  # type: ignore[no-untyped-def]
        def misheard(audio, prompts, abandoned, every_encoder=False):  # type: ignore[no-untyped-def]
            decoded = decode(audio, prompts, abandoned, every_encoder)
            assert decoded is not None
            heard = [Hypothesis(w, -0.9 - 0.1 * n, False) for n, w in enumerate(words)]
            return heard, decoded[1], decoded[2]

        return misheard

    monkeypatch.setattr(recognizer, "_decode", hearing("What do you kill?", "What do you care?"))
    weak = recognizer.recognize_sync(pcm, "temperature")
    assert weak.value == 38.0 and weak.confidence <= 0.6, weak.extra  # kept, read back
    assert weak.intent is None or weak.intent.confidence < ACT_CONFIDENCE
    monkeypatch.setattr(recognizer, "_decode", hearing("Sorry, can you repeat that?"))
    request = recognizer.recognize_sync(pcm, "temperature")
    assert request.value is None and request.intent is not None
    assert request.intent.value == "repeat", request.extra


def test_an_intent_is_noticed_whatever_was_expected(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    pcm = spoken(bot_voice, "Sorry, can you repeat that?")
    result = recognizer.recognize_sync(pcm, "temperature")
    assert result.value is None
    assert result.intent is not None and result.intent.value == "repeat"


def test_words_that_answer_neither_are_not_made_a_yes_or_no(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    """ "I'm not sure" is no answer: neither the canonical yes/no scoring (which made "I'm not
    feeling well" a no, 0.66) nor another reading ("I'm that sure", a yes at 0.79) may make
    it one; the question is asked again."""
    for said in ("I'm not sure.", "I'm not feeling well.", "Not sure, maybe.", "Perhaps."):
        result = recognizer.recognize_sync(spoken(bot_voice, said), "yes_no")
        assert result.value is None, (said, result.text, result.extra)


def test_a_canonical_guess_on_longer_words_is_below_the_dialogues_line(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    """The canonical yes/no scoring is sure enough for a short answer Whisper misheard; of
    "Hold on, I'll get my husband." it made a yes (0.56), which the dialogue would have
    stored. On longer words its choice is reported as a guess, which the dialogue asks again."""
    for said in ("Hold on, I'll get my husband.", "What's this about?", "Um, let me think."):
        result = recognizer.recognize_sync(spoken(bot_voice, said), "yes_no")
        assert result.value is None or result.confidence < ACCEPT_CONFIDENCE, (said, result.text)


def test_a_question_back_is_no_answer_to_the_robots(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    """Whisper writes a "Yes." or "No." after a question the resident asks ("Can I get more
    than five? Yes."), as if it had been asked: on answers in people's own words that made
    16 questions back a yes or a no the dialogue stored. A question of one or two words said
    back before the answer ("Me? No.") still counts."""
    heard = load_script(SCRIPTS / "mask_notice.yaml").step("heard").asked
    for said in ("How many masks was it?", "Can you text it to me instead?",
                 "Can I get more than five?"):  # fmt: skip
        result = recognizer.recognize_sync(spoken(bot_voice, said), "yes_no", heard)
        assert result.value is None or result.confidence < ACCEPT_CONFIDENCE, (said, result.text)

    def choose(*texts: str) -> object:
        hypotheses = [Hypothesis(t, -0.3 - 0.1 * n, False) for n, t in enumerate(texts)]
        understood = recognizer._choose(hypotheses, "yes_no", Asked())[1]
        return None if understood is None else understood.value

    assert choose("Can my son collect them for me? Yes.") is None
    assert choose("Can you say it again? Yeah. Can you say it again?") is None
    assert choose("Me? No.") is False
    assert choose("Did I go out? No, I didn't.") is False


def test_the_head_alone_is_no_answer_against_words_whisper_was_sure_of(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    """Whisper heard "Why do you need to know that?" plainly; the answers head, which knows
    only answer words, spelled it "why you no", and that no alone was taken (0.76 on the
    own-words answers, eight such wrong answers there). Now it is a guess, asked again."""
    went_out = load_script(SCRIPTS / "temperature_checkin.yaml").step("went_out").asked
    pcm = spoken(bot_voice, "Why do you need to know that?")
    result = recognizer.recognize_sync(pcm, "yes_no", went_out)
    assert result.value is None or result.confidence < ACCEPT_CONFIDENCE, result.extra
    # an answer Whisper heard is not touched
    stayed = recognizer.recognize_sync(spoken(bot_voice, "No, I stayed home."), "yes_no", went_out)
    assert stayed.value is False and stayed.confidence >= ACCEPT_CONFIDENCE


def test_the_question_gives_heard_words_their_meaning(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    """Spoken "I'm not feeling well" is no answer to most questions, a yes to the shipped
    check-in's "any symptoms?", whose own phrases reach the parsers through recognition."""
    symptoms = load_script(SCRIPTS / "temperature_checkin.yaml").step("symptoms").asked
    pcm = spoken(bot_voice, "I'm not feeling well.")
    assert recognizer.recognize_sync(pcm, "yes_no").value is None
    asked = recognizer.recognize_sync(pcm, "yes_no", symptoms)
    assert asked.value is True and asked.confidence >= ACCEPT_CONFIDENCE, asked.text
    # the answers head spells "I have a headache" as "I haven't", a no; Whisper heard the
    # question's own words, and against those the head's vote counts less
    pcm = spoken(bot_voice, "I have a headache.")
    ache = recognizer.recognize_sync(pcm, "yes_no", symptoms)
    assert ache.value is True and ache.confidence >= ACCEPT_CONFIDENCE, (ache.text, ache.extra)
    fine = recognizer.recognize_sync(spoken(bot_voice, "I'm good, thanks."), "yes_no", symptoms)
    assert fine.value is False and fine.confidence >= ACCEPT_CONFIDENCE, fine.text


async def test_concurrent_recognitions_share_the_pool(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    answers = {"yes": True, "no": False, "yes I did": True, "no I stayed home": False}
    clips = {text: bytes(4000) + bot_voice.synthesize(text).pcm for text in answers}
    results = await asyncio.wait_for(
        asyncio.gather(*(recognizer.recognize(pcm, "yes_no") for pcm in clips.values())),
        timeout=60,
    )
    assert [r.value for r in results] == list(answers.values())
    assert all(r.asr_ms > 0 for r in results)


async def test_a_cancelled_recognition_stops_after_encoding(
    recognizer: Recognizer, bot_voice: Synthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A speculative recognition whose speaker went on is cancelled; if a worker is already
    encoding it, the decodes (most of the cost) must not run for nothing."""
    pcm = spoken(bot_voice, "thirty six point five")
    encoding, release = threading.Event(), threading.Event()
    real_encode = recognizer._encode

    def held_encode(audio: np.ndarray, window_s: float) -> object:
        encoding.set()  # the worker has the job: cancelling can no longer drop it from the queue
        release.wait(10)
        return real_encode(audio, window_s)

    monkeypatch.setattr(recognizer, "_encode", held_encode)
    before = recognizer.stats
    task = asyncio.create_task(recognizer.recognize(pcm, "temperature"))
    assert await asyncio.to_thread(encoding.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    for _ in range(200):
        if recognizer.stats["abandoned_after_encoding"] > before["abandoned_after_encoding"]:
            break
        await asyncio.sleep(0.05)
    after = recognizer.stats
    assert after["abandoned_after_encoding"] == before["abandoned_after_encoding"] + 1
    assert after["ran"] == before["ran"] + 1
    assert after["cancelled_before_running"] == before["cancelled_before_running"]


@pytest.mark.parametrize("seconds", [0.01, 1.0, 2.2, 9.9, 10.0, 12.0])
def test_window_features_equal_the_padded_windows(seconds: float) -> None:
    from faster_whisper.feature_extractor import FeatureExtractor

    from asr.recognizer import window_features

    extractor = FeatureExtractor()
    rng = np.random.default_rng(7)
    audio = (0.1 * rng.standard_normal(int(seconds * WHISPER_RATE))).astype(np.float32)
    padded = np.zeros(10 * WHISPER_RATE, dtype=np.float32)
    padded[: min(len(audio), len(padded))] = audio[: len(padded)]
    expected = extractor(padded)[:, :1000]
    got = window_features(extractor, audio, 10.0)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize(
    ("text", "loops"),
    [("No, no, no, no.", True), ("I'm going to say that " * 3, True),
     ("no I did not, no", False), ("no no", False), ("thirty six point six", False)],
)  # fmt: skip
def test_a_looping_transcript_is_noticed(text: str, loops: bool) -> None:
    from asr.recognizer import _repeats_a_word

    assert _repeats_a_word(text) is loops


@pytest.mark.parametrize(
    ("text", "number"),
    [("36.5", True), ("thirty six", True), ("point five", True), ("one hundred", True),
     ("I miss you, please.", False), ("Thank you. Go anywhere.", False), ("", False)],
)  # fmt: skip
def test_whisper_transcripts_that_say_a_number(text: str, number: bool) -> None:
    from asr.recognizer import _says_a_number

    assert _says_a_number(text) is number


def test_the_answers_head_confirms_a_fuller_whisper_reading(recognizer: Recognizer) -> None:
    from ivr.understanding import understand

    def choose(whisper: list[str], head: str) -> object:
        hypotheses = [Hypothesis(text, -0.2 - 0.1 * n, False) for n, text in enumerate(whisper)]
        reading = [HeadReading(head, understand("intent", head), 1.0)]
        return recognizer._choose(hypotheses, "intent", Asked(), also=reading)[1].value  # type: ignore[union-attr]

    # the head knew only "what" of the question; alone it is a repeat request
    assert understand("intent", "what").value == "repeat"  # type: ignore[union-attr]
    assert choose(["What company is this?", "What company is it?"], "what") == "who_is_calling"
    # words Whisper did not hear are the head's own evidence, and still vote as such
    assert choose(["What company is this?"], "can you repeat that") == "repeat"


def test_the_answers_head_decides_a_flat_disagreement(recognizer: Recognizer) -> None:
    from ivr.understanding import understand

    hypotheses = [Hypothesis("Yeah.", -0.2, False), Hypothesis("Yeah!", -0.3, False)]
    _, understood, confidence = recognizer._choose(
        hypotheses, "yes_no", Asked(), also=[HeadReading("nah", understand("yes_no", "nah"), 1.0)]
    )
    assert understood is not None and understood.value is False
    assert confidence < 0.8  # read back: the two readers did not agree
    # unless Whisper heard the question's own words, which the head never learned to spell
    ache = [Hypothesis("I have a headache.", -0.2, False)]
    asked = Asked(affirm=("I have a headache",))
    head = [HeadReading("i haven't", understand("yes_no", "i haven't"), 1.0)]
    assert recognizer._choose(ache, "yes_no", Asked(), also=head)[1].value is False  # type: ignore[union-attr]
    assert recognizer._choose(ache, "yes_no", asked, also=head)[1].value is True  # type: ignore[union-attr]


def test_the_prompts_own_sentence_heard_by_nothing_else_is_no_answer(
    recognizer: Recognizer,
) -> None:
    """Where the plain decode heard only "Thank you very much." of a misheard opt-out, the
    decode prompted with example requests wrote the prompt's "I want to talk to a real
    person.": the decoder going on with its prompt, not the resident (five such requests on
    five renders of the held-out voices)."""

    def choose(plain: list[str], prompted: list[str], head: str = "") -> object:
        hypotheses = [Hypothesis(t, -1.1 - 0.1 * n, False) for n, t in enumerate(plain)]
        hypotheses += [Hypothesis(t, -1.0 - 0.1 * n, True) for n, t in enumerate(prompted)]
        also = [HeadReading(head, understand("intent", head, learned=False), 1.0)] if head else []
        understood = recognizer._choose(hypotheses, "intent", Asked(), also=also)[1]
        return None if understood is None else understood.value

    echo = ["I want to talk to a real person.", "Can you repeat that? Can you repeat that?"]
    assert choose(["Thank you very much.", "Thank you."], echo[:1]) is None
    assert choose(["Thank you very much."], echo[1:]) is None
    # heard by the plain decode or by the head too, the same words are the answer
    assert choose(["I want to talk to a person."], echo[:1]) == "human"
    assert choose(["Thank you very much."], echo[:1], head="a real person") == "human"
    # the prompt's words are no echo where they are not a sentence of it
    assert choose(["Thank you."], ["Could you repeat the question?"]) == "repeat"


def test_a_near_reading_of_the_answers_head_carries_a_request(recognizer: Recognizer) -> None:
    from ivr.understanding import understand

    def head(*readings: tuple[str, float]) -> list[HeadReading]:
        # as the recogniser reads them: by the rules (the learned weights come after the vote)
        return [HeadReading(t, understand("intent", t, learned=False), s) for t, s in readings]

    whisper = [Hypothesis("So if you get my gun.", -0.3, False)]  # nothing a request says
    fragment = ("oh you get my thumb this", 0.8)  # the head's best reading: nothing either
    near = ("oh you get my number this", 0.15)
    text, understood, confidence = recognizer._choose(
        whisper, "intent", Asked(), also=head(fragment, near)
    )
    assert understood is not None and understood.value == "who_is_calling"
    assert text == near[0] and confidence < 0.8  # a small share of the vote: read back
    assert recognizer._choose(whisper, "intent", Asked(), also=head(fragment))[1] is None
    # the share is of the head's vote: a near reading does not outvote Whisper's whole one
    said = [Hypothesis("Can you repeat that?", -0.2, False)]
    chosen = recognizer._choose(said, "intent", Asked(), also=head(fragment, near))[1]
    assert chosen is not None and chosen.value == "repeat"


def _answer_audio(recognizer: Recognizer, pcm: bytes) -> np.ndarray:
    """The answer's audio as the recogniser reads it: gated, trimmed to the speech, 16 kHz."""
    audio, _, _ = recognizer.speech(pcm)
    assert audio is not None
    return audio


def test_the_answers_head_reads_requests_in_n_best_and_yes_no_by_best_path(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    audio = _answer_audio(recognizer, spoken(bot_voice, "who is calling please"))
    frames = recognizer.head_frames(audio)
    readings = 0
    for head in recognizer._answers["intent"]:  # tiny.en's and base's
        requests = recognizer._read_answer(head, frames[head.encoder], "intent", Asked())
        readings += len(requests)
        assert 1 < len(requests) <= recognizer.config.answer_beam
        assert sum(r.share for r in requests) == pytest.approx(1.0)
        top = requests[0].understood
        assert top is not None and top.value == "who_is_calling", head.encoder
        yes_no = recognizer._read_answer(head, frames[head.encoder], "yes_no", Asked())
        assert [(r.text, r.share) for r in yes_no] == [(requests[0].text, 1.0)]
    # in a view, every head's readings vote, each head with an equal part
    view = recognizer._read_view(frames, "intent", Asked())
    assert sum(r.share for r in view.heard) == pytest.approx(1.0)
    assert len(view.heard) == readings  # both heads' readings


def test_views_at_other_scales_only_for_an_unsure_answer(
    recognizer: Recognizer, bot_voice: Synthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pcm = spoken(bot_voice, "thirty six point five")
    sure = recognizer.recognize_sync(pcm, "temperature")
    assert sure.value == 36.5 and sure.confidence >= 0.8
    assert "head_views" not in sure.extra  # a sure answer costs no more encodes
    # were it unsure, the heads would read it again at each scale, and all views vote
    monkeypatch.setattr(recognizer, "_wants_views", lambda *_: True)
    for expect, text, value in [("temperature", "thirty six point five", 36.5),
                                ("yes_no", "no I stayed at home", False),
                                ("intent", "please stop calling me", "opt_out")]:  # fmt: skip
        pcm = spoken(bot_voice, text)
        result = recognizer.recognize_sync(pcm, expect)  # type: ignore[arg-type]
        assert result.extra["head_views"] == 1 + len(recognizer.config.head_views)
        assert result.value == value


def test_which_answers_are_read_again_in_views(
    recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from ivr.understanding import understand

    def wants(expect: str, text: str | None, confidence: float) -> bool:
        understood = None if text is None else understand(expect, text)  # type: ignore[arg-type]
        return recognizer._wants_views(expect, understood, confidence)  # type: ignore[arg-type]

    # a temperature not understood (below asr_min_confidence), not one merely read back
    assert wants("temperature", None, 0.0)
    assert wants("temperature", "thirty six", recognizer.config.min_confidence - 0.01)
    assert not wants("temperature", "thirty six", 0.6)
    assert wants("yes_no", None, 0.0) and wants("yes_no", "yes", 0.69)
    assert not wants("yes_no", "yes", 0.71)
    assert wants("intent", "stop calling", 0.49) and not wants("intent", "stop calling", 0.51)
    assert not wants("free", "hello", 0.1)  # no head reads free speech
    monkeypatch.setattr(recognizer, "config", replace(recognizer.config, head_views=()))
    assert wants("yes_no", None, 0.0)  # no views: still read by the heads on base's encoder
    monkeypatch.setattr(recognizer, "_encoders", {"tiny.en": None})
    assert not wants("yes_no", None, 0.0)  # neither: switched off


def test_views_are_encoded_in_one_batch_like_single_windows(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    audio = _answer_audio(recognizer, spoken(bot_voice, "yes I did"))
    first = {"tiny.en": recognizer.encoder_frames(audio)}  # what the heads read at once
    views = recognizer._view_frames(audio, first, None)
    assert views is not None and len(views) == 1 + len(recognizer.config.head_views) == 3
    assert views[0]["tiny.en"] is first["tiny.en"]  # not encoded again
    window_s = recognizer.config.view_window_s  # every clip here is shorter than it
    for factor, encoded in zip((1.0, *recognizer.config.head_views), views, strict=True):
        scaled = resample(audio, round(WHISPER_RATE * factor), WHISPER_RATE)
        # every encoder a head reads has its frames of every view
        assert set(encoded) == set(recognizer._encoders) == {"tiny.en", "base"}
        for name, frames in encoded.items():
            # a faster voice (factor > 1) is shorter: fewer 20 ms frames
            assert len(frames) == -(-len(scaled) // 320)
            assert abs(len(frames) - len(audio) / 320 / factor) <= 2
            if frames is first.get(name):
                continue  # the answer's own window, longer than a view's
            model = recognizer._encoders[name]
            alone = np.asarray(recognizer._encode_batch([scaled], window_s, model))
            alone = alone[0, : len(frames)]
            assert np.allclose(frames, alone, atol=0.05), (name, np.abs(frames - alone).max())
        # each from its own encoder: tiny.en's frames are 384 wide, base's 512
        assert encoded["tiny.en"].shape[1] == 384 and encoded["base"].shape[1] == 512
    assert recognizer._view_frames(audio, first, threading.Event()) is not None
    gone = threading.Event()
    gone.set()
    assert recognizer._view_frames(audio, first, gone) is None  # abandoned: no encode
    # without the other encoders (recognitions waiting): only tiny.en's, of every view
    alone = recognizer._view_frames(audio, first, None, others=False)
    assert alone is not None and [set(view) for view in alone] == [{"tiny.en"}] * 3


def _base_encodes(recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the clips base's encoder encodes from now on (one entry a batch)."""
    base = recognizer._encoders["base"]
    real = recognizer._encode_batch
    batches: list[int] = []

    def counted(clips, window_s, model=None):  # type: ignore[no-untyped-def]
        if model is base:
            batches.append(len(clips))
        return real(clips, window_s, model)

    monkeypatch.setattr(recognizer, "_encode_batch", counted)
    return batches


def test_base_s_encoder_reads_temperatures_and_only_unsure_other_answers(
    recognizer: Recognizer, bot_voice: Synthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """base's encoder costs twice tiny.en's: it reads every temperature, a yes/no or request
    only when tiny.en's heads left it unsure (with the views, one batch)."""
    batches = _base_encodes(recognizer, monkeypatch)
    sure = recognizer.recognize_sync(spoken(bot_voice, "no I stayed at home"), "yes_no")
    assert sure.value is False and "head_views" not in sure.extra and batches == []
    temperature = recognizer.recognize_sync(
        spoken(bot_voice, "thirty six point five"), "temperature"
    )
    assert temperature.value == 36.5 and "head_views" not in temperature.extra
    assert batches == [1]
    monkeypatch.setattr(recognizer, "_wants_views", lambda *_: True)
    unsure = recognizer.recognize_sync(spoken(bot_voice, "no I stayed at home"), "yes_no")
    assert unsure.value is False and unsure.extra["head_views"] == 3
    assert batches == [1, 3]  # the answer as said and its two views
    assert "busy_without" not in unsure.extra


async def test_with_recognitions_waiting_base_s_encoder_is_not_read(
    recognizer: Recognizer, bot_voice: Synthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With recognitions queued behind it, an answer is read by tiny.en's heads alone: under
    load the turn is kept short; the last in the queue is read by every head."""
    batches = _base_encodes(recognizer, monkeypatch)
    pcm = spoken(bot_voice, "thirty six point five")
    hold = threading.Event()
    before = recognizer.stats["read_without_other_encoders"]
    # both workers held, so the three recognitions queue behind them
    held = [recognizer._executor.submit(hold.wait, 30) for _ in range(recognizer.workers)]
    jobs = [asyncio.create_task(recognizer.recognize(pcm, "temperature")) for _ in range(3)]
    await asyncio.sleep(0.2)
    assert recognizer._busy()
    hold.set()
    results = await asyncio.wait_for(asyncio.gather(*jobs), timeout=60)
    assert all(h.result() for h in held)
    assert [r.value for r in results] == [36.5] * 3
    without = [r for r in results if r.extra.get("busy_without") == ["base"]]
    assert 1 <= len(without) <= 2 and "busy_without" not in results[-1].extra
    assert len(batches) == 3 - len(without)
    assert recognizer.stats["read_without_other_encoders"] == before + len(without)
    assert not recognizer._busy()


def test_learned_weights_read_whisper_words_after_the_vote(
    recognizer: Recognizer, bot_voice: Synthesizer
) -> None:
    """No rule finds a request in "nobody real I can chat with?"; the learned word weights read
    Whisper's plain words once the vote found nothing, weakly (asked about before acting)."""
    pcm = spoken(bot_voice, "Is there nobody real I can chat with?")
    asked = recognizer.recognize_sync(pcm, "intent")
    assert asked.value == "human", (asked.text, asked.extra)
    assert asked.confidence == LEARNED_CONFIDENCE and asked.extra.get("learned_request")
    # whatever was expected, it is noticed as a request
    side = recognizer.recognize_sync(pcm, "yes_no")
    assert side.intent is not None and side.intent.value == "human", side.extra


def test_a_temperature_too_unsure_alone_is_read_back_where_whisper_says_it(
    recognizer: Recognizer, bot_voice: Synthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The heads' best value below ``asr_min_confidence`` is kept, at that line (read back),
    when Whisper's own words say the same value; not when they say another one."""
    from dataclasses import replace

    pcm = spoken(bot_voice, "thirty seven point two")
    sure = recognizer.recognize_sync(pcm, "temperature")
    assert sure.value == 37.2 and "whisper_agrees" not in sure.extra
    # every reading is too unsure now: only the agreement keeps one
    monkeypatch.setattr(recognizer, "config", replace(recognizer.config, min_confidence=0.999))
    agreed = recognizer.recognize_sync(pcm, "temperature")
    assert (agreed.value, agreed.confidence) == (37.2, 0.999), agreed.extra
    assert agreed.extra["whisper_agrees"]["value"] == 37.2
    # the parts: the best number put below "no number" counts too; another value does not
    best = {"best_form": "thirty six point seven"}
    assert recognizer._agreed(None, best, "Thirty-six point seven.").value == 36.7  # type: ignore[union-attr]
    assert recognizer._agreed(None, best, "Thirty-six point four.") is None
    assert recognizer._agreed(None, {}, "Thirty-six point seven.") is None
    fahrenheit = understand("temperature", "ninety eight point six")
    assert recognizer._agreed(fahrenheit, {}, "It's 37 degrees.") is fahrenheit
