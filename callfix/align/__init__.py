"""Align a vendor transcript to the audio evidence and correct it (DESIGN.md §4)."""
from __future__ import annotations

from callfix.align.call import align_call
from callfix.align.glossary import Glossary, load_glossaries
from callfix.align.vendor import read_vendor

__all__ = ["align_call", "read_vendor", "load_glossaries", "Glossary"]
