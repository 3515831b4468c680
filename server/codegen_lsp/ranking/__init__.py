"""Ranking: signals per candidate (mean log-prob, examples, agreement, verifier, reviewer)."""
