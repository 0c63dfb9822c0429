"""Score the Earnings-21 vendor outputs in both bench modes and set them beside the published table.

    python scripts/earnings_eval.py PATH/speech-datasets/earnings21 [--subset eval10|all] [-o out/earnings21]

PATH is a checkout of github.com/revdotcom/speech-datasets (its earnings21/ folder or the root).
Prints per-file and pooled WER for Google and Microsoft in the whisper mode (today's default) and
the earnings mode (fstalign's rules), the published fstalign figures (earnings21/transcripts/README.md),
and entity WER per class; writes the same as earnings_eval.md and .json with -o.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callfix.bench import earnings, metrics  # noqa: E402
from callfix.io.atomic import atomic_write_text  # noqa: E402
from callfix.io.nlp import read_nlp_ref, read_nlp_rows  # noqa: E402
from callfix.io.references import read_doc  # noqa: E402

# earnings21/transcripts/README.md (fstalign, Interspeech 2021 paper): overall and entity WER, %.
PUBLISHED = {
    "eval10": {"google": 18.5, "microsoft": 16.2},
    "all": {"google": 17.8, "microsoft": 15.8},
    "entities_all": {
        "google": {"PERSON": 48.2, "ORG": 35.9, "MONEY": 23.7, "YEAR": 21.6, "CARDINAL": 17.8, "DATE": 9.8,
                   "PERCENT": 49.7, "GPE": 22.5, "PRODUCT": 40.5, "ABBREVIATION": 48.8, "CONTRACTION": 13.4},
        "microsoft": {"PERSON": 45.2, "ORG": 35.6, "MONEY": 11.9, "YEAR": 3.2, "CARDINAL": 7.4, "DATE": 5.0,
                      "PERCENT": 11.5, "GPE": 25.6, "PRODUCT": 32.7, "ABBREVIATION": 49.0, "CONTRACTION": 13.3},
    },
}
SYSTEMS = ("google", "microsoft")


def file_ids(root: Path, subset: str) -> list[str]:
    if subset == "eval10":
        return [r["file_id"] for r in csv.DictReader((root / "eval10-file-metadata.csv").open())]
    return sorted(p.name[:-4] for p in (root / "transcripts" / "nlp_references").glob("*.nlp"))


def whisper_wer(ref_path: Path, hyp_path: Path) -> dict:
    rate, _ = metrics.error_rate(metrics.english_stream(read_doc(ref_path)), metrics.english_stream(read_doc(hyp_path)))
    return rate.to_dict()


def run(root: Path, subset: str, systems=SYSTEMS) -> dict:
    out: dict = {"subset": subset, "files": {}, "pooled": {}, "entities": {}, "seconds": {}}
    ids = file_ids(root, subset)
    for sysname in systems:
        tot = {"whisper": [0, 0], "earnings": [0, 0]}
        ent: dict[str, list[int]] = {}
        for i in ids:
            ref_path = root / "transcripts" / "nlp_references" / f"{i}.nlp"
            hyp_path = root / "output" / sysname / f"{i}.nlp"
            t0 = time.perf_counter()
            e = earnings.score(read_nlp_ref(ref_path), read_nlp_rows(hyp_path))
            t1 = time.perf_counter()
            w = whisper_wer(ref_path, hyp_path)
            out["seconds"].setdefault(i, {})[sysname] = round(t1 - t0, 2)
            out["files"].setdefault(i, {})[sysname] = {"whisper": w["rate"], "earnings": e["wer"]["rate"],
                                                       "ref_words": e["wer"]["ref_tokens"]}
            for mode, r in (("whisper", w), ("earnings", e["wer"])):
                tot[mode][0] += r["errors"]
                tot[mode][1] += r["ref_tokens"]
            for cls, c in e["entities"].items():
                a = ent.setdefault(cls, [0, 0])
                a[0] += c["errors"]
                a[1] += c["ref_tokens"]
            print(f"{sysname} {i}: whisper {100 * w['rate']:.1f}%  earnings {100 * e['wer']['rate']:.1f}%  "
                  f"({t1 - t0:.1f} s)", file=sys.stderr)
        out["pooled"][sysname] = {m: e / n for m, (e, n) in tot.items()}
        out["entities"][sysname] = {c: {"rate": e / n, "ref_words": n} for c, (e, n) in sorted(ent.items()) if n}
    return out


def to_markdown(res: dict, systems=SYSTEMS) -> str:
    pub = PUBLISHED.get(res["subset"], {})
    head = " | ".join(f"{s} whisper | {s} earnings" for s in systems)
    lines = [f"# Earnings-21 ({res['subset']}): whisper mode vs earnings mode (fstalign rules)", "",
             f"| file | {head} |", "|---|" + "---|---|" * len(systems)]
    for i, r in res["files"].items():
        lines.append(f"| {i} | " + " | ".join(f"{100 * r[s]['whisper']:.1f} | {100 * r[s]['earnings']:.1f}"
                                               for s in systems) + " |")
    lines.append("| **pooled** | " + " | ".join(f"**{100 * res['pooled'][s]['whisper']:.1f}** | "
                                                f"**{100 * res['pooled'][s]['earnings']:.1f}**" for s in systems) + " |")
    if pub:
        lines.append("| published (fstalign) | " + " | ".join(f"– | {pub[s]:.1f}" for s in systems) + " |")
    lines += ["", "Published: earnings21/transcripts/README.md (overall WER only; no per-file figures are published).",
              "", "## Entity WER by class (earnings mode, pooled)", ""]
    ents = PUBLISHED["entities_all"]
    note = "published (full set)" if res["subset"] == "all" else "published (full set; this run is a subset)"
    lines += ["| class | " + " | ".join(f"{s} ours | {s} {note}" for s in systems) + " |",
              "|---|" + "---|---|" * len(systems)]
    classes = sorted({c for s in systems for c in res["entities"][s]})
    for c in classes:
        cells = []
        for s in systems:
            v = res["entities"][s].get(c)
            cells.append(f"{100 * v['rate']:.1f}" if v else "–")
            cells.append(f"{ents[s][c]:.1f}" if c in ents[s] else "–")
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    secs = [t for r in res["seconds"].values() for t in r.values()]
    words = [r[s]["ref_words"] for r in res["files"].values() for s in systems]
    lines += ["", f"Earnings-mode scoring time: {sum(secs) / len(secs):.2f} s per file on average "
                  f"(max {max(secs):.2f} s; {sum(words) / len(words):.0f} reference words per file)."]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", help="speech-datasets checkout, or its earnings21/ folder")
    ap.add_argument("--subset", choices=["eval10", "all"], default="eval10")
    ap.add_argument("-o", "--out", help="write earnings_eval.md and earnings_eval.json here")
    a = ap.parse_args()
    root = Path(a.dataset)
    if (root / "earnings21").is_dir():
        root = root / "earnings21"
    if not (root / "transcripts" / "nlp_references").is_dir():
        print(f"{root}: no transcripts/nlp_references (give the earnings21 folder of speech-datasets)", file=sys.stderr)
        return 2
    res = run(root, a.subset)
    md = to_markdown(res)
    print(md)
    if a.out:
        atomic_write_text(Path(a.out) / "earnings_eval.md", md)
        atomic_write_text(Path(a.out) / "earnings_eval.json", json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
