"""Typed options: one dataclass per config section, built once from the merged YAML and ``--set``.

callfix/configs/default.yaml documents every knob; the dataclasses here hold the same defaults (a test asserts
they agree) and are what the stages read. ``Options.from_dict`` is the one place a config dict becomes options: an
unknown key is a one-line error naming the key and the nearest known one, a value of the wrong kind one naming the
key and what it expects. Dicts stay at the edge (YAML files, ``--set``, a manifest's ``set`` column, the batch
worker's arguments); library entry points given one convert it here.
"""
import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from callfix.errors import InputError

# align.verify and diarize.structure: their stages (callfix/align/verify.py, callfix/diarize/structure.py)
# import them from here.
@dataclass
class VerifyOptions:
    """align.verify: the audio judges each English edit (callfix/align/verify.py)."""

    enabled: bool = True
    apply_margin: float = 5.0  # nats a wording needs over the vendor's to be applied on the audio alone
    supported_margin: float = 1.0  # with glossary, number or loop support
    suggest_margin: float = 1.0  # at least this: suggested
    keep_margin: float = 1.0  # the vendor's wording ahead by this: kept
    delete_margin: float = 6.0  # nats the audio needs without the vendor's words to delete them
    context_seconds: float = 4.0  # ASR words either side of a stretch
    max_window: float = 28.0  # Whisper hears 30 s
    max_gap: float = 1.5  # a longer pause ends a window's context (it may hide unheard speech)
    redecode_gap: float = 1.0  # vendor words over at least this much untranscribed audio: decode it again
    max_redecodes: int = 40
    max_candidates: int = 1  # glossary spellings tried per stretch
    min_asr_probability: float = 0.3  # a stretch with nothing but an ASR reading less sure than this is not scored
    max_vendor_candidates: int = 5  # wordings one change from the vendor's (a join, a number, a part) per stretch
    merge_min_zipf: float = 1.5  # a join of two vendor words must be a word at least this common (wordfreq)
    trusted_sound: float = 0.7  # a glossary spelling applied on the audio alone sounds at least this like the vendor's
    heard_join_max_zipf: float = 4.0  # a join the ASR writes too may be any word rarer than this
    heard_join_margin: float = -1.0  # such a join is applied unless the audio favours the split by more
    max_sound_alikes: int = 2  # common words that sound like a vendor word (or two) weighed per stretch
    rare_zipf: float = 2.6  # a vendor word rarer than this is no sound-alike of a far commoner word the ASR did not read
    everyday_zipf: float = 5.3  # one word this common for another needs twice apply_margin
    common_word_margin: float = 7.5  # such a word for a common vendor word, the ASR not sure of it
    prefer_change_margin: float = 2.0  # a one-change wording this close to the ASR's reading is written instead
    reading_probability: float = 0.75  # the ASR's whole reading, applied on the audio alone, is this sure of each word
    ending_probability: float = 0.9  # an ending-only change applies on the audio alone where the ASR heard it this surely
    call_word_margin: float = 3.0  # the ASR's sure reading of words the vendor text writes elsewhere in the call

    @classmethod
    def from_config(cls, vcfg: dict | None) -> "VerifyOptions":
        out = cls()
        for k, v in (vcfg or {}).items():
            if hasattr(out, k) and v is not None:
                setattr(out, k, type(getattr(out, k))(v))
        return out


@dataclass
class StructureOptions:
    """diarize.structure: the call's structure applied to the turns (callfix/diarize/structure.py)."""

    split_languages: bool = True
    language_turn_seconds: float = 4.0  # a turn at least this long with one language ...
    language_purity: float = 0.8  # ... in this share of its word time counts as that language's turn
    language_min_seconds: float = 10.0  # a cluster needs this much such speech in each of two languages
    split_handovers: bool = True
    handover_min_after: float = 1.5  # a turn must run on this long after the hand-over to be cut
    max_speakers: int | None = None  # the user's bound (num_speakers or max_speakers): never exceeded

    @classmethod
    def from_config(cls, d: dict | None) -> "StructureOptions":
        """From the ``diarize.structure`` section, or the whole ``diarize`` section (then its
        ``num_speakers``/``max_speakers`` bound the speakers the structure may add)."""
        d = dict(d or {})
        if isinstance(d.get("structure"), dict) or any(k in d for k in ("num_speakers", "max_speakers")):
            bound = d.get("num_speakers") or d.get("max_speakers")
            d = {**(d.get("structure") or {}), "max_speakers": bound}
        names = cls.__dataclass_fields__
        out = {}
        for k, v in d.items():
            if k in names and v is not None:
                out[k] = int(v) if k == "max_speakers" else type(getattr(cls, k))(v)
        return cls(**out)

    def may_add(self, used: set[str]) -> bool:
        return self.max_speakers is None or len(used) < self.max_speakers


# Fields of a section class that the config does not set: derived from other knobs when the options are built.
DERIVED = {StructureOptions: {"max_speakers"}}


@dataclass
class AudioOptions:
    max_duration_hours: float = 6  # longer inputs are refused


@dataclass
class VadOptions:
    """asr.vad: Silero VAD as faster-whisper runs it, and the finer cut into pieces."""

    min_silence_duration_ms: int = 500
    speech_pad_ms: int = 200
    threshold: float = 0.5
    min_speech_duration_ms: int = 250
    piece_silence_ms: int = 200
    piece_pad_ms: int = 100
    rescue_threshold: float | None = 0.25
    rescue_min_seconds: float = 1.0
    rescue_min_onset_seconds: float = 0.25


@dataclass
class AsrCheckOptions:
    """asr.verify: each decoded unit checked piece by piece (callfix/asr/verify.py)."""

    retry: bool = True
    min_piece_coverage: float = 0.5
    max_uncovered_seconds: float = 1.0
    min_piece_probability: float = 0.45
    max_words_per_second: float = 6.0
    min_retry_seconds: float = 0.6
    same_language_retry_seconds: float = 8.0
    max_retry_share: float = 0.3


@dataclass
class AsrOptions:
    backend: str = "faster-whisper"
    model: str = "whisper-base"
    device: str = "auto"
    compute_type: str = "auto"
    cpu_threads: int = 2
    languages: list[str] = field(default_factory=lambda: ["en", "zh"])
    lid_confidence: float = 0.9
    lid_slice_confidence: float = 0.97
    lid_min_piece_seconds: float = 1.0
    lid_island_seconds: float = 5.0
    language_aliases: dict[str, list[str]] = field(default_factory=lambda: {
        "zh": ["yue", "th", "km", "lo", "my", "vi", "bo", "ja", "ko", "jw", "su"]})
    beam_size: int = 5
    temperatures: list[float] = field(default_factory=lambda: [0.0, 0.2, 0.4])
    best_of: int = 2
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    condition_on_previous_text: bool = False
    word_timestamps: bool = True
    hotwords: bool = True
    max_hotwords: int = 16
    chinese_script: str = "simplified"
    min_segment_probability: float = 0.35
    max_repeats: int = 4
    vad: VadOptions = field(default_factory=VadOptions)
    verify: AsrCheckOptions = field(default_factory=AsrCheckOptions)
    merge_max_seconds: float = 30
    lead_seconds: float = 1.0
    tokens_per_second: float | None = 12.0
    max_new_tokens: int | None = None


@dataclass
class DiarizeOptions:
    pipeline: str = "callfix-default"
    hub_token: str | None = None
    segmentation: str = "pyannote-segmentation"
    embedding: str = "campplus-cn-en"
    embedding_runtime: Literal["onnx", "torch"] = "onnx"
    segmentation_step: float = 0.2
    segmentation_threshold: float = 0.5
    embedding_exclude_overlap: bool = True
    clustering: str = "SpectralClustering"
    pval: float = 0.02  # 0.1 bridged telephone-band voices on calls of a few hundred embeddings
    min_neighbours: int = 10
    merge_similarity: float = 0.7
    method: str = "average"
    threshold: float = 0.3
    min_silhouette: float = 0.1
    min_cluster_size: int = 8
    min_duration_off: float = 0.0
    count_threshold: float | None = 0.3  # onset of the per-frame speaker count (None: segmentation_threshold)
    count_min_seconds: float = 0.6  # a voice the count's lower onset adds must last this long
    fill_pauses: float = 0.6  # a speaker's pause up to this long, nobody else speaking, stays their turn
    embedding_batch_size: int = 8
    segmentation_batch_size: int = 8
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    torch_threads: int = 1
    structure: StructureOptions = field(default_factory=StructureOptions)

    def structure_options(self) -> StructureOptions:
        """The structure step, bounded by the speakers the user allowed (it never adds one past them)."""
        return dataclasses.replace(self.structure, max_speakers=self.num_speakers or self.max_speakers)


@dataclass
class RunOptions:
    parallel_stages: bool = True
    formats: list[str] = field(default_factory=lambda: ["txt", "json", "srt", "vtt", "docx", "stm", "ctm", "rttm",
                                                        "edits"])  # callfix/io/writers.py WRITERS


@dataclass
class AlignOptions:
    glossaries: list[str] = field(default_factory=lambda: ["earnings"])
    company_glossaries: bool = True
    anchor_ngram: int = 4
    min_coverage: float = 0.2
    apply_confidence: float = 0.8
    suggest_confidence: float = 0.45
    min_asr_probability: float = 0.6
    min_confusion_probability: float = 0.4
    floor_asr_probability: float = 0.15
    mandarin_ratio: float = 0.6
    max_interp_gap: float = 30.0
    max_edit_tokens: int = 8
    loop_min_repeats: int = 3
    loop_always_repeats: int = 8
    speech_words_per_second: float = 2.5
    verify: VerifyOptions = field(default_factory=VerifyOptions)

    # The short names callfix/align/verify.py reads its thresholds by.
    @property
    def max_tokens(self) -> int:
        return self.max_edit_tokens

    @property
    def floor_p(self) -> float:
        return self.floor_asr_probability

    @property
    def min_p(self) -> float:
        return self.min_asr_probability


@dataclass
class BenchOptions:
    collars: list[float] = field(default_factory=lambda: [0.25, 0.0])
    top_confusions: int = 10
    scoring: Literal["whisper", "earnings"] = "whisper"
    hyphen_synonyms: bool = False


@dataclass
class BatchOptions:
    workers: int = 1
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    threads_per_worker: int | Literal["auto"] | None = "auto"  # None: auto
    ray_cpus_per_worker: float = 1
    ray_gpus_per_worker: float = 0
    call_timeout_seconds: float | None = 10800  # 0 or None: no limit


@dataclass
class Options:
    audio: AudioOptions = field(default_factory=AudioOptions)
    asr: AsrOptions = field(default_factory=AsrOptions)
    diarize: DiarizeOptions = field(default_factory=DiarizeOptions)
    run: RunOptions = field(default_factory=RunOptions)
    align: AlignOptions = field(default_factory=AlignOptions)
    bench: BenchOptions = field(default_factory=BenchOptions)
    batch: BatchOptions = field(default_factory=BatchOptions)

    @classmethod
    def from_dict(cls, cfg: dict | None, where: str = "config") -> "Options":
        return from_dict(cls, cfg or {}, where)

    @classmethod
    def of(cls, cfg: "Options | dict | None") -> "Options":
        """Options as given, or built from a whole config dict (the edge: a caller holding YAML)."""
        return cfg if isinstance(cfg, Options) else cls.from_dict(cfg)

    def to_dict(self) -> dict:
        return to_dict(self)


def from_dict(cls, data: dict, where: str):
    """``cls`` built from ``data``: missing keys keep their defaults, unknown keys and wrong kinds refused."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a section of keys, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in data.items():
        dotted = f"{where}.{key}" if where != "config" else str(key)
        if key not in fields:
            raise InputError(unknown_key(dotted, key, [k for k in fields if k not in DERIVED.get(cls, ())]))
        values[key] = _value(hints[key], value, dotted)
    return cls(**values)


def unknown_key(dotted: str, key, known) -> str:
    near = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    parent = dotted.rpartition(".")[0]
    hint = f"; did you mean {parent + '.' if parent else ''}{near[0]}?" if near else ""
    return f"{dotted}: not a config key{hint} (every key is in callfix/configs/default.yaml)"


def _value(tp, value, where: str):
    if dataclasses.is_dataclass(tp):
        return value if isinstance(value, tp) else from_dict(tp, value if value is not None else {}, where)
    ok, out = _convert(tp, value)
    if not ok:
        raise InputError(f"{where}={value!r:.60}: expected {_describe(tp)}")
    return out


def _convert(tp, value) -> tuple[bool, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return True, None
        for arm in (a for a in args if a is not type(None)):
            ok, out = _convert(arm, value)
            if ok:
                return True, out
        return False, None
    if origin is Literal:
        return value in args, value
    if origin is list:
        if not isinstance(value, (list, tuple)):
            return False, None
        items = [_convert(args[0], v) if args else (True, v) for v in value]
        return all(ok for ok, _ in items), [v for _, v in items]
    if origin is dict or tp is dict:
        return isinstance(value, dict), value
    if tp is bool:
        return isinstance(value, bool), value
    if tp in (int, float):
        if isinstance(value, str):  # a quoted number in a YAML file
            try:
                value = float(value) if tp is float or "." in value else int(value)
            except ValueError:
                return False, None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False, None
        if tp is int and isinstance(value, float):
            return value.is_integer(), int(value)
        # Numbers otherwise stay as written (6 stays 6): cache keys are made from the options and must not move.
        return True, value
    if tp is str:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool), str(value)
    return True, value


def _describe(tp) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        arms = [_describe(a) for a in args if a is not type(None)]
        return " or ".join(arms) + (" or null" if type(None) in args else "")
    if origin is Literal:
        return "one of " + ", ".join(map(str, args))
    if origin is list:
        return f"a list, each {_describe(args[0])}" if args else "a list"
    if origin is dict or tp is dict:
        return "a mapping"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(tp, str(tp))


def to_dict(obj) -> dict:
    """The section as plain data (its cache-key and YAML shape): derived fields left out."""
    skip = DERIVED.get(type(obj), ())
    out = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        v = getattr(obj, f.name)
        out[f.name] = to_dict(v) if dataclasses.is_dataclass(v) else _plain(v)
    return out


def _plain(v: Any):
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


_SECTIONS = {f.type: f.name for f in dataclasses.fields(Options)}


def section(cfg, cls):
    """The ``cls`` section of ``cfg``: ``cfg`` itself when it is one, taken from ``Options``, or typed from a whole
    config dict (the edge)."""
    if isinstance(cfg, cls):
        return cfg
    return getattr(Options.of(cfg), _SECTIONS[cls])
