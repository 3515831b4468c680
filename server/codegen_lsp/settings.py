"""The settings tree: one typed place for everything a user can configure.

Every surface (the CLI, the language server, the evaluation harness) fills a :class:`Settings`
and hands it down to the pipeline. On the wire (LSP ``initializationOptions`` and
``workspace/configuration``) the names are camelCase; here they are snake_case. A value of the
wrong type or outside its allowed set falls back to the default, and the parser says so in a
warning that the caller shows the user once.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args, get_origin

log = logging.getLogger(__name__)

Precision = Literal["auto", "fp32", "int8", "int4"]
Device = Literal["auto", "cpu", "cuda"]
PromptFormat = Literal["auto", "raw", "chat", "fim"]
SandboxLevel = Literal["auto", "bubblewrap", "namespaces", "none"]
ModelProcess = Literal["child", "inProcess"]
Number = TypeVar("Number", int, float)

_RANGE = "range"


def bounded(default: Number, low: Number, high: Number) -> Number:
    """Declare a numeric setting with the range it must lie in (both ends allowed).

    The parser refuses a value outside it (the default is kept, with a warning), and the
    settings reference and the VS Code extension's schema show it.
    """
    return field(default=default, metadata={_RANGE: (low, high)})


def field_range(setting: dataclasses.Field[Any]) -> tuple[float, float] | None:
    """Return the (low, high) a numeric setting must lie in, or None when any value goes."""
    allowed = setting.metadata.get(_RANGE)
    return (allowed[0], allowed[1]) if allowed is not None else None


@dataclass
class ModelSettings:
    """Which model draws the samples, and how it runs."""

    name: str = "qwen2.5-coder-0.5b"
    """A catalogue name (`codegen-lsp models list`), or a path to an HF, GGUF or ONNX model."""
    precision: Precision = "auto"
    """Weight precision of the ONNX export; `auto` picks the model's recommended one."""
    device: Device = "auto"
    """`auto` uses CUDA when onnxruntime-gpu and a GPU are present, else the CPU.

    On CUDA an int4 model runs the graph built for the GPU (`onnx-int4-cuda`: float16
    activations), exported on first use; `cuda` without onnxruntime-gpu is refused with the fix.
    """
    threads: int = bounded(0, 0, 1024)
    """Intra-op threads for ONNX Runtime; 0 lets the runtime decide."""
    spin: bool = False
    """Let ONNX Runtime's threads spin between operators instead of sleeping.

    Faster decoding on an idle machine (here 34 -> 40 tok/s at batch 1, 114 -> 121 at batch 8),
    slower on a busy one (20 -> 14 at batch 1 with two other processes each holding a core).
    """
    int8_graph: bool = True
    """Run the wide passes on a second, int8 copy of the model: prompts and batches of 3+ rows.

    On the CPU, for int4 models built by onnxruntime-genai (the catalogue's). Its integer
    kernels read a prompt of hundreds of tokens 1.35x faster and step 8 rows 1.5x faster; one
    or two rows (greedy, drafts, repair) stay on the int4 graph. It costs about 500 MB more
    memory and a build of about two minutes on first use. Off, or where it does not apply
    (CUDA, other precisions, a model given as an ONNX directory), the int4 graph runs it all.
    """
    rows_share_prompt: bool = True
    """Let the N samples of a request read one copy of their prompt's cache, not one each.

    With the int8 graph (`model.int8Graph`). Each step then reads the prompt's keys and values
    once instead of once per sample: 8 samples decode 1.7x faster after a 1,779-token prompt
    (152 -> 259 tok/s on 2 cores), 1.4x after 829 tokens, 1.15x after 320. The draws are those
    of a copy per sample up to rounding.
    """
    cache_dir: str = ""
    """Where prepared models live; empty means `$CODEGEN_LSP_CACHE` or the XDG cache dir."""
    shared: bool = False
    """Share one model process (`codegen-lsp serve`, started on demand) among all editors."""
    remote_url: str = ""
    """An OpenAI-compatible server (vLLM, TGI, llama.cpp) that samples; empty: sample locally."""
    remote_model: str = ""
    """The model's name on that server; empty asks the server (`/v1/models`)."""
    remote_api_key_env: str = ""
    """Name of the environment variable holding the server's API key (the key is never logged)."""
    remote_timeout_s: float = bounded(120.0, 0.1, 3600.0)
    """Longest wait for one remote request before it fails with a timeout."""
    remote_retries: int = bounded(3, 0, 20)
    """Retries (exponential backoff, honouring Retry-After) on refused, busy or dropped requests."""
    remote_max_in_flight: int = bounded(4, 1, 256)
    """Most remote requests open at once from this process."""
    remote_fallback: bool = False
    """Sample with the local model when the remote server fails."""


@dataclass
class SamplingSettings:
    """How candidate bodies are drawn."""

    n: int = bounded(8, 1, 256)
    """How many candidate bodies are sampled per request."""
    temperature: float = bounded(0.8, 0.0, 5.0)
    """Sampling temperature; 0 is greedy."""
    top_p: float = bounded(0.95, 0.0, 1.0)
    """Nucleus sampling: keep the smallest token set with this probability mass."""
    top_k: int = bounded(50, 0, 1_000_000)
    """Keep only the k most likely tokens at each step; 0 disables."""
    max_new_tokens: int = bounded(256, 1, 8192)
    """Longest body, in tokens."""
    seed: int = 0
    """0 draws a fresh seed per request; any other value makes requests reproducible."""
    prompt_format: PromptFormat = "auto"
    """How the prompt is built; `auto` picks the model's own format."""
    greedy_first: bool = True
    """One of the n candidates is the greedy one (the model's likeliest body), the rest sampled."""
    first_wave: int = bounded(3, 0, 256)
    """Draw this many samples first (the greedy one among them) and stop there when at least
    `sampling.enoughPassing` of them pass every docstring example and those that pass act alike
    on the calls near the examples (`ranking.exampleVariants`); 0 (or n and more) draws all n at
    once. Without examples, see `sampling.firstWaveWithoutExamples`."""
    enough_passing: int = bounded(2, 1, 256)
    """With `sampling.firstWave`: how many first-wave samples must pass every example to stop."""
    first_wave_without_examples: bool = True
    """With `sampling.firstWave`, for a function without examples: stop after the first wave
    when at least `sampling.enoughPassing` of its samples behave as one on every input (the
    same results, no wrong return type, raising on under half of them and never with a
    `NameError` or `AttributeError`), unless every one of them ignores a parameter; off, all n
    are drawn."""
    repair_samples: int = bounded(4, 0, 256)
    """When no sample passes every example, draw this many more with the best one's failing
    example told to the model (one repair round; unlike "Fix with failing example", the body that
    failed is not shown, or the model writes it again) before answering. Without examples, the
    same round when the top candidate raises an error of broken code (`NameError`,
    `AttributeError`...) on an input drawn from its type hints. 0: no repair round."""
    repair_temperature: float = bounded(1.2, 0.0, 5.0)
    """The sampling temperature of that repair round, above `sampling.temperature`: the model,
    told its failure, tends to write the same body again, and hotter draws leave it."""
    slow_repair_samples: int = bounded(4, 0, 256)
    """When the top candidate passes every example but does not finish the examples' call
    grown larger in time (a recursion without memory: `fib4(31)` after `fib4(6)`), draw this
    many more with that call shown to the model as too slow (one repair round); their best
    comes first when it passes every example and finishes the call. 0: no such round."""
    prompt_lookup: bool = True
    """One-sample requests (`n` 1, docstrings, proposed inputs), and the last sample of a
    request for several once the others are done, decode several tokens per model pass where
    the text repeats itself (prompt lookup drafts, checked by the model, also from the samples
    of earlier requests, held in memory): faster, with the same tokens, greedy or seeded (on
    int4 up to the kernels' rounding: a pass over several positions rounds differently from
    one)."""


@dataclass
class RankingSettings:
    """Which rankers contribute to a candidate's score; each can be switched off."""

    mean_logprob: bool = True
    """Rank by the model's mean token log-probability."""
    examples: bool = True
    """Rank by the docstring examples passed."""
    agreement: bool = True
    """Rank by how many samples behave the same on the examples."""
    verifier: bool = True
    """Rank with the learned verifier (LEVER)."""
    reviewer: bool = False
    """Codex-D back-translation score: one extra forward pass per candidate."""
    drawn_inputs: bool = True
    """Without examples, run the candidates on inputs drawn from the type hints and rank by how
    many samples behave alike (MBR-exec)."""
    quoted_inputs: bool = True
    """Without examples, also run the candidates on the strings the docstring quotes, for a
    function whose one required parameter is a `str` (`Parse "2024-03-01;-12.50;coffee"`):
    random text takes every parser down the same error path. Elsewhere they are drawn often
    wherever a string is (a `kind: str`, a dict's keys)."""
    proposed_inputs: bool = True
    """Without examples, also ask the model for a few calls of the function (one short greedy
    generation) and run the candidates on their arguments (never on the results it guessed)."""
    example_variants: bool = True
    """With examples, also run the candidates on calls near the examples' (an empty list, a
    zero, one item fewer: EvalPlus's type-aware mutation); candidates that pass every example
    but part ways there are not marked verified, and a first wave whose passing samples part
    ways there draws the rest (`sampling.firstWave`). The results are compared, never judged,
    and order only candidates equal on the examples. Off, the verified mark falls back to the
    verifier's stricter threshold (the lower one needs the gate)."""
    verified_near_agreement: float = bounded(0.0, 0.0, 1.0)
    """Share of the example-passing candidates' likelihood that must act like a candidate on
    the calls near the examples for it to be called verified (``exampleVariants``); chosen with
    the verifier's mark threshold on MBPP validation and cross-fitted MBPP train
    (``models/verifier/verified.py``): 0, as `ranking.verifiedNearSamples` marks more at the
    same precision there."""
    verified_near_samples: int = bounded(2, 1, 256)
    """How many samples must pass every example and act exactly like a candidate on the calls
    near the examples (without such calls: pass every example) for it to be called verified,
    itself included: a lone sample is not enough, so with `sampling.n` 1 nothing is verified
    (and inline completion, which shows only verified bodies, stays empty). Chosen with the
    verifier's mark threshold on MBPP validation and cross-fitted MBPP train
    (``models/verifier/verified.py``; one sample is never weighed there)."""
    verified_agreement: float = bounded(1.01, 0.0, 1.01)
    """Without examples: the share of the samples' likelihood that must behave like a candidate
    on the drawn and proposed inputs (its crashes there counted against it) for it to be called
    verified. Above 1 (the default): never. On MBPP without its examples no share reaches the
    mark's 95% (``models/verifier/verified.py --no-examples``): samples that all agree have read
    a terse description the same wrong way as often as the right way."""
    verified_threshold: float = bounded(0.5, 0.0, 1.0)
    """Score a candidate must clear (besides passing every example) to be called verified, when
    the verifier is off; the verifier carries its own threshold, chosen on validation."""


@dataclass
class SandboxSettings:
    """How candidates' examples are executed."""

    level: SandboxLevel = "auto"
    """The strongest isolation to use; `auto` takes the best the machine offers."""
    timeout_s: float = bounded(5.0, 0.1, 600.0)
    """Wall-clock limit for one candidate's examples."""
    memory_mb: int = bounded(1024, 64, 1_048_576)
    """Memory limit of one candidate's run, in MiB."""
    workers: int = bounded(0, 0, 1024)
    """Parallel workers; 0 means the number of CPU cores."""


@dataclass
class ProjectSettings:
    """The user's project: the Python its examples run under and what the model sees of it."""

    interpreter: str = ""
    """The project's Python (an executable or a virtualenv folder); empty chooses, in order: the
    editor's selection, `$VIRTUAL_ENV`, a `.venv` or `venv` in the project, the server's own."""
    editor_interpreter: str = ""
    """The interpreter the editor's Python extension selected; filled by editor integrations
    (the VS Code extension does), below `interpreter` in precedence."""
    cross_file_context: bool = True
    """Show the model the definitions the function uses from other files (resolved by jedi)."""
    context_tokens: int = bounded(1024, 0, 32_768)
    """Most tokens (estimated) those definitions may add to the prompt."""
    context_timeout_s: float = bounded(2.0, 0.0, 60.0)
    """Longest time spent resolving names; what resolved by then is used."""


@dataclass
class ServerSettings:
    """Language-server behaviour."""

    warmup: bool = True
    """Start generating when the cursor rests in a function with a docstring and no body."""
    warmup_delay_ms: int = bounded(600, 0, 60_000)
    """How long the cursor must rest before warm-up generation starts."""
    max_actions: int = bounded(3, 1, 50)
    """How many ranked candidates are offered as code actions."""
    model_process: ModelProcess = "child"
    """Where the language server runs the model: `child`, a process of its own that the server
    starts on first use and stops with itself (the editor's requests stay fast while it samples);
    `inProcess`, inside the server. `model.shared` and `model.remoteUrl` take precedence."""


@dataclass
class Settings:
    """The whole tree."""

    model: ModelSettings = field(default_factory=ModelSettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    ranking: RankingSettings = field(default_factory=RankingSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    project: ProjectSettings = field(default_factory=ProjectSettings)
    server: ServerSettings = field(default_factory=ServerSettings)


def to_camel(name: str) -> str:
    """Return the wire (camelCase) spelling of a snake_case field name."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _coerce(value: Any, annotation: Any) -> tuple[bool, Any]:
    """Return (ok, value) with value converted to the annotated type where lossless."""
    origin = get_origin(annotation)
    if origin is Literal:
        return (value in get_args(annotation), value)
    if annotation is bool:
        return (isinstance(value, bool), value)
    if annotation is int:
        return (isinstance(value, int) and not isinstance(value, bool), value)
    if annotation is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return (ok, float(value) if ok else value)
    if annotation is str:
        return (isinstance(value, str), value)
    return (False, value)


def _fill(target: Any, raw: dict[str, Any], prefix: str, warnings: list[str]) -> None:
    hints = typing.get_type_hints(type(target))
    for f in dataclasses.fields(target):
        wire = to_camel(f.name)
        if wire not in raw and f.name not in raw:
            continue
        value = raw.get(wire, raw.get(f.name))
        path = f"{prefix}{f.name}"
        annotation = hints[f.name]
        if dataclasses.is_dataclass(annotation):
            if isinstance(value, dict):
                _fill(getattr(target, f.name), value, path + ".", warnings)
            else:
                warnings.append(f"{_wire_path(path)} must be an object; using the defaults")
            continue
        ok, coerced = _coerce(value, annotation)
        allowed = field_range(f)
        if ok and allowed is not None:
            ok = allowed[0] <= coerced <= allowed[1]
        if not ok:
            default = getattr(target, f.name)
            warnings.append(
                f"{_wire_path(path)}: invalid value {value!r} ({_describe(annotation, f)}); "
                f"using the default {default!r}"
            )
            continue
        setattr(target, f.name, coerced)


def _wire_path(path: str) -> str:
    return ".".join(to_camel(part) for part in path.split("."))


def _describe(annotation: Any, setting: dataclasses.Field[Any]) -> str:
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(annotation))
    name = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    allowed = field_range(setting)
    if allowed is not None:
        return f"{name} between {allowed[0]} and {allowed[1]}"
    return name


def parse_settings(
    raw: dict[str, Any] | None, base: Settings | None = None
) -> tuple[Settings, list[str]]:
    """Build settings from a camelCase (or snake_case) mapping.

    Unknown keys are ignored with a warning; invalid values keep the default. Returns the settings
    and the warnings, which the caller shows the user once.
    """
    settings = _deep_copy(base) if base is not None else Settings()
    warnings: list[str] = []
    if raw is None:
        return settings, warnings
    if not isinstance(raw, dict):
        return settings, [f"settings must be an object, got {type(raw).__name__}; using defaults"]
    known = {to_camel(f.name) for f in dataclasses.fields(Settings)} | {
        f.name for f in dataclasses.fields(Settings)
    }
    for key in raw:
        if key not in known:
            warnings.append(f"unknown setting {key!r} ignored")
    _fill(settings, raw, "", warnings)
    for warning in warnings:
        log.warning("settings: %s", warning)
    return settings, warnings


def _deep_copy(settings: Settings) -> Settings:
    return Settings(
        **{
            f.name: dataclasses.replace(getattr(settings, f.name))
            for f in dataclasses.fields(Settings)
        }
    )


def settings_reference() -> str:
    """Return the settings reference (docs/settings.md) as a markdown table, from the tree."""
    import ast
    import inspect

    rows = ["| setting | type | default | meaning |", "|---|---|---|---|"]
    for section in dataclasses.fields(Settings):
        cls = section.default_factory
        assert isinstance(cls, type)
        docs = _field_docs(cls, ast, inspect)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            annotation = hints[f.name]
            if get_origin(annotation) is Literal:
                kind = " \\| ".join(f"`{a}`" for a in get_args(annotation))
            elif isinstance(annotation, (type, types.GenericAlias)):
                kind = getattr(annotation, "__name__", str(annotation))
            else:
                kind = str(annotation)
            allowed = field_range(f)
            if allowed is not None:
                kind += f" ({allowed[0]:,} to {allowed[1]:,})"
            default = f.default
            rows.append(
                f"| `{to_camel(section.name)}.{to_camel(f.name)}` | {kind} | `{default!r}` | "
                f"{docs.get(f.name, '')} |"
            )
    return "\n".join(rows)


def _field_docs(cls: type, ast: Any, inspect: Any) -> dict[str, str]:
    """Read the attribute docstrings (a string literal right after a field) of a dataclass."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    docs: dict[str, str] = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs


if __name__ == "__main__":
    print(settings_reference())
