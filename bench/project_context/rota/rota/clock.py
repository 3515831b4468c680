"""Times of day."""


def hhmm(minutes: int) -> str:
    """Format minutes after midnight on the 24-hour clock, e.g. 545 -> ``09:05``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
