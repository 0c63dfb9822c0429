import os
import shutil
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEMO = ROOT / "examples" / "kingsoft-q4-demo"


@pytest.fixture(scope="session")
def models_ready():
    """The default models, fetched into the store by `callfix models pull` if absent."""
    from callfix import store

    for name in store.default_models():
        store.pull(name)
    return store.home()


def espeak(text: str, out: Path, voice: str = "en-us", speed: int = 150, pitch: int = 50) -> Path:
    """Synthesise speech with espeak-ng and resample it to 16 kHz mono."""
    if not shutil.which("espeak-ng"):
        pytest.fail("espeak-ng is not installed (scripts/setup.sh installs it)")
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(raw), "-ar", "16000", "-ac", "1", str(out)], check=True)
    raw.unlink()
    return out


def concat(parts: list[Path], out: Path, gap: float = 1.0) -> Path:
    """Join clips with `gap` seconds of silence between them."""
    args = []
    for i, p in enumerate(parts):
        if i:
            args += [f"|sil{gap}"]
        args.append(str(p))
    silence = out.parent / f"silence-{gap}.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(silence), "trim", "0", str(gap)], check=True)
    files = []
    for a in args:
        files.append(str(silence) if a.startswith("|sil") else a)
    subprocess.run(["sox", *files, str(out)], check=True)
    return out


@pytest.fixture
def make_speech(tmp_path):
    def _make(text: str, name: str = "speech.wav", **kw) -> Path:
        return espeak(text, tmp_path / name, **kw)

    return _make
