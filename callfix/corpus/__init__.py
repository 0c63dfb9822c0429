"""Synthetic earnings calls: a YAML script becomes call audio, an exact reference and a
vendor-style flawed transcript with a list of the defects injected into it."""
from callfix.corpus.script import CallScript, ScriptLine, ScriptSpeaker, load_script
from callfix.corpus.synth import build_call

__all__ = ["CallScript", "ScriptLine", "ScriptSpeaker", "load_script", "build_call"]
