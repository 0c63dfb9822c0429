"""Speech recognition: Whisper backends, VAD chunking, per-chunk language routing."""
from callfix.asr.transcribe import transcribe

__all__ = ["transcribe"]
