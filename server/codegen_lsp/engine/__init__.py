"""The engine: draws N samples with per-token log-probabilities from a local code model.

The rest of the project sees only :class:`~codegen_lsp.engine.types.Engine`; which backend
(ONNX Runtime, torch reference, remote) serves it is chosen by :func:`load_engine`.
"""
