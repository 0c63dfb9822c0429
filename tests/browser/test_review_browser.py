"""The review page in headless Chromium (Debian's, driven by Playwright): decide, export, apply."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/review_fixtures.py

from callfix.cli import main  # noqa: E402
from callfix.model import Transcript  # noqa: E402
from callfix.review import render_review, transcript_id  # noqa: E402
from review_fixtures import HOSTILE, make_transcript, tone  # noqa: E402

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


def test_editor_decides_exports_and_applies(tmp_path: Path, browser):
    tone(tmp_path / "call.flac")
    make_transcript("call.flac").save(tmp_path / "transcript.json")
    page_path = render_review(tmp_path)

    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    dialogs, errors, requests = [], [], []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_path.as_uri())

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
    # kept edits are hidden until asked for
    assert "filtered" in page.locator('.edit[data-edit="e5"]').get_attribute("class")
    page.locator('.f-class[value="kept"]').check()
    page.locator('.edit[data-edit="e5"]').hover()
    assert HOSTILE in page.locator("#pe-evidence").inner_text()

    # clicking an edit plays the call from just before it
    page.locator('.edit[data-edit="e3"]').click()
    wait_js(page, "document.getElementById('player').currentTime > 3.9")
    assert page.locator("#pe-repl").inner_text() == "non-GAAP"
    page.locator("#btn-accept").click()
    # keyboard: k goes back to e2 (growth margin), r rejects it
    page.keyboard.press("k")
    assert page.locator("#pe-vendor").inner_text() == "growth margin"
    page.keyboard.press("r")
    assert page.locator("#progress").inner_text().startswith("Decided 2 / 6 (1 accepted, 1 rejected)")
    assert "on" in page.locator('.edit[data-edit="e3"]').get_attribute("class").split()
    assert "off" in page.locator('.edit[data-edit="e2"]').get_attribute("class").split()

    # clicking a paragraph plays from its start
    page.locator("#p-2 .meta .who").click()
    wait_js(page, "Math.abs(document.getElementById('player').currentTime - 8.5) < 1.0")

    # filters: hiding the applied class takes e1 out of the j/k order; speaker filter hides the CEO
    page.locator('.f-class[value="applied"]').uncheck()
    assert "filtered" in page.locator('.edit[data-edit="e1"]').get_attribute("class")
    page.locator('.f-class[value="applied"]').check()
    page.select_option("#f-speaker", "SPEAKER_00")
    assert page.locator("#p-1").is_hidden() and page.locator("#p-0").is_visible()
    page.select_option("#f-speaker", "")

    # a reload keeps the decisions (browser storage keyed by transcript id)
    page.reload()
    assert page.locator("#progress").inner_text().startswith("Decided 2 / 6")
    assert "rejected" in page.locator('.edit[data-edit="e2"]').get_attribute("class")
    page.screenshot(path=str(tmp_path / "review.png"), full_page=True)

    with page.expect_download() as dl:
        page.locator("#export").click()
    decisions = tmp_path / "decisions.json"
    dl.value.save_as(decisions)
    assert dl.value.suggested_filename == "decisions.json"
    exported = json.loads(decisions.read_text())
    assert exported == {"transcript": transcript_id(make_transcript("call.flac")),
                        "decisions": {"e3": "accept", "e2": "reject"}}
    assert "exported 2 decisions" in page.locator("#status").inner_text()

    # clear, then import the exported file back (another browser, another day)
    page.locator("#clear").click()
    assert dialogs == ["confirm"]
    assert page.locator("#progress").inner_text().startswith("Decided 0 / 6")
    page.set_input_files("#import-file", str(decisions))
    wait_js(page, "document.getElementById('progress').textContent.startsWith('Decided 2 / 6')")
    assert "imported 2 decisions" in page.locator("#status").inner_text()
    assert all(u.startswith(("file:", "data:", "blob:")) for u in requests)
    ctx.close()

    assert main(["apply-review", str(tmp_path), str(decisions)]) == 0
    final = Transcript.load(tmp_path / "final" / "transcript.json")
    assert final.paragraphs[1].corrected == "Our growth margin improved and non-GAAP net loss narrowed. Thank you."
    assert final.paragraphs[0].corrected == "Thank you, operator. Welcome to Kingsoft Cloud's fourth quarter call."
    assert "non-GAAP net loss narrowed" in (tmp_path / "final" / "transcript.txt").read_text(encoding="utf-8")


def test_embedded_clips_play_without_the_call_audio(tmp_path: Path, browser):
    audio = tone(tmp_path / "call.flac")
    out = tmp_path / "out"
    out.mkdir()
    make_transcript("call.flac").save(out / "transcript.json")
    page_path = render_review(out, audio=str(audio), embed_audio=True)
    audio.unlink()  # the page travels alone
    page = browser.new_page()
    page.goto(page_path.as_uri())
    assert page.locator("#player").count() == 0
    page.locator('.edit[data-edit="e2"]').click()
    wait_js(page, "document.getElementById('clip-player').currentTime > 0.2")
    assert page.evaluate("document.getElementById('clip-player').src").startswith("data:audio/mpeg;base64,")
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
