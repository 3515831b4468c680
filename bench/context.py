"""Listing every function of a large file: one shared reading vs one context per function.

The language server checks every function's examples when a document opens, and
``codegen-lsp check PATH`` does the same: both list every function's context. ``all_functions``
reads the file once for all of them (helpers, runnable module, indentation); the peer builds each
context on its own with ``find_function``, as every caller did before the reading was shared
(each one re-reads the whole module, so the total grows with the square of the file). Figures:
seconds for each and the ratio; the last line is a JSON object.

    .venv/bin/python bench/context.py [--functions 300]
"""

from __future__ import annotations

import argparse
import json
import time

from codegen_lsp.context import all_functions, find_function


def make_source(count: int) -> str:
    """Return a module of ``count`` documented functions, each naming the one before it."""
    return "import os\n\n\n" + "".join(
        f'def f{i}(x):\n    """Step {i} after f{i - 1}.\n\n    >>> f{i}(1)\n    1\n    """\n'
        "    return x\n\n\n"
        for i in range(count)
    )


def main() -> None:
    """Time both ways on the same file and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--functions", type=int, default=300)
    args = parser.parse_args()
    source = make_source(args.functions)
    def_lines = [i for i, line in enumerate(source.splitlines()) if line.startswith("def ")]

    started = time.perf_counter()
    shared = all_functions(source)
    shared_s = time.perf_counter() - started

    started = time.perf_counter()
    each = [find_function(source, line) for line in def_lines]
    each_s = time.perf_counter() - started

    assert [c.qualified_name for c in shared] == [c.qualified_name for c in each]
    assert [c.module_source for c in shared] == [c.module_source for c in each]
    assert [c.helpers for c in shared] == [c.helpers for c in each]
    ratio = each_s / shared_s if shared_s else float("inf")
    print(f"file: {args.functions} functions, {len(source):,} characters")
    print(f"{'way':<34}{'seconds':>10}")
    print(f"{'all_functions (one reading)':<34}{shared_s:>10.2f}")
    print(f"{'find_function per function (peer)':<34}{each_s:>10.2f}")
    print(f"speed-up: x{ratio:.1f}")
    print(
        json.dumps(
            {
                "functions": args.functions,
                "all_functions_s": round(shared_s, 3),
                "per_function_s": round(each_s, 3),
                "ratio": round(ratio, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
