"""The sandbox: extracts a docstring's examples and runs untrusted candidates against them.

Candidate code never runs in the server process: it runs in isolated worker processes
(see ``isolation.py``), and results come back as plain data (see ``types.py``).
"""
