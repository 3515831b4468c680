"""Units the site's reports use."""

FEET_PER_METRE = 3.28084


def to_feet(metres: float) -> float:
    """Return a length in feet, to two decimals."""
    return round(metres * FEET_PER_METRE, 2)
