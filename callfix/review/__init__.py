"""Editor review: the review page, edits.csv / transcript.diff, and applying the editor's decisions."""
from callfix.review.apply import apply_review
from callfix.review.decisions import transcript_id
from callfix.review.render import render_review

__all__ = ["apply_review", "render_review", "transcript_id"]
