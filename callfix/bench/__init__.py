"""Benchmarks: WER/CER/MER, glossary-term accuracy, per-speaker WER, cpWER and DER of the vendor
transcript, the ASR-only transcript and the corrected transcript against one reference."""
from callfix.bench.report import write_reports
from callfix.bench.score import score_call, score_files
from callfix.io.references import Doc, Utterance, read_doc

__all__ = ["Doc", "Utterance", "read_doc", "score_call", "score_files", "write_reports"]
