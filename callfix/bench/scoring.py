"""How a bench run scores: the mode (Whisper's normaliser or Earnings-21's fstalign rules), the glossary terms,
collars and confusions from the config, applied to one call or to a manifest of calls."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from callfix.align.glossary import company_glossaries, load_glossaries
from callfix.bench import earnings
from callfix.bench.manifest import pooled, read_manifest
from callfix.bench.report import write_reports
from callfix.bench.score import score_files
from callfix.errors import CallfixError
from callfix.options import Options

SCORINGS = ("whisper", "earnings")


@dataclass
class Scorer:
    scoring: str = "whisper"
    terms: list[str] = field(default_factory=list)
    collars: list[float] = field(default_factory=lambda: [0.25, 0.0])
    top: int = 10
    hyphen_synonyms: bool = False

    @classmethod
    def from_config(cls, cfg: Options | dict, scoring: str | None = None, glossaries: list[str] | None = None,
                    texts: str = "") -> "Scorer":
        """``glossaries`` replace align.glossaries (and the company glossaries ``texts`` name) for term accuracy."""
        opts = Options.of(cfg)
        b, a = opts.bench, opts.align
        names = list(glossaries or a.glossaries or [])
        if not glossaries and a.company_glossaries:
            names += company_glossaries(texts)
        g = load_glossaries(names)
        scoring = scoring or b.scoring or "whisper"
        if scoring not in SCORINGS:
            raise CallfixError(f"bench.scoring: {scoring!r} is not whisper or earnings")
        return cls(scoring, [*g.terms, *g.names], [float(c) for c in b.collars], b.top_confusions, b.hyphen_synonyms)

    @property
    def words_only(self) -> bool:
        return self.scoring == "earnings"

    def __call__(self, ref, hyps: dict, name=None, norm=None, tags=None, *, ref_rttm=None, hyp_rttm=None,
                 defects=None) -> dict:
        if self.scoring == "earnings":
            rules = earnings.Rules(hyphen_synonyms=self.hyphen_synonyms)
            return earnings.score_files(ref, hyps, name, norm, tags, self.top, rules)
        return score_files(ref, hyps, self.terms, ref_rttm, hyp_rttm, self.collars, self.top, name, defects)


def score_manifest(manifest: str | Path, scorer: Scorer, out: str | Path | None = None,
                   command: str | None = None, on_call: Callable[[dict], None] | None = None) -> dict:
    """Every call of a bench manifest, each report under ``out/<id>/``, and the pooled summary (also in ``out``)."""
    results = []
    for c in read_manifest(manifest):
        if scorer.words_only and any(c.get(k) for k in ("defects", "ref_rttm", "hyp_rttm")):
            raise CallfixError(f"{manifest}: {c['id']}: --scoring earnings scores words only "
                               "(no defects or RTTM columns)")
        res = scorer(c["ref"], {"vendor": c.get("vendor"), "asr": c.get("asr"), "corrected": c.get("hyp")},
                     c["id"], c.get("ref_norm"), c.get("ref_tags"), ref_rttm=c.get("ref_rttm"),
                     hyp_rttm=c.get("hyp_rttm"), defects=c.get("defects"))
        results.append(res)
        if out:
            write_reports(res, Path(out) / c["id"])
        if on_call:
            on_call(res)
    total = pooled(results)
    total["per_call"] = [{"call": r["call"], **{s: {m: (v.get(m) or {}).get("rate") for m in ("wer", "wer_en", "cer_zh", "mer")
                                                     if v.get(m)}
                                                 for s, v in r["sources"].items()}} for r in results]
    if out:
        write_reports(total, out, "summary", command)
    return total


def file_texts(*paths) -> str:
    """The raw text of the files given, to find which company the call is about."""
    out = []
    for p in paths:
        try:
            out.append(Path(p).read_text(encoding="utf-8", errors="replace")[:200_000] if p else "")
        except OSError:
            pass
    return "\n".join(out)
