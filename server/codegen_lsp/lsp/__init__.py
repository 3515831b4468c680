"""The language-server surface (pygls). It calls the pipeline; nothing below imports it."""
