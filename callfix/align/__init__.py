"""Align a vendor transcript to the audio evidence and correct it."""
from __future__ import annotations

from callfix.align.call import align_call
from callfix.align.glossary import Glossary, load_glossaries

__all__ = ["align_call", "load_glossaries", "Glossary"]
