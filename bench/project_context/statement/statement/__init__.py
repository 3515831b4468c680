"""A household's bank statements."""
