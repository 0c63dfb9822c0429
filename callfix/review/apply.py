"""Apply an editor's decisions.json: the final transcript in every format under ``out_dir/final``."""
from __future__ import annotations

import copy
from pathlib import Path

from callfix.errors import InputError
from callfix.model import Transcript
from callfix.review.decisions import load_decisions, transcript_id
from callfix.review.rebuild import ACCEPT, REJECT, check_edits, rebuild_transcript


def reviewed_transcript(t: Transcript, editor: dict[str, str], decisions_path: str = "") -> Transcript:
    """A copy of ``t`` with paragraphs rebuilt from the editor's choices and each edit's outcome recorded.

    Accepted edits are applied (suggested ones too), rejected ones reverted (applied ones too),
    undecided ones keep their automatic class.
    """
    out = copy.deepcopy(t)
    rebuilt = rebuild_transcript(out, editor)
    for p in out.paragraphs:
        p.corrected = rebuilt[p.index].text
    conflicts = [c for r in rebuilt.values() for c in r.conflicts]
    for e in out.edits:
        choice = editor.get(e.id)
        review = {"auto": e.decision, "editor": choice}
        if choice == ACCEPT:
            e.decision = "applied"
        elif choice == REJECT:
            e.decision = "kept"
        if e.id in conflicts:
            # not in the final text: the writers must not re-apply it over the edit that won
            e.decision = "kept"
            review["skipped"] = "overlaps another chosen edit"
        e.evidence = {**e.evidence, "review": review}
    out.meta = {
        **out.meta,
        "review": {
            "transcript": transcript_id(t),
            "decisions_file": decisions_path,
            "accepted": sum(v == ACCEPT for v in editor.values()),
            "rejected": sum(v == REJECT for v in editor.values()),
            "undecided": sum(e.id not in editor for e in t.edits),
            "conflicts": conflicts,  # chosen edits skipped: another chosen edit covers their span
        },
    }
    return out


def apply_review(out_dir: str | Path, decisions_path: str | Path) -> list[Path]:
    out = Path(out_dir)
    src = out / "transcript.json"
    if not out.is_dir():
        raise InputError(f"{out}: not a directory")
    t = Transcript.load(src)
    check_edits(t, str(src))
    editor = load_decisions(decisions_path, t, src)
    final = reviewed_transcript(t, editor, str(decisions_path))
    from callfix.io.writers import write_outputs
    from callfix.review.tables import write_diff

    paths = write_outputs(final, out / "final")
    return [*paths, write_diff(final, out / "final" / "transcript.diff")]
