"""Helpers the test folders share: projects, the tiny model, LSP sessions, stub model servers.

Import them as ``support.<module>``; the fixtures built on them live in the root conftest.
"""
