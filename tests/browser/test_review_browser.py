"""The review page in headless Chromium (Debian's, driven by Playwright): decide, export, apply."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/review_fixtures.py

from callfix.cli import main  # noqa: E402
from callfix.model import Transcript  # noqa: E402
from callfix.review import render_review, transcript_id  # noqa: E402
from review_fixtures import HOSTILE, long_transcript, make_transcript, tone, with_review_cases  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian chromium not installed (apt install chromium)"),
]


def wait_js(page, expr: str, timeout: float = 10.0) -> None:
    """Poll a JS expression from outside: the page's CSP forbids the eval that wait_for_function uses."""
    import time

    end = time.monotonic() + timeout
    while not page.evaluate(expr):
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {expr}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _open(browser, path: Path, width: int = 1400, height: int = 900):
    ctx = browser.new_context(accept_downloads=True, viewport={"width": width, "height": height})
    page = ctx.new_page()
    page.dialogs, page.errors, page.requests = [], [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.type), d.accept()))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(path.as_uri())
    return page


def _classes(page, eid: str) -> list[str]:
    return page.locator(f'.edit[data-edit="{eid}"]').get_attribute("class").split()


def _export(page, to: Path) -> dict:
    with page.expect_download() as dl:
        page.locator("#export").click()
    dl.value.save_as(to)
    return json.loads(to.read_text())


def test_editor_decides_exports_and_applies(tmp_path: Path, browser):
    tone(tmp_path / "call.flac")
    make_transcript("call.flac").save(tmp_path / "transcript.json")
    page_path = render_review(tmp_path)
    page = _open(browser, page_path)
    dialogs, errors = page.dialogs, page.errors

    # hostile transcript text is shown as text: no dialog, no handler ran, no element injected
    para = page.locator("#p-3 .text")
    assert HOSTILE in para.inner_text()
    assert page.locator("#doc img, #doc script").count() == 0
    assert page.evaluate("window.__xss") is None and dialogs == [] and errors == []
    # and without the page's Content-Security-Policy: the escaping alone keeps it text
    bare = browser.new_context(bypass_csp=True).new_page()
    bare.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    bare.goto(page_path.as_uri())
    bare.locator('.edit[data-edit="e6"]').click()
    assert HOSTILE in bare.locator("#p-3 .text").inner_text() and HOSTILE in bare.locator("#pe-repl").inner_text()
    assert bare.evaluate("window.__xss") is None and bare.locator("#doc img, #panel img").count() == 0
    assert dialogs == []
    bare.context.close()
    # kept edits are hidden until asked for, and the progress counts only what is in view
    assert "filtered" in _classes(page, "e5")
    assert page.locator("#progress").inner_text() == "Decided 0 / 5 in view (0 accepted, 0 rejected)"
    page.locator('.f-class[value="kept"]').check()
    assert page.locator("#progress").inner_text().startswith("Decided 0 / 6 in view")
    page.locator('.edit[data-edit="e5"]').click()
    assert HOSTILE in page.locator("#pe-evidence").inner_text()

    # clicking an edit plays the call from just before it
    page.locator('.edit[data-edit="e3"]').click()
    wait_js(page, "document.getElementById('player').currentTime > 3.9")
    assert page.locator("#pe-repl").inner_text() == "non-GAAP"
    # evidence in words: one confidence figure, no machine key names
    why = page.locator("#pe-why").inner_text()
    assert re.findall(r"\d+%", why) == ["60%"] and "60% confident (medium)" in why
    assert "_" not in page.locator("#pe-evidence").inner_text() and "very sure of these words" in why
    # hover shows nothing new: the panel and the keys stay on the selected edit
    page.locator('.edit[data-edit="e6"]').hover()
    assert page.locator("#pe-vendor").inner_text() == "non-gap"
    page.keyboard.press("a")
    assert "accepted" in _classes(page, "e3") and "accepted" not in _classes(page, "e6")
    # keyboard: k goes back to e2 (growth margin), r rejects it
    page.keyboard.press("k")
    assert page.locator("#pe-vendor").inner_text() == "growth margin"
    page.keyboard.press("r")
    assert page.locator("#progress").inner_text().startswith("Decided 2 / 6 in view (1 accepted, 1 rejected)")
    assert "on" in _classes(page, "e3") and "off" in _classes(page, "e2")

    # clicking a paragraph's time plays from its start; clicking a word plays from that word
    page.locator("#p-2 .meta .time").click()
    wait_js(page, "Math.abs(document.getElementById('player').currentTime - 8.5) < 1.0")
    page.locator('#p-3 [data-t="13.38"]').click()
    wait_js(page, "document.getElementById('player').currentTime > 13.2")
    assert abs(page.evaluate("document.getElementById('player').currentTime") - 13.3) < 0.5
    # the word being spoken is highlighted as the audio plays on
    wait_js(page, "(document.querySelector('[data-t].now') || {}).dataset?.t > 13.3")
    assert page.locator("#p-3").get_attribute("class").split().count("playing") == 1

    # filters: hiding the applied class takes e1 out of the j/k order; keys still work after the click
    page.locator('.f-class[value="applied"]').click()
    assert "filtered" in _classes(page, "e1")
    page.keyboard.press("j")
    assert page.locator("#pe-vendor").inner_text() in ("non-gap", "twisted", "Brian Gong")
    page.locator('.f-class[value="applied"]').click()
    # an edit hidden by the speaker filter leaves the panel, and no key can act on it
    page.locator('.edit[data-edit="e6"]').click()
    page.select_option("#f-speaker", "SPEAKER_01")
    assert page.locator("#panel-body").is_hidden() and page.locator("#p-3").is_hidden()
    page.keyboard.press("a")
    assert "accepted" not in _classes(page, "e6")
    page.select_option("#f-speaker", "")

    # a reload keeps the decisions (browser storage keyed by transcript id); unexported, it warns first
    page.reload()
    assert dialogs == ["beforeunload"]
    assert page.locator("#progress").inner_text().startswith("Decided 2 / 5 in view")
    assert "rejected" in _classes(page, "e2")

    decisions = tmp_path / "decisions.json"
    exported = _export(page, decisions)
    assert exported == {"transcript": transcript_id(make_transcript("call.flac")),
                        "decisions": {"e3": "accept", "e2": "reject"}}
    assert "exported 2 decisions" in page.locator("#status").inner_text()

    # clear, then import the exported file back (another browser, another day)
    page.locator("#clear").click()
    assert dialogs == ["beforeunload", "confirm"]
    assert page.locator("#progress").inner_text().startswith("Decided 0 / 5")
    page.set_input_files("#import-file", str(decisions))
    wait_js(page, "document.getElementById('progress').textContent.startsWith('Decided 2 / 5')")
    assert "imported 2 decisions" in page.locator("#status").inner_text()
    # a decisions file with hostile own text and speaker names stays text too
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps({"transcript": exported["transcript"], "decisions": {"e6": {"decision": "accept", "text": HOSTILE}},
                                   "speakers": {"SPEAKER_00": HOSTILE}}))
    page.set_input_files("#import-file", str(hostile))
    wait_js(page, "document.getElementById('status').textContent.startsWith('imported 1')")
    assert HOSTILE in page.locator('.edit[data-edit="e6"] > ins').inner_text()
    assert page.locator("#p-0 button.who").inner_text() == HOSTILE
    assert page.locator("img").count() == 0 and page.evaluate("window.__xss") is None
    page.locator("#clear").click()
    page.set_input_files("#import-file", str(decisions))
    wait_js(page, "document.getElementById('status').textContent.startsWith('imported 2 decisions')")
    assert all(u.startswith(("file:", "data:", "blob:")) for u in page.requests)
    assert errors == []
    page.context.close()

    assert main(["apply-review", str(tmp_path), str(decisions)]) == 0
    final = Transcript.load(tmp_path / "final" / "transcript.json")
    assert final.paragraphs[1].corrected == "Our growth margin improved and non-GAAP net loss narrowed. Thank you."
    assert final.paragraphs[0].corrected == "Thank you, operator. Welcome to Kingsoft Cloud's fourth quarter call."
    assert "non-GAAP net loss narrowed" in (tmp_path / "final" / "transcript.txt").read_text(encoding="utf-8")


def test_editor_types_text_fixes_speakers_and_adds_mandarin(tmp_path: Path, browser):
    tone(tmp_path / "call.flac")
    t = with_review_cases(make_transcript("call.flac"))
    t.save(tmp_path / "transcript.json")
    page = _open(browser, render_review(tmp_path))

    # a suggested deletion is struck through before it takes effect
    d1 = page.locator('.edit[data-edit="d1"] > del')
    assert "line-through" in d1.evaluate("el => getComputedStyle(el).textDecorationLine")
    assert "deletion" in _classes(page, "d1") and "off" in _classes(page, "d1")

    # type a replacement: e opens the field, Enter accepts with it and moves on
    page.locator('.edit[data-edit="e1"]').click()
    page.keyboard.press("e")
    page.keyboard.type("Kingsoft Cloud")
    page.keyboard.press("Enter")
    assert page.locator('.edit[data-edit="e1"] > ins').inner_text() == "Kingsoft Cloud"
    assert "own" in page.locator('.edit[data-edit="e1"] > ins').get_attribute("class")
    assert page.locator("#pe-vendor").inner_text() == "growth margin"  # the next edit is selected
    assert page.locator('.edit[data-edit="e1"] > ins').bounding_box()["width"] < 200  # inline, in the sentence
    # accepting it again keeps the editor's text
    page.locator('.edit[data-edit="e1"]').click()
    page.keyboard.press("a")
    assert page.locator('.edit[data-edit="e1"] > ins').inner_text() == "Kingsoft Cloud"
    page.keyboard.press("j")
    # Enter on a focused edit accepts it and moves on; Space plays and pauses without scrolling
    y = page.evaluate("scrollY")
    page.keyboard.press("Enter")
    assert "accepted" in _classes(page, "e2")
    focused = page.evaluate("document.activeElement.dataset.edit")
    assert focused == page.evaluate("document.querySelector('.edit.current').dataset.edit") == "e3"
    playing = "!document.getElementById('player').paused"
    page.keyboard.press(" ")  # the click on e1 started the audio: Space pauses it
    wait_js(page, "document.getElementById('player').paused")
    page.keyboard.press(" ")  # and plays again, from the selected edit (e3 at 4.5 s)
    wait_js(page, playing)
    assert 3.9 < page.evaluate("document.getElementById('player').currentTime") < 5.5
    assert page.evaluate("scrollY") == y
    # forward, back and speed keys
    before = page.evaluate("document.getElementById('player').currentTime")
    page.keyboard.press("]")
    assert page.evaluate("document.getElementById('player').currentTime") > before + 2.5
    page.keyboard.press("=")
    assert page.evaluate("document.getElementById('player').playbackRate") == 1.25
    page.keyboard.press("0")

    # a Mandarin re-sourcing: accepting asks first, then keeps the English with the Mandarin beside it
    page.locator('.edit[data-edit="r1"]').click()
    assert "English stays" in page.locator("#pe-note").inner_text() or "keeps the vendor's English" in page.locator("#pe-note").inner_text()
    page.keyboard.press("a")
    assert page.locator("#pe-confirm").is_visible() and "accepted" not in _classes(page, "r1")
    page.keyboard.press("a")
    assert "accepted" in _classes(page, "r1") and page.locator("#pe-confirm").is_hidden()

    # rename a speaker, give a paragraph to a new one
    page.locator("#speakers summary").click()
    name = page.locator('#speaker-list input[data-speaker="SPEAKER_00"]')
    name.fill("Nicole Shan")
    name.press("Enter")
    name.evaluate("el => el.blur()")
    assert page.locator("#p-0 button.who").inner_text() == "Nicole Shan"
    page.locator("#p-3 button.who").click()
    page.select_option("#p-3 select.who-pick", "+")
    new = page.locator('#speaker-list input[data-speaker="NEW_1"]')
    new.fill("Henry He")
    new.press("Tab")
    assert page.locator("#p-3 button.who").inner_text() == "Henry He"

    # search narrows the page to what matches, and Enter goes to the first edit there
    page.locator("#search").fill("GAAP")
    wait_js(page, "document.getElementById('p-0').hidden")
    assert page.locator("#p-1").is_visible() and page.locator("#search-count").inner_text() == "1 paragraphs match"
    page.locator("#search").press("Escape")

    # leaving with decisions not exported warns; after the export it does not
    exported = _export(page, tmp_path / "decisions.json")
    assert exported["decisions"]["e1"] == {"decision": "accept", "text": "Kingsoft Cloud"}
    assert exported["decisions"]["r1"] == "accept"
    assert exported["speakers"] == {"SPEAKER_00": "Nicole Shan", "NEW_1": "Henry He"}
    assert exported["paragraph_speakers"] == {"3": "NEW_1"}
    page.reload()
    assert page.dialogs == []
    page.locator('.edit[data-edit="e6"]').click()
    page.keyboard.press("r")
    page.reload()
    assert page.dialogs == ["beforeunload"]
    assert page.errors == []
    page.context.close()

    assert main(["apply-review", str(tmp_path), str(tmp_path / "decisions.json")]) == 0
    txt = (tmp_path / "final" / "transcript.txt").read_text(encoding="utf-8")
    assert "Nicole Shan: Thank you, operator. Welcome to Kingsoft Cloud fourth quarter call." in txt
    assert "Henry He: Our question comes from Brian Gong" in txt
    # the English stays and the Mandarin stands beside it
    assert "After adjustment, business profits are twisted" in txt and "(Mandarin source): 经调整后" in txt


def test_at_800_px_the_decision_bar_stays_in_reach(tmp_path: Path, browser):
    long_transcript(40).save(tmp_path / "transcript.json")
    tone(tmp_path / "call.flac", 400)
    page = _open(browser, render_review(tmp_path), width=800, height=700)
    header = page.evaluate("document.getElementById('transport').getBoundingClientRect().height")
    assert header < 0.15 * 700  # the sticky part is the player, not the whole header
    page.keyboard.press("j")
    last = page.evaluate("scrollY")
    for n in range(3):
        edit = page.locator(".edit.current").bounding_box()
        bar = page.locator("#panel").bounding_box()
        accept = page.locator("#btn-next").bounding_box()
        # the edit and its decision bar are both on screen, the bar not covering the edit
        assert bar["y"] + bar["height"] <= 700.5 and accept["y"] + accept["height"] <= 700
        assert header <= edit["y"] and edit["y"] + edit["height"] <= bar["y"]
        page.locator("#btn-next").click()
        now = page.evaluate("scrollY")
        assert now - last <= 700, f"edit {n}: scrolled {now - last} px"
        last = now
    assert page.locator("#progress").inner_text().startswith("Decided 3 / 40 in view")
    page.screenshot(path=str(tmp_path / "review-800.png"))
    page.context.close()


def test_audio_plays_from_another_directory_and_after_the_folder_moves(tmp_path: Path, browser, monkeypatch):
    import shutil

    calls, run = tmp_path / "calls", tmp_path / "runs" / "q4"
    calls.mkdir()
    run.mkdir(parents=True)
    tone(calls / "q4.flac")
    t = make_transcript("../../calls/q4.flac")
    t.meta["audio_path"] = str(calls / "q4.flac")
    t.save(run / "transcript.json")
    monkeypatch.chdir(tmp_path)
    assert main(["review", "runs/q4"]) == 0
    # the run folder copied with its audio, the original gone; the page is not rendered again
    moved = tmp_path / "archive" / "q4"
    shutil.copytree(run, moved)
    shutil.copy(calls / "q4.flac", moved / "q4.flac")
    shutil.rmtree(calls)
    page = _open(browser, moved / "review.html")
    page.locator('#p-1 [data-t="4.88"]').click()
    wait_js(page, "document.getElementById('player').currentTime > 4.9")
    assert page.evaluate("document.getElementById('player').currentSrc") == (moved / "q4.flac").as_uri()
    assert page.locator("#audio-status").inner_text() == ""
    page.context.close()


def test_embedded_clips_play_without_the_call_audio(tmp_path: Path, browser):
    audio = tone(tmp_path / "call.flac")
    out = tmp_path / "out"
    out.mkdir()
    make_transcript("call.flac").save(out / "transcript.json")
    assert main(["review", str(out), "--audio", str(audio), "--embed-audio"]) == 0
    audio.unlink()  # the page travels alone
    page = browser.new_page()
    page.goto((out / "review.html").as_uri())
    assert page.locator("#player").count() == 0
    page.locator('.edit[data-edit="e2"]').click()
    wait_js(page, "document.getElementById('clip-player').currentTime > 0.2")
    assert page.evaluate("document.getElementById('clip-player').src").startswith("data:audio/mpeg;base64,")
    # a word near an edit plays from its clip, and is highlighted
    page.locator('#p-3 [data-t="13.38"]').click()
    wait_js(page, "(document.querySelector('[data-t].now') || {}).dataset?.t >= 13.38")
    page.close()


def _speak(text: str, out: Path, pitch: int) -> Path:
    import subprocess

    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-p", str(pitch), "-w", str(out), text], check=True)
    return out


VENDOR = (
    "Good day and welcome to the fourth quarter earnings call. Our growth margin improved this quarter. "
    "this one, this one, this one, this one.\n"
    "Thank you, operator. Revenue grew thirty percent, and our growth profit reached two billion.\n"
)


@pytest.mark.slow
def test_review_of_real_asr_and_alignment_output(tmp_path: Path, browser, models_ready, capsys):
    """transcribe + align (which renders the page) on synthetic speech; decide in the browser; apply."""
    import subprocess

    a = _speak("Good day and welcome to the fourth quarter earnings call. Our gross margin improved this quarter.",
               tmp_path / "a.wav", 50)
    b = _speak("Thank you, operator. Revenue grew thirty percent, and our gross profit reached two billion.",
               tmp_path / "b.wav", 70)
    call = tmp_path / "call.wav"
    subprocess.run(["sox", str(a), str(b), str(call), "rate", "16000", "channels", "1"], check=True)
    (tmp_path / "vendor.txt").write_text(VENDOR, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["transcribe", str(call), "-o", str(tmp_path / "asr"), "-q"]) == 0
    assert main(["align", "--asr", str(tmp_path / "asr" / "asr.json"), "--transcript", str(tmp_path / "vendor.txt"),
                 "-o", str(out), "-q"]) == 0
    t = Transcript.load(out / "transcript.json")
    def find(paragraph: int, words: str):
        return next((e for e in t.edits if e.paragraph == paragraph and words in e.vendor), None)

    margin, loop, profit = find(0, "growth"), find(0, "this one, this one"), find(1, "growth")
    assert margin and loop and profit, f"alignment found other edits: {[(e.vendor, e.decision) for e in t.edits]}"
    # both confusions are confirmed by the audio; whether each is applied or only suggested depends on how sure
    # Whisper is of espeak's "gross", so the editor's decisions below must win either way
    assert loop.decision == "applied" and {margin.decision, profit.decision} <= {"applied", "suggested"}

    page = browser.new_page(accept_downloads=True)
    page.goto((out / "review.html").as_uri())
    page.locator(f'.edit[data-edit="{margin.id}"]').click()
    wait_js(page, "document.getElementById('player').currentTime > 3")  # the audio plays from the edit
    page.keyboard.press("a")
    page.locator(f'.edit[data-edit="{profit.id}"]').click()
    page.keyboard.press("r")
    with page.expect_download() as dl:
        page.locator("#export").click()
    dl.value.save_as(tmp_path / "decisions.json")
    page.close()

    assert main(["apply-review", str(out), str(tmp_path / "decisions.json")]) == 0
    final = Transcript.load(out / "final" / "transcript.json")
    assert [p.corrected for p in final.paragraphs] == [
        "Good day and welcome to the fourth quarter earnings call. Our gross margin improved this quarter.",
        "Thank you, operator. Revenue grew thirty percent, and our growth profit reached two billion.",
    ]
    # with no decisions the review reproduces the aligner's own corrected text
    (tmp_path / "none.json").write_text(json.dumps({"transcript": transcript_id(t), "decisions": {}}))
    assert main(["apply-review", str(out), str(tmp_path / "none.json")]) == 0
    again = Transcript.load(out / "final" / "transcript.json")
    assert [p.corrected for p in again.paragraphs] == [p.corrected for p in t.paragraphs]
