"""Delete each safeguard the docs promise, in a copy of the project, and see a test fail.

A safeguard counts as tested only when removing it makes a test fail. This script keeps that
true: for every entry of ``MUTANTS`` it applies one edit to a scratch copy of the work tree (the
safeguard deleted or switched off), runs the tests named for it, and reports whether they
caught it. Run it before each release (see CONTRIBUTING.md):

    .venv/bin/python scripts/mutants.py              # every mutant, about 10 minutes on 2 cores
    .venv/bin/python scripts/mutants.py --list       # the safeguards and their tests
    .venv/bin/python scripts/mutants.py --only parent-watch --only wipe-between-candidates

Verdicts: ``caught`` (a test failed: good), ``SURVIVED`` (the tests passed with the safeguard
gone: add or fix a test), ``STALE`` (the snippet is no longer in the file, exactly once: update
the entry after a refactor). Before the mutants, the selected tests run once unmutated in the
copy (``--no-baseline`` skips that): a test that fails anyway would catch every mutant. The exit
status is 0 only when every mutant was caught.

The copy is imported through PYTHONPATH, ahead of the editable install, and every process the
tests start (the language server, the model child, sandbox workers) inherits it; the script
checks that ``codegen_lsp`` really comes from the copy before it trusts any verdict.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = Path("server/codegen_lsp")


@dataclass(frozen=True)
class Mutant:
    """One safeguard, how to delete it, and the tests that must notice."""

    name: str
    promise: str
    file: Path
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant(
        "stale-version",
        "a stale document version never gets an edit",
        PACKAGE / "lsp/server.py",
        "document.version != version or self.applied_versions.get(uri) == version",
        "self.applied_versions.get(uri) == version",
        ("tests/lsp/test_actions.py", "-k", "older_version"),
    ),
    Mutant(
        "apply-once",
        "two requests for one version apply one edit",
        PACKAGE / "lsp/server.py",
        "document.version != version or self.applied_versions.get(uri) == version",
        "document.version != version",
        ("tests/lsp/test_cancellation.py", "-k", "racing"),
    ),
    Mutant(
        "parent-watch",
        "the model child ends with its server, even while it loads",
        PACKAGE / "engine/child.py",
        "    exit_with_parent(args.parent or os.getppid())\n",
        "",
        ("tests/lsp/test_model_process.py", "-k", "killed"),
    ),
    Mutant(
        "wipe-between-candidates",
        "what one candidate writes the next never sees",
        PACKAGE / "sandbox/_worker.py",
        "    clear_directory(os.getcwd())  # what one candidate wrote, the next must not see\n",
        "",
        ("tests/sandbox/test_sandbox_runner.py", "-k", "never_sees"),
    ),
    Mutant(
        "queue-limit",
        "at most 4 requests wait; older ones get ServerCancelled",
        PACKAGE / "lsp/jobs.py",
        "while len(self._waiting) > self._max_waiting:",
        "while False:",
        ("tests/lsp/test_queue.py", "-k", "newest"),
    ),
    Mutant(
        "shared-job-cancel",
        "cancelling one of two requests that share a job leaves the job running",
        PACKAGE / "lsp/cancellation.py",
        "        if job.waiters <= 0:\n            job.stop(JobCancelled.REQUESTED)\n",
        "        job.stop(JobCancelled.REQUESTED)\n",
        ("tests/lsp/test_queue.py", "-k", "share"),
    ),
    Mutant(
        "result-on-its-way-shared",
        "a request that arrives as a job ends shares its result instead of sampling again",
        PACKAGE / "lsp/jobs.py",
        "        jobs.extend(self._settling)\n",
        "",
        ("tests/lsp/test_jobs.py",),
    ),
    Mutant(
        "peer-uid",
        "the shared daemon serves only its own user",
        PACKAGE / "engine/daemon.py",
        "if not _same_user(connection):",
        "if False:",
        ("tests/remote/test_shared_engine.py", "-k", "another_user"),
    ),
    Mutant(
        "cancel-crosses-socket",
        "a cancelled request stops the shared model's work",
        PACKAGE / "engine/connection.py",
        'connection.send("cancel", target=request_id)',
        "pass",
        ("tests/remote/test_shared_engine.py", "-k", "cancel"),
    ),
    Mutant(
        "seccomp",
        "candidates run under a seccomp filter",
        PACKAGE / "sandbox/_worker.py",
        "        install_seccomp(SECCOMP_PROGRAM)\n",
        "        pass\n",
        ("tests/sandbox/test_sandbox_hostile.py", "-k", "not project"),
    ),
    Mutant(
        "memory-limit",
        "a candidate cannot take more than sandbox.memoryMb",
        PACKAGE / "sandbox/_worker.py",
        "        (resource.RLIMIT_AS, memory),\n",
        "",
        ("tests/sandbox/test_sandbox_hostile.py", "-k", "memory"),
    ),
    Mutant(
        "no-network",
        "candidates have no network (bubblewrap unshares every namespace)",
        PACKAGE / "sandbox/isolation.py",
        '        "--unshare-all",\n',
        "",
        ("tests/sandbox/test_sandbox_runner.py", "-k", "namespaces_of_their_own"),
    ),
    Mutant(
        "verifier-gate",
        "without examples the ranking is never worse than the model's likelihood",
        PACKAGE / "ranking/combine.py",
        "has_examples = any(c.examples_total > 0 for c in candidates)",
        "has_examples = True",
        ("tests/ranking/test_combine.py",),
    ),
    Mutant(
        "quiet-hang-up",
        "an editor that quits mid-generation leaves no traceback in the log",
        PACKAGE / "lsp/protocol.py",
        "super().set_writer(_HangUpAwareWriter(writer), include_headers)",
        "super().set_writer(writer, include_headers)",
        ("tests/editors/test_editors.py", "-k", "quitting_neovim"),
    ),
    Mutant(
        "quiet-cancelled-command",
        "a command cancelled as the server winds down is no unhandled exception",
        PACKAGE / "lsp/protocol.py",
        "        if future is not None and future.cancelled():\n",
        "        if False:\n",
        # The quit-mid-generation editor tests meet this race only sometimes; this one always.
        ("tests/lsp/test_protocol.py",),
    ),
    Mutant(
        "passing-so-far",
        "progress says how many candidates pass so far",
        PACKAGE / "execution.py",
        "                passing += 1\n",
        "                    pass\n",
        ("tests/lsp/test_actions.py", "-k", "warm_up_shows"),
    ),
    Mutant(
        "samples-told",
        "sampling progress counts the samples as they finish",
        PACKAGE / "engine/decoding.py",
        "                    request.tell_finished(finished)\n",
        "",
        ("tests/engine/test_engine_onnx.py", "-k", "told"),
    ),
    Mutant(
        "greedy-first",
        "the model's greedy body is always among the candidates",
        PACKAGE / "engine/decoding.py",
        "                tokens[0], logprobs[0] = best[0], best_logprob[0]\n",
        "",
        ("tests/engine/test_engine_onnx.py", "-k", "greedy_first"),
    ),
    Mutant(
        "prompt-cache-room",
        "a kept prompt cache starts a request only when it has room for its new tokens",
        PACKAGE / "engine/onnx_backend.py",
        "        return state.capacity == 0 or state.capacity >= capacity\n",
        "        return True\n",
        ("tests/engine/test_prompt_cache.py",),
    ),
    Mutant(
        "shared-prompt-bias",
        "a row decoding over a shared prompt sees the prompt and its own positions only",
        PACKAGE / "engine/prompt_sharing.py",
        "        visible[:, : self.prompt] = True\n",
        "        visible[:, :] = True\n",
        ("tests/engine/test_prompt_sharing.py",),
    ),
    Mutant(
        "shared-prompt-positions",
        "a row's token over a shared prompt sits at its own rotary position",
        PACKAGE / "engine/prompt_sharing.py",
        "np.full((1, len(self.rows)), self.prompt + self.steps, dtype=np.int64)",
        "(self.filled + np.arange(len(self.rows)))[None].astype(np.int64)",
        ("tests/engine/test_prompt_sharing.py",),
    ),
    Mutant(
        "shared-prompt-parting",
        "rows that part from a shared prompt each take their own positions",
        PACKAGE / "engine/prompt_sharing.py",
        "        row = self.rows[slot]\n",
        "        row = slot\n",
        ("tests/engine/test_prompt_sharing.py",),
    ),
    Mutant(
        "verified-near-gate",
        "candidates that pass every example but part ways near them are never verified",
        PACKAGE / "ranking/combine.py",
        "        settled = near_share is None or near_share >= settings.verified_near_agreement\n",
        "        settled = True\n",
        ("tests/ranking/test_combine.py",),
    ),
    Mutant(
        "agreement-not-verified",
        "without examples, agreement is not called verified below ranking.verifiedAgreement",
        PACKAGE / "ranking/combine.py",
        "use_behaviour and bool(candidate.behaviour) and score >= settings.verified_agreement",
        "use_behaviour and bool(candidate.behaviour)",
        ("tests/ranking/test_combine.py", "-k", "unanimous"),
    ),
    Mutant(
        "crashes-in-title",
        "a title that counts agreeing samples says on how many inputs the candidate raised",
        PACKAGE / "lsp/evidence.py",
        'raises += f" · raises on {crashes}" if crashes else ""',
        'raises += ""',
        ("tests/lsp/test_evidence.py",),
    ),
    Mutant(
        "near-calls-forget-touched-names",
        "a name another statement touched no longer stands for the data it was bound to",
        PACKAGE / "variants.py",
        "        _forget(statement, bindings)\n",
        "        pass\n",
        ("tests/pipeline/test_variants.py",),
    ),
    Mutant(
        "only-spelled-defaults-dropped",
        "a proposed call loses a constructor keyword only when it repeats the field's default",
        PACKAGE / "inputs.py",
        "                and ast.unparse(keyword.value) == known[keyword.arg]\n",
        "",
        ("tests/pipeline/test_builds.py",),
    ),
    Mutant(
        "probes-import-unnamed-classes",
        "a drawn input that builds a class the file never imports imports it first",
        PACKAGE / "execution.py",
        "        calls, inputs.importable_classes(ctx), observe=inputs.observes(ctx)\n",
        "        calls, observe=inputs.observes(ctx)\n",
        ("tests/pipeline/test_builds.py",),
    ),
    Mutant(
        "init-state-drawn",
        "typed state that __init__ fills from no parameter is drawn and set on the object",
        PACKAGE / "builds.py",
        "        if name not in parameters and not uses & parameters"
        ' and not name.startswith("_"):\n',
        "        if False:\n",
        ("tests/pipeline/test_builds.py",),
    ),
    Mutant(
        "methods-drawn-for",
        "a method without examples is compared on calls on drawn instances",
        PACKAGE / "execution.py",
        "    if inputs.callee(ctx) is None:\n",
        "    if not ctx.is_top_level or ctx.is_async:\n",
        ("tests/pipeline/test_builds.py",),
    ),
    Mutant(
        "broken-code-penalised",
        "raising NameError/AttributeError on the inputs counts as broken code, not a refusal",
        PACKAGE / "ranking/combine.py",
        "- BROKEN_PENALTY * broken",
        "- CRASH_PENALTY * broken",
        ("tests/ranking/test_combine.py",),
    ),
    Mutant(
        "explain-keeps-a-few",
        "explain keeps at most four generated examples, different results first",
        PACKAGE / "as_written.py",
        "MOST_EXAMPLES_KEPT = 4\n",
        "MOST_EXAMPLES_KEPT = 100\n",
        ("tests/pipeline/test_explain.py",),
    ),
    Mutant(
        "standard-values-drawn",
        "dates, times, Decimal, Fraction and Path hints get drawn inputs",
        PACKAGE / "inputs.py",
        "        if name not in _STANDARD_VALUES:\n            raise\n",
        "        raise\n",
        ("tests/pipeline/test_inputs.py",),
    ),
    Mutant(
        "agreeing-wave-not-broken",
        "a first wave that agrees on raising NameError/AttributeError does not end the draw",
        PACKAGE / "execution.py",
        " and not any(key in BROKEN_CODE for key in raised)\n",
        "\n",
        ("tests/pipeline/test_waves.py",),
    ),
    Mutant(
        "agreeing-wave-ends-draw",
        "without examples, a first wave that behaves as one on every input ends the draw",
        PACKAGE / "pipeline.py",
        "agreeing = agreed if not examples and sampling.first_wave_without_examples else None",
        "agreeing = None",
        ("tests/pipeline/test_waves.py",),
    ),
    Mutant(
        "objects-told-apart",
        "Enum members and plain objects are grouped by their attributes, not all alike",
        PACKAGE / "sandbox/_worker.py",
        "    state = _instance_state(value)\n",
        "    state = None\n",
        ("tests/pipeline/test_inputs.py",),
    ),
    Mutant(
        "values-told-apart",
        "Decimals, Fractions, dates and times are grouped by value, not all alike",
        PACKAGE / "sandbox/_worker.py",
        "    if kind in VALUE_TYPES:\n",
        "    if False:\n",
        ("tests/pipeline/test_inputs.py",),
    ),
    Mutant(
        "none-returning-observed",
        "a -> None function's candidates are compared by what their calls change",
        PACKAGE / "inputs.py",
        "    if returns_none(ctx):\n        return True\n",
        "    if False:\n        return True\n",
        ("tests/pipeline/test_builds.py",),
    ),
    Mutant(
        "method-state-observed",
        "a method's candidates are compared by the object after the call, not its result alone",
        PACKAGE / "inputs.py",
        '    return found is not None and found[0] == "method"\n',
        "    return False\n",
        ("tests/pipeline/test_builds.py",),
    ),
    Mutant(
        "observed-result-type",
        "an observed call's return annotation is checked against its result, not the wrapper",
        PACKAGE / "sandbox/_worker.py",
        '            event["type"] = type_name(result_of(value) if example.get("observed")'
        " else value)\n",
        '            event["type"] = type_name(value)\n',
        ("tests/pipeline/test_builds.py",),
    ),
    Mutant(
        "field-types-transitive",
        "field types are followed past the first level (Shelf -> Bin -> Item)",
        PACKAGE / "crossfile.py",
        "MAX_FIELD_DEPTH = 3\n",
        "MAX_FIELD_DEPTH = 1\n",
        ("tests/crossfile/test_crossfile.py",),
    ),
    Mutant(
        "imported-class-field-types",
        "the field types of a class the file imports are shown, not only the signature's",
        PACKAGE / "crossfile.py",
        "lookup.relevance <= RELEVANCE_IMPORTED:\n",
        "lookup.relevance <= RELEVANCE_EXAMPLE:\n",
        ("tests/crossfile/test_crossfile.py",),
    ),
    Mutant(
        "common-texts-drawn",
        "drawn strings often meet, so a key looked up in a drawn dict is sometimes there",
        PACKAGE / "inputs.py",
        "    return st.one_of(common, st.text(",
        "    return st.one_of(st.nothing(), st.text(",
        ("tests/pipeline/test_inputs.py",),
    ),
    Mutant(
        "probe-call-time-limit",
        "a call with its own time limit stops alone; the calls after it still run",
        PACKAGE / "sandbox/_worker.py",
        "            setitimer(real_timer, min(remaining, limit) if limit else remaining)\n",
        "            setitimer(real_timer, remaining)\n",
        ("tests/sandbox/test_sandbox_runner.py",),
    ),
    Mutant(
        "larger-near-calls",
        "the examples' calls also run with their small whole numbers larger",
        PACKAGE / "variants.py",
        "    largest = grown_call(seeds)\n",
        "    largest = None\n",
        ("tests/pipeline/test_variants.py",),
    ),
    Mutant(
        "hanging-never-verified",
        "a top that did not finish a call near the examples in time is not verified",
        PACKAGE / "ranking/combine.py",
        "                    and not candidate.hangs_near\n",
        "",
        ("tests/ranking/test_combine.py",),
    ),
    Mutant(
        "hang-note",
        "the user is told which call near the examples the top did not finish in time",
        PACKAGE / "pipeline.py",
        "                result.notes.extend([execution.hang_note(hung)] if hung else [])\n",
        "",
        ("tests/pipeline/test_variants.py",),
    ),
    Mutant(
        "breaking-near-verified",
        "a top that raises on an empty argument near the examples is not verified",
        PACKAGE / "ranking/combine.py",
        "                    and not candidate.breaks_near\n",
        "",
        ("tests/ranking/test_combine.py",),
    ),
    Mutant(
        "refusals-count-as-breaking",
        "a ValueError near the examples (how Python refuses a value) does not refuse the mark",
        PACKAGE / "ranking/candidate.py",
        '    return key.startswith("!") and key not in REFUSALS\n',
        '    return key.startswith("!")\n',
        ("tests/ranking/test_combine.py",),
    ),
    Mutant(
        "any-call-near-breaks",
        "only calls passing an empty argument near the examples can refuse the mark",
        PACKAGE / "execution.py",
        "                if variants.passes_empty(result.example.call)\n",
        "                if True\n",
        ("tests/pipeline/test_variants.py", "-k", "hangs_near or breaks"),
    ),
    Mutant(
        "break-note",
        "the user is told on which call near the examples the top raised",
        PACKAGE / "pipeline.py",
        "                    result.notes.extend([broke] if broke else [])\n",
        "",
        ("tests/pipeline/test_variants.py", "-k", "breaks"),
    ),
    Mutant(
        "breaks-near-data",
        "the client is told that a candidate raised on an empty argument near the examples",
        PACKAGE / "lsp/evidence.py",
        '        data["breaksNear"] = True\n',
        "        pass\n",
        ("tests/lsp/test_evidence.py",),
    ),
    Mutant(
        "earlier-samples-never-drafted",
        "drafts also come from the samples of earlier requests",
        PACKAGE / "engine/decoding.py",
        "                lookup.PromptLookup(ids, earlier=self.written),\n",
        "                lookup.PromptLookup(ids),\n",
        ("tests/engine/test_engine_speculative.py", "-k", "earlier"),
    ),
    Mutant(
        "sampled-rows-never-draft-from-earlier",
        "a sampled row drafts from its own request only (before its draws were kept apart)",
        PACKAGE / "engine/decoding.py",
        "                lookup.PromptLookup(ids, earlier=self.written),\n",
        "                lookup.PromptLookup(ids, earlier=self.written if request.temperature == 0"
        " else None),\n",
        ("tests/engine/test_engine_speculative.py", "-k", "earlier"),
    ),
    Mutant(
        "host-copy-reads-a-dropped-buffer",
        "the device path run on CPU reads a verify pass's logits through a view of a freed array",
        PACKAGE / "engine/onnx_backend.py",
        "            return host.copy() if self.copy_through_host else host\n",
        "            return np.asarray(value.numpy()) if self.copy_through_host else host\n",
        ("tests/engine/test_engine_row_removal.py",),
    ),
    Mutant(
        "positions-drawn-by-use",
        "a pass of drafts draws with the row's first numbers, not its positions' own",
        PACKAGE / "engine/decoding.py",
        "                row.uniforms[start : start + len(drafts) + 1],\n",
        "                row.uniforms[: len(drafts) + 1],\n",
        ("tests/engine/test_engine_speculative.py", "-k", "sampled_with_drafts"),
    ),
    Mutant(
        "rows-share-a-stream",
        "every row of a request draws with the same numbers",
        PACKAGE / "engine/decoding.py",
        "    streams = np.random.SeedSequence(seed).spawn(rows)\n",
        "    streams = [np.random.SeedSequence(seed)] * rows\n",
        ("tests/engine/test_engine_speculative.py", "-k", "rows_sample"),
    ),
    Mutant(
        "samples-never-remembered",
        "each request's samples are remembered for later drafts",
        PACKAGE / "engine/decoding.py",
        "                self.written.add(row.tokens)\n",
        "                pass\n",
        ("tests/engine/test_engine_speculative.py", "-k", "earlier"),
    ),
    Mutant(
        "earlier-suffixes-span-samples",
        "a suffix is indexed within one earlier sample, never across two",
        PACKAGE / "engine/lookup.py",
        "                if end - size >= first:  # within this sample only\n",
        "                if True:\n",
        ("tests/engine/test_lookup.py",),
    ),
    Mutant(
        "finishing-first-among-equals",
        "among equals on the examples, a body that finishes the calls near them comes first",
        PACKAGE / "ranking/combine.py",
        "                    not candidate.hangs_near,\n",
        "",
        ("tests/pipeline/test_variants.py",),
    ),
    Mutant(
        "near-consensus-among-equals",
        "among equals on the examples, the body doing what most do near them comes first",
        PACKAGE / "ranking/combine.py",
        "                    consensus[index],\n",
        "",
        ("tests/ranking/test_combine.py",),
    ),
    Mutant(
        "harness-ties-whole-key",
        "the harness counts as ties only candidates equal in every part of the key but the index",
        PACKAGE / "eval/harness.py",
        "        keys[item.index] = item.sort_key[:-1]  # all but the index: equal keys are ties\n",
        "        keys[item.index] = item.sort_key[:3]\n",
        ("tests/eval/test_ties.py",),
    ),
    Mutant(
        "prompt-cache-one-row",
        "one row decodes in its own prefilled cache, which is never kept for reuse",
        PACKAGE / "engine/decoding.py",
        "        if rows > 1 and self.keeps_prompt_cache(state, capacity):\n",
        "        if self.keeps_prompt_cache(state, capacity):\n",
        ("tests/engine/test_prompt_cache.py",),
    ),
    Mutant(
        "draft-rollback",
        "speculative decoding rolls the cache back over rejected drafts: greedy stays greedy",
        PACKAGE / "engine/decoding.py",
        "                state = self.truncate(state, length)\n",
        "",
        ("tests/engine/test_engine_speculative.py", "-k", "greedy_with_drafts"),
    ),
    Mutant(
        "draft-acceptance-rule",
        "a drafted token is kept only where the position's own draw is that token (unbiased)",
        PACKAGE / "engine/sampling.py",
        "            best[index] = draw(options, probabilities, float(uniforms[index]))\n",
        "            best[index] = (\n"
        "                drafts[index] if index < len(drafts) and drafts[index] in options\n"
        "                else draw(options, probabilities, float(uniforms[index]))\n"
        "            )\n",
        ("tests/engine/test_engine_sampling.py", "-k", "draft"),
    ),
    Mutant(
        "explain-keeps-prose",
        "explain keeps the user's docstring and only adds examples",
        PACKAGE / "as_written.py",
        'own = "" if rewrite else inspect.cleandoc(ctx.docstring or "").strip()',
        'own = ""',
        ("tests/pipeline/test_explain.py",),
    ),
    Mutant(
        "cancel-meets-progress",
        "a request cancelled as its progress starts ends cancelled, with a clean log",
        PACKAGE / "lsp/progress.py",
        "await _within(ls.work_done_progress.create_async(token), CREATE_TOKEN_WAIT_S)",
        "await asyncio.wait_for(ls.work_done_progress.create_async(token), CREATE_TOKEN_WAIT_S)",
        ("tests/lsp/test_progress.py",),
    ),
    Mutant(
        "sandbox-homes-swept",
        "worker homes a killed server left in the temporary directory are removed",
        PACKAGE / "sandbox/runner.py",
        "        homes.sweep_once()  # what killed servers left behind\n",
        "",
        ("tests/sandbox/test_sandbox_homes.py",),
    ),
    Mutant(
        "sandbox-homes-of-running-servers-kept",
        "the sweep never removes the worker home of a server that still runs",
        PACKAGE / "sandbox/homes.py",
        "        if pid is None or pid == os.getpid() or _running(pid):\n",
        "        if pid is None:\n",
        ("tests/sandbox/test_sandbox_homes.py",),
    ),
    Mutant(
        "sandbox-homes-no-links",
        "the sweep never follows a symbolic link",
        PACKAGE / "sandbox/homes.py",
        "            if not entry.is_dir(follow_symlinks=False):\n",
        "            if not entry.is_dir():\n",
        ("tests/sandbox/test_sandbox_homes.py",),
    ),
    Mutant(
        "waves-stop-on-evidence",
        "sampling in waves stops early only when enough first-wave samples pass every example",
        PACKAGE / "draws.py",
        "    enough = judged and drawn.passing_samples(runs) >= waves.enough_passing\n",
        "    enough = judged\n",
        ("tests/pipeline/test_waves.py",),
    ),
    Mutant(
        "waves-go-on-when-passing-part-ways",
        "a first wave whose passing samples part ways near the examples draws the rest",
        PACKAGE / "pipeline.py",
        "run, going_on, agreeing, settled)\n",
        "run, going_on, agreeing)\n",
        ("tests/pipeline/test_waves.py", "-k", "near"),
    ),
    Mutant(
        "waves-refusals-alike",
        "passing samples that refuse a call near the examples with different errors agree",
        PACKAGE / "execution.py",
        '                answer.add("!" if key.startswith("!") else key)\n',
        "                answer.add(key)\n",
        ("tests/pipeline/test_waves.py", "-k", "near"),
    ),
    Mutant(
        "waves-note-says-alike",
        "the note of a first wave that stopped says its passing samples agreed near the examples",
        PACKAGE / "pipeline.py",
        'f"already pass every example{alike} (sampling.firstWave)"',
        '"already pass every example (sampling.firstWave)"',
        ("tests/pipeline/test_waves.py", "-k", "near"),
    ),
    Mutant(
        "waves-slow-is-not-wrong",
        "a first wave whose passing samples differ only in finishing a call in time is decisive",
        PACKAGE / "execution.py",
        "            if key != TIMED_OUT:\n",
        "            if True:\n",
        ("tests/pipeline/test_variants.py", "-k", "finishes"),
    ),
    Mutant(
        "waves-near-runs-reused",
        "the first wave's runs near the examples are kept: its bodies never run there twice",
        PACKAGE / "pipeline.py",
        "            agrees, first_probes[:] = execution.near_settles(\n",
        "            agrees, _ = execution.near_settles(\n",
        ("tests/pipeline/test_waves.py", "-k", "near"),
    ),
    Mutant(
        "early-candidates",
        "a first wave's passing candidate is offered while the rest are drawn",
        PACKAGE / "pipeline.py",
        "                early(shown)\n",
        "",
        ("tests/lsp/test_actions.py", "-k", "first_wave"),
    ),
    Mutant(
        "repair-round",
        "when no sample passes every example, one repair round runs before the answer",
        PACKAGE / "pipeline.py",
        "            return self._repair_round(ctx, result, examples, cancel, progress, file)\n",
        "            pass\n",
        ("tests/pipeline/test_waves.py", "-k", "repair"),
    ),
    Mutant(
        "int8-graph-reads-prompts",
        "with an int8 graph, prompts are read by it, not by the int4 graph",
        PACKAGE / "engine/onnx_backend.py",
        "outputs = self.int8_session.run_with_ort_values(self.output_names, feed)",
        "outputs = self.session.run_with_ort_values(self.output_names, feed)",
        ("tests/engine/test_int8_graph.py", "-k", "reads_the_prompt"),
    ),
    Mutant(
        "int8-graph-steps-wide",
        "steps of three rows or more run on the int8 graph, fewer on the int4 graph",
        PACKAGE / "engine/onnx_backend.py",
        "        wide = state.rows >= self.wide_rows\n",
        "        wide = False\n",
        ("tests/engine/test_int8_graph.py", "-k", "three_rows"),
    ),
    Mutant(
        "int8-graph-cache-checked",
        "an int8 graph that declares another cache is refused",
        PACKAGE / "engine/onnx_backend.py",
        "if _cache_signature(session) != _cache_signature(self.session):",
        "if False:",
        ("tests/engine/test_int8_graph.py", "-k", "another_cache"),
    ),
    Mutant(
        "int8-graph-loaded",
        "the server loads the int8 graph when model.int8Graph is on",
        PACKAGE / "engine/local.py",
        "        int8_directory=int8_graph,\n",
        "",
        ("tests/engine/test_int8_graph.py", "-k", "setting"),
    ),
    Mutant(
        "arguments-alone-first",
        "an equal candidate that leaves its arguments alone is put first",
        PACKAGE / "pipeline.py",
        "if call is None), None)\n",
        "if call is None and False), None)\n",
        ("tests/pipeline/test_arguments.py", "-k", "comes_first"),
    ),
    Mutant(
        "arguments-compared",
        "the check compares a call's arguments before and after it",
        PACKAGE / "inputs.py",
        '(*a, **k), repr((a, k)) != before)[1])"',
        '(*a, **k), False)[1])"',
        ("tests/pipeline/test_arguments.py", "-k", "before_and_after or says_so"),
    ),
    Mutant(
        "arguments-docstring-asks",
        "a docstring that asks for changes in place is not second-guessed",
        PACKAGE / "execution.py",
        "    if inputs.observes(ctx) or inputs.may_change_arguments(ctx):\n",
        "    if inputs.observes(ctx):\n",
        ("tests/pipeline/test_arguments.py", "-k", "second_guessed"),
    ),
    Mutant(
        "method-state-kept-attributes",
        "an attribute a method's body adds (a cache) does not split bodies that agree",
        PACKAGE / "inputs.py",
        'else {n: v for n, v in vars(o).items() if n in kept}, a, k])"',
        'else vars(o), a, k])"',
        ("tests/pipeline/test_builds.py", "-k", "returns_and_what_it_changes"),
    ),
    Mutant(
        "method-state-slots",
        "an object without a __dict__ is still observed whole",
        PACKAGE / "inputs.py",
        "\"(set(vars(o)) if hasattr(o, '__dict__') else None))\"",
        '"(set(vars(o))))"',
        ("tests/pipeline/test_builds.py", "-k", "without_a_dict"),
    ),
    Mutant(
        "proposals-comma-rescue",
        "a proposed call whose result follows a comma, not ==, is still read",
        PACKAGE / "inputs.py",
        " or _parsed(_call_before_comma(line))",
        "",
        ("tests/pipeline/test_inputs.py", "-k", "broke_the_brackets"),
    ),
    Mutant(
        "proposals-empty-rescue",
        "a rescue that found nothing does not end the search",
        PACKAGE / "inputs.py",
        "    if not line.strip():  # a rescue that found nothing",
        "    if False:",
        ("tests/pipeline/test_inputs.py", "-k", "broke_the_brackets"),
    ),
    Mutant(
        "proposals-imported-classes",
        "a proposed call may build the classes the prompt showed from other modules",
        PACKAGE / "execution.py",
        "    constructors = inputs.buildable(ctx)\n",
        "    constructors = inputs.constructors(ctx)\n",
        ("tests/pipeline/test_builds.py", "-k", "other_modules"),
    ),
    Mutant(
        "eval-calls-read-again",
        "eval --calls reads a recorded reply again as the editor reads it today",
        PACKAGE / "eval" / "harness.py",
        "            reply = self.proposed_replies.get(task.task_id)\n",
        "            reply = None\n",
        ("tests/eval/test_harness.py", "-k", "recorded_replies"),
    ),
    Mutant(
        "method-near-examples",
        "a method's examples seed calls near them, on its object varied too",
        PACKAGE / "variants.py",
        '    if kind == "method" and isinstance(seed.func, ast.Attribute):\n',
        "    if False:\n",
        ("tests/pipeline/test_variants.py", "-k", "method"),
    ),
    Mutant(
        "method-near-reached",
        "a method is run near its examples at all",
        PACKAGE / "execution.py",
        "    if not settings.ranking.example_variants or reached is None:\n",
        "    if not settings.ranking.example_variants or reached != inputs.FUNCTION:\n",
        ("tests/pipeline/test_variants.py", "-k", "own_way"),
    ),
    Mutant(
        "slow-repair-round",
        "a top that hangs near the examples gets one repair round for speed",
        PACKAGE / "pipeline.py",
        "return self._repair_slow(ctx, result, examples, hung,",
        "return result or self._repair_slow(ctx, result, examples, hung,",
        ("tests/pipeline/test_variants.py", "-k", "for_speed"),
    ),
    Mutant(
        "slow-repair-must-finish",
        "a repaired body that still does not finish the call does not come first",
        PACKAGE / "pipeline.py",
        "or not execution.finishes(ctx, best.body, hung,",
        "or False and execution.finishes(ctx, best.body, hung,",
        ("tests/pipeline/test_variants.py", "-k", "for_speed"),
    ),
    Mutant(
        "slow-repair-larger-call-only",
        "only a hang on the larger call (not on an edge like f(0)) is repaired for speed",
        PACKAGE / "pipeline.py",
        "            and execution.is_larger_call(ctx, examples, hung)\n",
        "",
        ("tests/pipeline/test_variants.py", "-k", "edge"),
    ),
    Mutant(
        "method-near-filled-objects",
        "an object the examples fill through its methods seeds calls near them",
        PACKAGE / "variants.py",
        "and _filled(statement.value, bindings, constructors):",
        "and False:",
        ("tests/pipeline/test_variants.py", "-k", "fill"),
    ),
    Mutant(
        "mark-agreeing-samples",
        "a lone sample is never marked verified: another must act alike near the examples",
        PACKAGE / "ranking" / "combine.py",
        "        settled = settled and agreeing[index] >= settings.verified_near_samples\n",
        "",
        ("tests/ranking/test_combine.py", "-k", "lone_sample"),
    ),
    Mutant(
        "mark-lone-note",
        "a top not verified because no other sample agrees near the examples says so",
        PACKAGE / "pipeline.py",
        "        result.notes.extend([lone] if lone and judged else [])\n",
        "",
        ("tests/pipeline/test_variants.py", "-k", "says_why"),
    ),
    Mutant(
        "method-proposals-receiver",
        "a proposed method call on an object built elsewhere is not kept",
        PACKAGE / "inputs.py",
        "            and _built(func.value, owner, constructors)\n",
        "",
        ("tests/pipeline/test_inputs.py", "-k", "build_its_object"),
    ),
    Mutant(
        "proposals-arity",
        "a proposed call the signature cannot take is not kept",
        PACKAGE / "inputs.py",
        "    if not Takes.of(signature, skip).accepts(node):\n        return False\n",
        "",
        ("tests/pipeline/test_inputs.py", "-k", "cannot_take"),
    ),
    Mutant(
        "proposals-constructors",
        "a proposed call whose constructor the class cannot take is not kept",
        PACKAGE / "execution.py",
        "        and builds.constructors_fit(ctx, call)\n",
        "",
        ("tests/pipeline/test_builds.py", "-k", "proposes_too"),
    ),
    Mutant(
        "same-file-class-fields",
        "a class of the function's own file shows its fields and members in the prompt",
        PACKAGE / "context.py",
        "text = summary or _class_outline(node, lines, text)",
        "text = _class_outline(node, lines, text)",
        ("tests/pipeline/test_context.py", "-k", "own_classes"),
    ),
    Mutant(
        "method-calls-show-constructor",
        "the model asked for calls of a method is shown how its object is built",
        PACKAGE / "execution.py",
        "        building = builds.constructor_arguments(ctx, owner)\n",
        '        building = "..."\n',
        ("tests/pipeline/test_builds.py", "-k", "proposes_too"),
    ),
    Mutant(
        "near-lists-keep-their-order",
        "a list near the examples is never reordered to part its neighbours",
        PACKAGE / "variants.py",
        "        found.append([*items[::2], *items[1::2]])\n",
        "        pass\n",
        ("tests/pipeline/test_variants.py", "-k", "neighbours"),
    ),
    Mutant(
        "property-examples-seed-nothing",
        "a property's examples on an object filled through its methods seed no reads near them",
        PACKAGE / "variants.py",
        "        return call if _filled_by_data(call.value, [], owner, constructors) else None\n",
        "        return None\n",
        ("tests/pipeline/test_variants.py", "-k", "property"),
    ),
    Mutant(
        "crashes-never-excused",
        "without type hints a crash on a proposed input counts against the body all the same",
        PACKAGE / "ranking" / "combine.py",
        "0.0 if candidate.crashes_excused else candidate.crash_share - broken - documented",
        "candidate.crash_share - broken - documented",
        ("tests/ranking/test_combine.py", "-k", "type_hints"),
    ),
    Mutant(
        "pipeline-ignores-hints",
        "the editor's ranking treats a function without hints as if its inputs were checked",
        PACKAGE / "pipeline.py",
        "            hinted=inputs.hinted(ctx),\n",
        "",
        ("tests/pipeline/test_inputs.py", "-k", "type_hints"),
    ),
    Mutant(
        "objects-never-filled",
        "a drawn object is never filled through its own methods before the method runs",
        PACKAGE / "builds.py",
        "        if not fills:\n            return built\n",
        "        if True:\n            return built\n",
        ("tests/pipeline/test_builds.py", "-k", "filled_through"),
    ),
    Mutant(
        "model-never-asked-to-fill",
        "the model is asked for one call on a new object even where its methods fill it",
        PACKAGE / "execution.py",
        "        if not fillers:\n",
        "        if True:\n",
        ("tests/pipeline/test_builds.py", "-k", "fill"),
    ),
    Mutant(
        "model-tests-never-read",
        "the short tests the model wrote are not read: no object it filled is compared on",
        PACKAGE / "execution.py",
        "        calls += [call for call in sessions if call not in calls]\n",
        "        calls += []\n",
        ("tests/pipeline/test_builds.py", "-k", "fill or one_expression"),
    ),
    Mutant(
        "filling-calls-never-completed",
        "a filling call the model wrote without a plain argument is dropped, not given one",
        PACKAGE / "execution.py",
        "        sessions = [builds.completed_fillers(ctx, call) for call in sessions]\n",
        "        sessions = list(sessions)\n",
        ("tests/pipeline/test_builds.py", "-k", "fill"),
    ),
    Mutant(
        "broken-results-drop-tests",
        "a test the model wrote whose predicted result does not parse gives no call",
        PACKAGE / "variants.py",
        '            rescued = inputs.call_before_result(line) if line.startswith("assert") '
        'else ""\n',
        '            rescued = ""\n',
        ("tests/pipeline/test_builds.py", "-k", "one_expression"),
    ),
    Mutant(
        "summaries-never-fill",
        "a class shown from another file is never filled through its methods (bodies unseen)",
        PACKAGE / "builds.py",
        "            not summary and all(is_placeholder(ast.unparse(s)) for s in code)\n",
        "            all(is_placeholder(ast.unparse(s)) for s in code)\n",
        ("tests/pipeline/test_builds.py", "-k", "another_file or filled_object"),
    ),
    Mutant(
        "functions-never-asked-to-fill",
        "a function taking an object filled through its methods is asked for one-line calls",
        PACKAGE / "execution.py",
        '    filled = builds.filled_parameter(ctx) if kind == "function" else None\n',
        "    filled = None\n",
        ("tests/pipeline/test_builds.py", "-k", "filled_object"),
    ),
    Mutant(
        "filled-objects-not-data",
        "an object filled by its methods with data is not data: a function's test is dropped",
        PACKAGE / "inputs.py",
        "        return _filled_object(node, constructors)\n",
        "        return False\n",
        ("tests/pipeline/test_builds.py", "-k", "filled_object or is_data"),
    ),
    Mutant(
        "nested-fields-unread",
        "a field typed by another shown class does not say how it reads (entry.amount.cents)",
        PACKAGE / "summaries.py",
        '            if reading is not None and "#" not in text:\n',
        "            if False:\n",
        ("tests/crossfile/test_crossfile.py", "-k", "says_how_it_reads"),
    ),
    Mutant(
        "nested-readings-before-lookups",
        "other files' class summaries are not made again once the classes they name are found",
        PACKAGE / "crossfile.py",
        "    candidates = _with_nested_readings(candidates)\n",
        "",
        ("tests/crossfile/test_crossfile.py", "-k", "says_how_it_reads"),
    ),
    Mutant(
        "nested-readings-own-file",
        "a field typed by another class of the same file does not say how it reads",
        PACKAGE / "context.py",
        "        n.name: fields for n in parsed.values()"
        " if (fields := summaries.readable_fields(n))\n",
        "        n.name: fields for n in parsed.values() if False\n",
        ("tests/pipeline/test_context.py", "-k", "says_how_it_reads"),
    ),
    Mutant(
        "standard-library-asked-of-jedi",
        "names imported from the standard library are looked up (the time box spent on them)",
        PACKAGE / "crossfile.py",
        "    seen: set[str] = _standard_library_names(module, roots)\n",
        "    seen: set[str] = set()\n",
        ("tests/crossfile/test_crossfile.py", "-k", "standard_library"),
    ),
    Mutant(
        "standard-field-types-asked-of-jedi",
        "a field typed from the standard library (datetime.date) is looked up in its file",
        PACKAGE / "crossfile.py",
        "                and name.id not in standard\n",
        "",
        ("tests/crossfile/test_crossfile.py", "-k", "named_as_a_standard"),
    ),
    Mutant(
        "project-shadowing-standard-skipped",
        "a project's own module named as a standard one (calendar/) is not looked up",
        PACKAGE / "crossfile.py",
        "        name for top, name in bound if top in sys.stdlib_module_names"
        " and not _shadowed(top, roots)\n",
        "        name for top, name in bound if top in sys.stdlib_module_names\n",
        ("tests/crossfile/test_crossfile.py", "-k", "named_as_a_standard"),
    ),
    Mutant(
        "returned-fields-untyped",
        "the sandbox does not say what types a returned object's fields hold",
        PACKAGE / "sandbox/runner.py",
        '    result.field_types = field_types(outcome.get("value"))\n',
        "",
        ("tests/sandbox/test_sandbox_runner.py", "-k", "fields_come_back"),
    ),
    Mutant(
        "wrongly-filled-class-unnoticed",
        "a returned object whose field its class types otherwise (a float cents) is no wrong type",
        PACKAGE / "pipeline.py",
        "            return_fields=builds.return_fields(ctx),\n",
        "",
        ("tests/pipeline/test_builds.py", "-k", "field_of_another_type"),
    ),
    Mutant(
        "wrongly-filled-class-unsaid",
        "the note does not say that the top returned its class with a field wrongly typed",
        PACKAGE / "execution.py",
        "    return _wrong_field_note(builds.return_fields(ctx), returned)\n",
        "    return None\n",
        ("tests/pipeline/test_builds.py", "-k", "field_of_another_type"),
    ),
    Mutant(
        "excerpts-without-writes",
        "a method that writes no untyped state is shown as an excerpt of elisions",
        PACKAGE / "summaries.py",
        "    if not any(_writes_state(statement, me, typed)"
        " for statement in _simple_statements(body)):\n",
        "    if False:\n",
        ("tests/pipeline/test_context.py", "-k", "untyped_state"),
    ),
    Mutant(
        "long-state-writers-hidden",
        "a long method that writes untyped state is summarised as its signature only",
        PACKAGE / "summaries.py",
        "    lines, _ = _excerpt(body, me, typed, SHOWN_WRITES,"
        " _read_by_writes(body, me, typed))\n",
        "    lines = []\n",
        ("tests/pipeline/test_context.py", "-k", "untyped_state"),
    ),
    Mutant(
        "written-names-unsaid",
        "an excerpt of a state writer leaves out the lines that compute what it writes",
        PACKAGE / "summaries.py",
        "        elif isinstance(statement, ast.Assign) and _assigns_one_of(statement, read):\n",
        "        elif False:\n",
        ("tests/pipeline/test_context.py", "-k", "untyped_state"),
    ),
    Mutant(
        "feeding-one-hop",
        "an excerpt shows only the assignments a write reads, not where those come from",
        PACKAGE / "summaries.py",
        "    for _ in range(FEEDING_HOPS - 1):\n",
        "    for _ in range(0):\n",
        ("tests/pipeline/test_context.py", "-k", "untyped_state"),
    ),
    Mutant(
        "excerpt-else-merged",
        "an excerpt shows an else branch's writes as if the if held them",
        PACKAGE / "summaries.py",
        '        branches.append(("else:", block.orelse))\n',
        "        branches[0][1].extend(block.orelse)\n",
        ("tests/pipeline/test_context.py", "-k", "untyped_state"),
    ),
    Mutant(
        "filling-method-types-hidden",
        "the classes a shown class's filling methods take are not looked up",
        PACKAGE / "crossfile.py",
        "        if _fills_state(statement):\n",
        "        if False:\n",
        ("tests/crossfile/test_crossfile.py", "-k", "filling_method"),
    ),
    Mutant(
        "long-tests-dropped",
        "a model's test too long to keep whole is dropped, not kept with fewer filling calls",
        PACKAGE / "variants.py",
        "        source = _fitting(seed)\n",
        "        source = _source(seed)\n",
        ("tests/pipeline/test_variants.py", "-k", "too_long"),
    ),
    Mutant(
        "typed-state-writers-shown",
        "a method that writes only typed state is shown whole too",
        PACKAGE / "summaries.py",
        "                return attribute not in typed\n",
        "                return True\n",
        ("tests/crossfile/test_crossfile.py", "-k", "own_class"),
    ),
    Mutant(
        "untyped-state-values-hidden",
        "an untyped attribute's first value is not shown, even a short literal",
        PACKAGE / "summaries.py",
        "    return literal and len(ast.unparse(value)) <= SHOWN_VALUE_CHARS\n",
        "    return False\n",
        ("tests/pipeline/test_context.py", "-k", "untyped_state"),
    ),
    Mutant(
        "harness-ignores-argument-changes",
        "eval leaves a tie to chance where the editor prefers the body that leaves its arguments",
        PACKAGE / "eval" / "harness.py",
        "        if not alone or all(index in alone for index in tied):\n",
        "        if True:\n",
        ("tests/eval/test_harness.py", "-k", "tie_is_broken"),
    ),
    Mutant(
        "harness-breaks-exact-ties-only",
        "eval, as the editor, looks past likelihood for an equal body that leaves its arguments",
        PACKAGE / "eval" / "harness.py",
        "        equals = [index for index, key in enumerate(keys) if key[:2] == best[:2]]\n",
        "        equals = [index for index, key in enumerate(keys) if key == best]\n",
        ("tests/eval/test_harness.py", "-k", "tie_is_broken"),
    ),
    Mutant(
        "filling-calls-unchecked",
        "a proposed filled object may call a method its class lacks, or pass what it does not take",
        PACKAGE / "builds.py",
        "        if not inputs.Takes.of(method.args, skip=1).accepts(node):\n",
        "        if False:\n",
        ("tests/pipeline/test_builds.py", "-k", "as_they_take or one_expression"),
    ),
    Mutant(
        "placeholders-fill-objects",
        "a method not written yet (a placeholder body) is called to fill a drawn object",
        PACKAGE / "builds.py",
        "            not summary and all(is_placeholder(ast.unparse(s)) for s in code)\n",
        "            not summary and not all(is_placeholder(ast.unparse(s)) for s in code)\n",
        ("tests/pipeline/test_builds.py", "-k", "filled_through"),
    ),
    Mutant(
        "mbpp-plus-asserts",
        "MBPP+ judges a body on the task's own asserts too, not only on the grown calls",
        PACKAGE / "eval/datasets.py",
        '"def check(candidate):\\n    _base_check(candidate)\\n    _plus_check(candidate)\\n"',
        '"def check(candidate):\\n    _plus_check(candidate)\\n"',
        ("tests/eval/test_mbpp_plus.py", "-k", "asserts_still_judge"),
    ),
    Mutant(
        "mbpp-plus-calls",
        "MBPP+ judges a body on the grown calls against the reference",
        PACKAGE / "eval/datasets.py",
        '"def check(candidate):\\n    _base_check(candidate)\\n    _plus_check(candidate)\\n"',
        '"def check(candidate):\\n    _base_check(candidate)\\n"',
        ("tests/eval/test_mbpp_plus.py", "-k", "right_only_on_the_asserts"),
    ),
    Mutant(
        "mbpp-plus-length-pairs",
        "a length argument changes with the sequence it measures in MBPP+'s grown calls",
        Path("models/verifier/mbpp_plus.py"),
        "        arguments[number] = len(arguments[sized])\n",
        "        pass\n",
        ("tests/eval/test_mbpp_plus.py", "-k", "length_argument"),
    ),
    Mutant(
        "mbpp-plus-signs",
        "MBPP+ keeps a number at least zero where every test passes one",
        Path("models/verifier/mbpp_plus.py"),
        "    if not non_negative:\n        return True\n",
        "    return True\n",
        ("tests/eval/test_mbpp_plus.py", "-k", "at_least_zero"),
    ),
    Mutant(
        "mbpp-plus-plain-data",
        "MBPP+ leaves out calls whose reference answer is not plain data",
        Path("models/verifier/mbpp_plus.py"),
        "    if is_plain(first) and repr(first) == repr(second):",
        "    if repr(first) == repr(second):",
        ("tests/eval/test_mbpp_plus.py", "-k", "refuses_or_cannot_finish"),
    ),
    Mutant(
        "crossfit-own-fold",
        "MBPP-train rows chosen on are scored by a verifier fitted without their task",
        Path("models/verifier/crossfit.py"),
        'train = [row for row in fit_rows if fold_of(row["task_id"]) != fold]',
        "train = list(fit_rows)",
        ("tests/ranking/test_verifier_crossfit.py", "-k", "own_labels"),
    ),
    Mutant(
        "crossfit-ties",
        "rows rescored offline break ties as the run's ranking does",
        Path("models/verifier/crossfit.py"),
        "                consensus[k],\n",
        "",
        ("tests/ranking/test_verifier_crossfit.py", "-k", "runs_own_marks"),
    ),
    Mutant(
        "mbpp-plus-sorted",
        "MBPP+ keeps a sequence sorted where every test's is",
        Path("models/verifier/mbpp_plus.py"),
        "                found[position] = type(value)(sorted(value))\n",
        "                found[position] = value\n",
        ("tests/eval/test_mbpp_plus.py", "-k", "what_every_test_call_shares"),
    ),
    Mutant(
        "mbpp-plus-same-length",
        "MBPP+ keeps two sequences of one length where every test's are",
        Path("models/verifier/mbpp_plus.py"),
        "len(arguments[p]) == len(arguments[q]) for p, q in self.same_length",
        "True for p, q in self.same_length",
        ("tests/eval/test_mbpp_plus.py", "-k", "what_every_test_call_shares"),
    ),
    Mutant(
        "mark-least-samples",
        "the verified mark is never chosen among rules that rest on one sample",
        Path("models/verifier/verified.py"),
        "WEIGHED_SAMPLES = tuple(n for n in NEAR_SAMPLES if n >= LEAST_SAMPLES)",
        "WEIGHED_SAMPLES = NEAR_SAMPLES",
        ("tests/ranking/test_verifier_artifact.py", "-k", "verified_mark"),
    ),
    Mutant(
        "seccomp-sendto-no-address",
        "a socket pair (asyncio's) sends to its peer only, never to an address",
        PACKAGE / "sandbox/seccomp.py",
        '    rules.add_rule(deny, "sendto", pyseccomp.Arg(4, pyseccomp.NE, 0))\n',
        "",
        ("tests/sandbox/test_sandbox_hostile.py", "-k", "local and unix and pair"),
    ),
    Mutant(
        "seccomp-socketpair-allowed",
        "an async function's example runs its event loop (asyncio needs a socket pair)",
        PACKAGE / "sandbox/seccomp.py",
        '    "socket",\n',
        '    "socket",\n    "socketpair",\n',
        ("tests/sandbox/test_sandbox_runner.py", "-k", "event_loop"),
    ),
    Mutant(
        "doctest-int-is-not-float",
        "a doctest's expected int is not matched by a float, as python -m doctest reads it",
        PACKAGE / "sandbox/runner.py",
        'as_written=example.kind == "doctest"',
        "as_written=False",
        ("tests/sandbox/test_sandbox_runner.py", "-k", "int_is_not_a_float"),
    ),
    Mutant(
        "doctest-statement-single-mode",
        "a doctest statement shows its expressions' values, as doctest's single mode does",
        PACKAGE / "sandbox/_worker.py",
        '        return compile(source + "\\n", "<example>", "single", dont_inherit=True)\n',
        '        return compile(source, "<example>", "exec", dont_inherit=True)\n',
        ("tests/sandbox/test_sandbox_runner.py", "-k", "statement_shows"),
    ),
    Mutant(
        "explain-writes-what-doctest-shows",
        "only an example that doctest would fail is said to differ from what doctest shows",
        PACKAGE / "docstrings.py",
        '    if output_matches(actual + "\\n", want + "\\n", example.options):\n',
        "    if False:\n",
        ("tests/sandbox/test_sandbox_check_cli.py", "-k", "expected_none"),
    ),
    Mutant(
        "check-notes-float-tolerance",
        "an example passing within the float tolerance says what `python -m doctest` shows",
        PACKAGE / "as_written.py",
        "    if _holds_a_float(expected):\n",
        "    if False:\n",
        ("tests/sandbox/test_sandbox_check_cli.py", "-k", "float_within_tolerance"),
    ),
    Mutant(
        "explain-brackets-left-open",
        "a generated example that lost a closing bracket is dropped instead of made whole",
        PACKAGE / "as_written.py",
        "    docstring = docstrings.with_brackets_closed(docstring, fixed_lines)\n",
        "",
        ("tests/pipeline/test_explain.py", "-k", "bracket_the_model"),
    ),
    Mutant(
        "explain-enum-reprs-unshown",
        "a value whose repr holds an Enum member (<Currency.EUR: 'EUR'>) is never written",
        PACKAGE / "docstrings.py",
        '        ast.parse(_ENUM_MEMBER_REPR.sub("None", actual), mode="eval")\n',
        '        ast.parse(actual, mode="eval")\n',
        ("tests/pipeline/test_explain.py", "-k", "bracket_the_model"),
    ),
    Mutant(
        "explain-rewrites-as-doctest-shows",
        "an explained example passing by value is written as doctest shows it (u'3' as '3')",
        PACKAGE / "as_written.py",
        "            (r.example.line - 1, doctest_text)\n",
        "            (r.example.line - 1, r.example.expected or '')\n",
        ("tests/pipeline/test_explain.py", "-k", "as_doctest_shows"),
    ),
    Mutant(
        "note-wrong-return-type",
        "without examples, the notes say when the top candidate returns a type its hint rules out",
        PACKAGE / "pipeline.py",
        "            result.notes[1:1] = [note for note in (crashed, mistyped) if note]\n",
        "            result.notes[1:1] = [crashed] if crashed else []\n",
        ("tests/pipeline/test_builds.py", "-k", "another_type"),
    ),
    Mutant(
        "doctest-setup-shows-output",
        "a line before an example that shows output fails it, as python -m doctest fails the line",
        PACKAGE / "sandbox/_worker.py",
        "            if shown:\n",
        "            if False:\n",
        ("tests/sandbox/test_sandbox_runner.py", "-k", "shows_output"),
    ),
    Mutant(
        "explain-raw-docstring",
        "an explained docstring with a backslash is written raw, so doctest reads what was checked",
        PACKAGE / "as_written.py",
        '    prefix = "r" if raw else ""\n',
        '    prefix = ""\n',
        ("tests/pipeline/test_explain.py", "-k", "backslash"),
    ),
    Mutant(
        "doctest-statement-outside-handler",
        "a statement example runs outside the worker's exception handler, as under doctest",
        PACKAGE / "sandbox/_worker.py",
        '                compiled, statement = _statement(example["call"]), True\n',
        '                exec(_statement(example["call"]), doc_namespace)\n'
        '                compiled, statement = compile("None", "<x>", "eval"), False\n',
        ("tests/sandbox/test_sandbox_runner.py", "-k", "outside_any"),
    ),
    Mutant(
        "check-says-doctest-differs",
        "Check examples says when an example passes by value but python -m doctest fails it",
        PACKAGE / "as_written.py",
        "                    if (shown := docstrings.doctest_shows(result)) is not None\n",
        "                    if (shown := docstrings.doctest_shows(result)) is None\n",
        ("tests/lsp/test_commands.py", "-k", "doctest_would_differ"),
    ),
    Mutant(
        "explain-recheck-what-is-written",
        "explain's kept examples are run again as written when others were left out",
        PACKAGE / "as_written.py",
        "    if drop and kept:\n",
        "    if False:\n",
        ("tests/pipeline/test_explain.py", "-k", "stale_value"),
    ),
    Mutant(
        "explain-cut-what-never-settles",
        "an explained example that never settles is cut, with what follows it",
        PACKAGE / "as_written.py",
        "        if attempt == RECHECKS:\n",
        "        if False:\n",
        ("tests/pipeline/test_explain.py", "-k", "never_settles"),
    ),
    Mutant(
        "explain-shows-what-changed",
        "a method's explained examples that show nothing are followed by what it changed",
        PACKAGE / "as_written.py",
        "    if shape.variable and result.examples_kept:\n",
        "    if False:\n",
        ("tests/pipeline/test_explain.py", "-k", "shows_what_it_changed"),
    ),
    Mutant(
        "explain-corrects-text-output",
        "an explained doctest whose expected output is text (an object) is corrected to its repr",
        PACKAGE / "docstrings.py",
        '    if example.expected is None and not (example.expected_output or "").strip():\n',
        "    if example.expected is None:\n",
        ("tests/pipeline/test_explain.py", "-k", "shown_another_way"),
    ),
    Mutant(
        "explain-keeps-calls-with-their-effect",
        "a call that shows nothing is kept or left out with the example that shows its effect",
        PACKAGE / "as_written.py",
        "        if shows[id(example)]:\n            blocks.append([])\n",
        "        blocks.append([])\n",
        ("tests/pipeline/test_explain.py", "-k", "shows_its_effect"),
    ),
    Mutant(
        "explain-setup-goes-with-its-example",
        "the setup of an explained example left out goes with it when nothing kept reads it",
        PACKAGE / "as_written.py",
        "        drop += docstrings.unused_setup(docstring, dropped, left)\n",
        "",
        ("tests/pipeline/test_explain.py", "-k", "shows_its_effect"),
    ),
    Mutant(
        "explain-corrects-printed-output",
        "an explained call that prints is corrected to what it printed, as doctest shows it",
        PACKAGE / "docstrings.py",
        "    if result.stdout and not result.exception:\n        return _printed(result)\n",
        "",
        ("tests/pipeline/test_explain.py", "-k", "prints"),
    ),
    Mutant(
        "explain-printed-blank-lines",
        "printed text with a blank line (which doctest would need as <BLANKLINE>) is not written",
        PACKAGE / "docstrings.py",
        "    if any(not line.strip() or line != line.rstrip() for line in lines):\n",
        "    if any(line != line.rstrip() for line in lines):\n",
        ("tests/pipeline/test_explain.py", "-k", "prints"),
    ),
    Mutant(
        "explain-generator-collected",
        "a generator's explained examples collect what it yields",
        PACKAGE / "example_forms.py",
        '    opened, closed = ("list(", ")") if is_generator(ctx) else ("", "")\n',
        '    opened, closed = ("", "")\n',
        ("tests/pipeline/test_explain.py", "-k", "reached"),
    ),
    Mutant(
        "explain-none-shows-nothing",
        "an explained example whose call returns None is written without an output line",
        PACKAGE / "as_written.py",
        '                rewrites[example.line - 1] = "" if actual == "None" else actual\n',
        "                rewrites[example.line - 1] = actual\n",
        ("tests/pipeline/test_explain.py", "-k", "none_shows_no_output"),
    ),
    Mutant(
        "explain-method-builds-object",
        "a method's explained examples begin by building its object",
        PACKAGE / "example_forms.py",
        '        return f" {self.variable} =" if self.variable else ""\n',
        '        return ""\n',
        ("tests/pipeline/test_explain.py", "-k", "build_its_object"),
    ),
    Mutant(
        "mark-rows-break-near",
        "the mark chosen and reported from rows never marks a top the run time would not",
        Path("models/verifier/verified.py"),
        '            and not top.get("breaks_near", False)\n',
        "",
        ("tests/ranking/test_verifier_crossfit.py", "-k", "breaks_on_an_empty"),
    ),
    Mutant(
        "daemon-round-robin",
        "a shared daemon serves its editors in turn, not first come, first served",
        PACKAGE / "engine/daemon.py",
        "                        self._turn = (self._turn + offset + 1) % max(count, 1)\n",
        "",
        ("tests/remote/test_shared_engine.py", "-k", "served_in_turn"),
    ),
    Mutant(
        "raises-as-documented",
        "among equals, the body raising what its docstring says it raises comes first",
        PACKAGE / "ranking/combine.py",
        "                    candidate.raises_as_documented,\n",
        "",
        ("tests/ranking/test_combine.py", "-k", "raising_what_the_docstring"),
    ),
    Mutant(
        "repair-round-hides-body",
        "the repair round tells the model the failure without showing the body that failed",
        PACKAGE / "pipeline.py",
        "failure, show_body=False)",
        "failure, show_body=True)",
        ("tests/pipeline/test_waves.py", "-k", "one_repair_round_shows"),
    ),
    Mutant(
        "eval-repair-round-hides-body",
        "eval's repair round tells the failure without the body, as the editor does",
        PACKAGE / "eval/harness.py",
        "show_body=hung is not None",
        "show_body=True",
        ("tests/eval/test_harness.py", "-k", "repair_round_is_measured"),
    ),
    Mutant(
        "documented-raise-not-on-empty",
        "a documented raise on an empty argument near the examples is no sign of the rule",
        PACKAGE / "ranking/candidate.py",
        "raised -= Counter(key for key in self.near_empty if key in wanted)",
        "raised -= Counter()",
        ("tests/ranking/test_combine.py", "-k", "empty_argument_is_no_sign"),
    ),
    Mutant(
        "enum-reading",
        "an Enum's summary shows how a member reads (its name and value), after the members",
        PACKAGE / "summaries.py",
        "        members.insert(after_fields, _INDENT + reading)\n",
        "        pass\n",
        ("tests/crossfile/test_crossfile.py", "-k", "enum"),
    ),
    Mutant(
        "documented-raises-title",
        "the title says a raise the docstring asks for apart from crashes",
        PACKAGE / "lsp/evidence.py",
        'raises = f" · raises as documented on {documented}" if documented else ""',
        'raises = ""',
        ("tests/lsp/test_evidence.py", "-k", "asks_for_is_said_apart"),
    ),
    Mutant(
        "documented-raises-counted",
        "the evidence counts documented raises apart from the crashes",
        PACKAGE / "ranking/combine.py",
        "round(candidate.crash_share * inputs_count) - documented",
        "round(candidate.crash_share * inputs_count)",
        ("tests/ranking/test_combine.py", "-k", "documented_raise_is_no_crash"),
    ),
    Mutant(
        "documented-raise-no-crash",
        "without examples, a raise the docstring asks for is not penalised as a crash",
        PACKAGE / "ranking/combine.py",
        "candidate.crash_share - broken - documented",
        "candidate.crash_share - broken",
        ("tests/ranking/test_combine.py", "-k", "documented_raise_is_no_crash"),
    ),
    Mutant(
        "crossfit-documented-raise",
        "offline rescoring breaks ties as the run does, documented raises included",
        Path("models/verifier/crossfit.py"),
        '                bool(rows[i].get("raises_as_documented")),\n',
        "",
        ("tests/ranking/test_verifier_crossfit.py", "-k", "raising_what"),
    ),
    Mutant(
        "repair-temperature",
        "the repair round on a failure draws at sampling.repairTemperature",
        PACKAGE / "pipeline.py",
        "            sampling.repair_temperature,\n        )",
        "            None,\n        )",
        ("tests/pipeline/test_waves.py", "-k", "repair_round_shows"),
    ),
    Mutant(
        "eval-repair-temperature",
        "eval's repair round draws as hot as the editor's",
        PACKAGE / "eval/harness.py",
        "temperature=sampling.repair_temperature if hung is None else None,",
        "temperature=None,",
        ("tests/eval/test_harness.py", "-k", "repair_round_is_measured"),
    ),
    Mutant(
        "drain-iterator",
        "a drawn call's returned generator is read, so generator bodies are told apart",
        PACKAGE / "sandbox/_worker.py",
        'value = drain_result(value) if example.get("observed") else drain(value)\n',
        "pass\n",
        ("tests/pipeline/test_inputs.py", "-k", "generator"),
    ),
    Mutant(
        "drain-observed",
        "a method's returned generator is read before its object is observed",
        PACKAGE / "sandbox/_worker.py",
        "        observed[0] = drain(observed[0])\n",
        "        pass\n",
        ("tests/pipeline/test_inputs.py", "-k", "method_returning_a_generator"),
    ),
    Mutant(
        "drain-cap",
        "an endless generator is read to a bound, not until the call's time runs out",
        PACKAGE / "sandbox/_worker.py",
        "    for item in value:\n        if len(items) == DRAINED_ITEMS_CAP:\n",
        "    for item in value:\n        if False:\n",
        ("tests/pipeline/test_inputs.py", "-k", "generator_bodies"),
    ),
    Mutant(
        "drain-probes",
        "probes ask the sandbox to read a returned iterator",
        PACKAGE / "inputs.py",
        "                drain=True,\n",
        "",
        ("tests/pipeline/test_inputs.py", "-k", "generator"),
    ),
    Mutant(
        "library-members",
        "a name bound to an installed library shows the members the docstring calls for",
        PACKAGE / "crossfile.py",
        "        return _library(went, lookup, project, wanted)\n",
        "        return None\n",
        ("tests/crossfile/test_libraries.py", "-k", "module_shows"),
    ),
    Mutant(
        "library-relevance",
        "one docstring word in common does not make a library member relevant",
        PACKAGE / "libraries.py",
        "(item for item in scored if item[0] >= MIN_RELEVANCE)",
        "(item for item in scored if item[0] >= 1)",
        ("tests/crossfile/test_libraries.py", "-k", "chosen_by"),
    ),
    Mutant(
        "library-imported-relevance",
        "a name imported from a library is shown only when the docstring calls for it",
        PACKAGE / "crossfile.py",
        'libraries.members_text(module, [member]) if relevant else ""',
        "libraries.members_text(module, [member])",
        ("tests/crossfile/test_libraries.py", "-k", "imported_from"),
    ),
    Mutant(
        "library-large-names",
        "a library of many public names shows nothing",
        PACKAGE / "crossfile.py",
        "            if len(completions) > _LARGE_LIBRARY:\n",
        "            if False:\n",
        ("tests/crossfile/test_libraries.py", "-k", "large"),
    ),
    Mutant(
        "library-large-package",
        "a package of many files shows nothing, unread",
        PACKAGE / "crossfile.py",
        "        if _files_beyond(os.path.dirname(path), _LARGE_PACKAGE_FILES):\n",
        "        if False:\n",
        ("tests/crossfile/test_libraries.py", "-k", "large"),
    ),
    Mutant(
        "library-echo",
        "a body's first lines that copy the prompt's library listing are dropped",
        PACKAGE / "postprocess.py",
        "    body = _without_echoed_listing(body, ctx)\n",
        "",
        ("tests/pipeline/test_postprocess.py", "-k", "library_listing"),
    ),
    Mutant(
        "library-echo-own-comment",
        "a body's own comment that names the library is kept",
        PACKAGE / "libraries.py",
        "    return bool(match and match.group(1) in names and _LISTING.search(line))\n",
        "    return bool(match and match.group(1) in names)\n",
        ("tests/pipeline/test_postprocess.py", "-k", "library_listing"),
    ),
    Mutant(
        "held-items",
        "a deque or dict view is compared by what it holds",
        PACKAGE / "sandbox/_worker.py",
        "if kind in HELD_ITEMS:",
        "if False:",
        ("tests/pipeline/test_inputs.py", "-k", "containers"),
    ),
    Mutant(
        "range-ends",
        "a range is compared by its start, stop and step",
        PACKAGE / "sandbox/_worker.py",
        '    if kind == "range":\n',
        "    if False:\n",
        ("tests/pipeline/test_inputs.py", "-k", "containers"),
    ),
    Mutant(
        "await-coroutine",
        "a drawn call's coroutine is run, so async bodies are told apart",
        PACKAGE / "sandbox/_worker.py",
        "    if _type(value) is types.CoroutineType:\n",
        "    if False:\n",
        ("tests/pipeline/test_inputs.py", "-k", "async"),
    ),
    Mutant(
        "async-callee",
        "an async function gets drawn calls",
        PACKAGE / "inputs.py",
        '    if ctx.is_top_level:\n        return "function", ""\n',
        "    if ctx.is_async:\n        return None\n    if ctx.is_top_level:\n"
        '        return "function", ""\n',
        ("tests/pipeline/test_inputs.py", "-k", "async"),
    ),
    Mutant(
        "explain-near-copy",
        "an example whose call nearly copies a kept one gives way to another call",
        PACKAGE / "as_written.py",
        "            and not any(_near_copy(block[-1].call, other[-1].call) for other in kept)\n",
        "",
        ("tests/pipeline/test_explain.py", "-k", "near_copies"),
    ),
    Mutant(
        "explain-near-copy-short",
        "short calls a character apart are different cases, not near-copies",
        PACKAGE / "as_written.py",
        "    if min(len(arguments), len(others)) < NEAR_COPY_CHARS:\n",
        "    if False:\n",
        ("tests/pipeline/test_explain.py", "-k", "few_examples"),
    ),
    Mutant(
        "iterator-return",
        "a list returned where the hint says Iterator counts as a wrong type",
        PACKAGE / "inputs.py",
        "        return _ITERATOR_RETURNS[_name(head)]\n",
        "        return None\n",
        ("tests/pipeline/test_inputs.py", "-k", "generator_bodies or return_types"),
    ),
    Mutant(
        "drain-async-generator",
        "a drawn call's async generator is read in an event loop",
        PACKAGE / "sandbox/_worker.py",
        "    if _type(value) is types.AsyncGeneratorType:\n",
        "    if False:\n",
        ("tests/pipeline/test_inputs.py", "-k", "async_generator"),
    ),
    Mutant(
        "type-alias-drawn",
        "a field typed by a type alias (Kind = Literal[...]) is drawn as the alias's value",
        PACKAGE / "builds.py",
        "        if alias is not None and name not in self._classes:",
        "        if False:",
        ("tests/pipeline/test_builds.py", "-k", "alias"),
    ),
    Mutant(
        "typed-dict-wrappers",
        "NotRequired[...] and Annotated[...] are drawn as the type they wrap",
        PACKAGE / "inputs.py",
        "    if name in _WRAPPERS:\n        return strategy_for(items[0], classes)\n",
        "",
        ("tests/pipeline/test_builds.py", "-k", "alias"),
    ),
    Mutant(
        "literal-member-unsupported",
        "Literal[Colour.RED] makes a hint undrawable, not a crash",
        PACKAGE / "inputs.py",
        "        except ValueError as error:  # `Literal[Colour.RED]`: a member, no literal\n"
        "            raise Unsupported(ast.unparse(arguments)) from error\n",
        "        except KeyError:\n            pass\n",
        ("tests/pipeline/test_builds.py", "-k", "alias"),
    ),
    Mutant(
        "typed-dict-reading",
        "a TypedDict shown from another file says it is read by key",
        PACKAGE / "summaries.py",
        "    reading = enum_reading(node) or typed_dict_reading(node)\n",
        "    reading = enum_reading(node)\n",
        ("tests/crossfile/test_crossfile.py", "-k", "typed_dict"),
    ),
    Mutant(
        "typed-dict-nested-key",
        "a field typed by a TypedDict reads by key, not attribute",
        PACKAGE / "summaries.py",
        '        f"{path}{_access(name, typed in keyed)}: {kind}"',
        '        f"{path}{_access(name, False)}: {kind}"',
        ("tests/crossfile/test_crossfile.py", "-k", "typed_dict"),
    ),
    Mutant(
        "quoted-inputs",
        "the strings a docstring quotes are inputs the candidates are compared on",
        PACKAGE / "execution.py",
        "    drawn = quoted.quoted_calls(ctx) if ranking.quoted_inputs else []\n",
        "    drawn = []\n",
        ("tests/pipeline/test_inputs.py", "-k", "quote"),
    ),
    Mutant(
        "quoted-code-spans",
        "a string inside a code span is not read as a quoted input",
        PACKAGE / "quoted.py",
        '        prose = _CODE_SPAN.sub(" ", stripped)\n',
        "        prose = stripped\n",
        ("tests/pipeline/test_inputs.py", "-k", "quote"),
    ),
    Mutant(
        "typed-dict-request",
        "the chat request says a TypedDict the signature names is a dict read by key",
        PACKAGE / "prompt.py",
        '            request += "\\n\\n" + dicts\n',
        "            pass\n",
        ("tests/crossfile/test_crossfile.py", "-k", "typed_dict"),
    ),
    Mutant(
        "typed-dict-request-hop",
        "a TypedDict held by a class the signature names gets the sentence too",
        PACKAGE / "prompt.py",
        "    reached = named.union(",
        "    reached = named or named.union(",
        ("tests/crossfile/test_crossfile.py", "-k", "typed_dict"),
    ),
    Mutant(
        "broken-never-agrees",
        "two bodies raising AttributeError on an input do not back each other",
        PACKAGE / "ranking/agreement.py",
        "        a == b and a not in UNCOMPARED and not (vouched and a in BROKEN_CODE)\n",
        "        a == b and a not in UNCOMPARED\n",
        ("tests/ranking/test_combine.py", "-k", "broken_code_agrees"),
    ),
    Mutant(
        "broken-own-group",
        "broken bodies are not shown as a group that agrees",
        PACKAGE / "ranking/agreement.py",
        "    broken = not candidate.crashes_excused and BROKEN_CODE.intersection(",
        "    broken = False and BROKEN_CODE.intersection(",
        ("tests/ranking/test_combine.py", "-k", "broken_code_agrees"),
    ),
    Mutant(
        "literal-alias-reading",
        "a Literal alias shown from another file says how its values compare",
        PACKAGE / "crossfile.py",
        "        reading = summaries.literal_reading(node)\n",
        "        reading = None\n",
        ("tests/crossfile/test_crossfile.py", "-k", "typed_dict"),
    ),
    Mutant(
        "typed-dict-return-type",
        "a body returning no dict where the hint names a TypedDict returns a wrong type",
        PACKAGE / "builds.py",
        "    if annotation is None or node is None or not summaries.is_typed_dict(node):\n",
        "    if True:\n",
        ("tests/pipeline/test_builds.py", "-k", "typed_dict_return"),
    ),
    Mutant(
        "typed-dict-return-keys",
        "a returned TypedDict's values are checked against its fields' types",
        PACKAGE / "sandbox/compare.py",
        '    if isinstance(encoded, list) and len(encoded) == 2 and encoded[0] == "dict":\n',
        "    if False:\n",
        ("tests/pipeline/test_builds.py", "-k", "typed_dict_return"),
    ),
    Mutant(
        "unhinted-broken-agrees",
        "without type hints an AttributeError may be the input's fault and still agrees",
        PACKAGE / "ranking/agreement.py",
        "    vouched = not (first.crashes_excused and second.crashes_excused)\n",
        "    vouched = True\n",
        ("tests/ranking/test_combine.py", "-k", "broken_code_agrees"),
    ),
    Mutant(
        "quoted-accepted",
        "a raise on a string the docstring presents as taken is a crash, even a documented one",
        PACKAGE / "ranking/candidate.py",
        "        refused = self.behaviour[self.accepted :]\n",
        "        refused = self.behaviour\n",
        ("tests/pipeline/test_inputs.py", "-k", "quote"),
    ),
    Mutant(
        "quoted-refused-line",
        "a string quoted on a line that speaks of raising is not taken as accepted",
        PACKAGE / "quoted.py",
        "        if not RAISING_WORDS.search(line) and text not in found:\n",
        "        if text not in found:\n",
        ("tests/pipeline/test_inputs.py", "-k", "quote"),
    ),
    Mutant(
        "quoted-texts-drawn",
        "strings the docstring quotes are drawn often wherever a string is",
        PACKAGE / "inputs.py",
        "    common = st.sampled_from(_COMMON_TEXTS + _QUOTED_TEXTS.get())\n",
        "    common = st.sampled_from(_COMMON_TEXTS)\n",
        ("tests/pipeline/test_inputs.py", "-k", "quote or wherever"),
    ),
    Mutant(
        "newer-syntax-module",
        "a project module in Python 3.12's syntax still gives its definitions",
        PACKAGE / "crossfile.py",
        "        parsed, source = newer_syntax.parse_text(source)\n",
        "        parsed = ast.parse(source)\n",
        ("tests/crossfile/test_crossfile.py", "-k", "newer"),
    ),
    Mutant(
        "newest-grammar",
        "the function's own file is read with parso's newest grammar (class Shelf[T]: stays whole)",
        PACKAGE / "context.py",
        "        self.module = newer_syntax.parse_module(source)\n",
        "        self.module = newer_syntax.parso.parse(source, error_recovery=True)\n",
        ("tests/crossfile/test_crossfile.py", "-k", "newer"),
    ),
    Mutant(
        "newer-syntax-kept",
        "a statement in newer syntax stays in the runnable module for the project's interpreter",
        PACKAGE / "context.py",
        "            newer_syntax.parse(code)\n",
        "            compile(code, '<module>', 'exec')\n",
        ("tests/crossfile/test_crossfile.py", "-k", "newer"),
    ),
    Mutant(
        "unbuildable-calls-dropped",
        "a call whose arguments cannot be built (a validator refuses them) is not compared on",
        PACKAGE / "execution.py",
        "    return [call for call in calls if call not in failed]\n",
        "    return calls\n",
        ("tests/pipeline/test_builds.py", "-k", "cannot_be_built"),
    ),
    Mutant(
        "unbuildable-calls-refilled",
        "when a validator refuses drawn calls, more are drawn to make up the number",
        PACKAGE / "pipeline.py",
        "            built += refill[: len(drawn) - len(built)]\n",
        "            built += []\n",
        ("tests/pipeline/test_builds.py", "-k", "cannot_be_built"),
    ),
    Mutant(
        "generic-class-drawn",
        "a generic class of the project (Stack[int]) is drawn as the class",
        PACKAGE / "inputs.py",
        "type_aliases`).\n    return classes(name)\n",
        "type_aliases`).\n    raise Unsupported(name)\n",
        ("tests/pipeline/test_builds.py", "-k", "generic_class"),
    ),
    Mutant(
        "type-var-drawn",
        "a TypeVar is drawn as its bound, its constraints, or anything",
        PACKAGE / "summaries.py",
        "        return name, _type_var_values(value)\n",
        "        return None\n",
        ("tests/pipeline/test_builds.py", "-k", "generic_class"),
    ),
    Mutant(
        "probe-calls-made-once",
        "the inputs compared on are made once per request, not per comparison",
        PACKAGE / "pipeline.py",
        "            if not made_calls:\n"
        "                made_calls.append(self.probe_calls(ctx, cancel, progress, file=file))\n",
        "            if True:\n"
        "                made_calls[:] = [self.probe_calls(ctx, cancel, progress, file=file)]\n",
        ("tests/pipeline/test_waves.py", "-k", "made_once"),
    ),
)


def copy_work_tree(destination: Path) -> None:
    """Copy the files git tracks or would track (no virtualenv, no caches) to ``destination``."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        relative = Path(os.fsdecode(raw))
        source = REPO / relative
        if not source.is_file():
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


NO_TESTS_COLLECTED = 5
"""pytest's exit status when its selection matched no test: a failure that catches nothing."""


def run_tests(copy: Path, tests: tuple[str, ...], timeout_s: float) -> tuple[bool, str]:
    """Run pytest on ``tests`` in ``copy``; return (passed, the output's tail).

    A selection that matches no test raises SystemExit: its "failure" would count as a catch.
    """
    env = {**os.environ, "PYTHONPATH": str(copy / "server")}
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    try:
        done = subprocess.run(
            command, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout_s:.0f} s"
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-3:])
    if done.returncode == NO_TESTS_COLLECTED:
        raise SystemExit(f"no test matches {' '.join(tests)}: fix the entry\n{tail}")
    return done.returncode == 0, tail


def check_import_location(copy: Path) -> None:
    """Fail unless ``codegen_lsp`` imports from the copy under the test environment."""
    env = {**os.environ, "PYTHONPATH": str(copy / "server")}
    found = subprocess.run(
        [sys.executable, "-c", "import codegen_lsp; print(codegen_lsp.__file__)"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(copy.resolve()):
        raise SystemExit(f"codegen_lsp imports from {found}, not from the copy: verdicts void")


def main(argv: list[str] | None = None) -> int:
    """Run the selected mutants; return 0 when every one was caught."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", action="append", default=[], help="a mutant's name (repeat)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per test run")
    args = parser.parse_args(argv)

    unknown = set(args.only) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"no mutant named {', '.join(sorted(unknown))}")
    selected = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.list:
        for mutant in selected:
            print(
                f"{mutant.name}: {mutant.promise}\n    {mutant.file}  ->  {' '.join(mutant.tests)}"
            )
        return 0

    with tempfile.TemporaryDirectory(prefix="codegen-mutants-") as scratch:
        copy = Path(scratch) / "tree"
        copy_work_tree(copy)
        check_import_location(copy)
        if not args.no_baseline:
            for tests in dict.fromkeys(m.tests for m in selected):
                passed, tail = run_tests(copy, tests, args.timeout)
                if not passed:
                    print(f"baseline fails, so it would catch anything: {' '.join(tests)}\n{tail}")
                    return 2
        verdicts: list[tuple[str, str]] = []
        for mutant in selected:
            path = copy / mutant.file
            original = path.read_text(encoding="utf-8")
            if original.count(mutant.old) != 1:
                verdicts.append((mutant.name, "STALE"))
                print(f"{mutant.name:<26} STALE (the snippet is not in {mutant.file} once)")
                continue
            path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
            started = time.monotonic()
            try:
                passed, tail = run_tests(copy, mutant.tests, args.timeout)
            finally:
                path.write_text(original, encoding="utf-8")
            verdict = "SURVIVED" if passed else "caught"
            verdicts.append((mutant.name, verdict))
            last_line = tail.splitlines()[-1] if tail else ""
            seconds = time.monotonic() - started
            print(f"{mutant.name:<26} {verdict:<8} {seconds:5.0f} s  ({last_line})", flush=True)
    bad = [name for name, verdict in verdicts if verdict != "caught"]
    missed = f"; not: {', '.join(bad)}" if bad else ""
    print(f"{len(verdicts) - len(bad)}/{len(verdicts)} safeguards caught{missed}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
