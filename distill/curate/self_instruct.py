"""Self-Instruct: grow the prompt pool from a small seed set with a teacher's help.

Each request shows the teacher a numbered list of tasks (by default 6 seed tasks and 2 already
generated ones, as in Wang et al. 2022) ending with the next number, so even a 135M chat model
only has to continue a list. Every instruction parsed out of a completion is filtered, and every
candidate is written, kept or dropped with its reason, beside the raw completion it came from:

* ``exact duplicate``       of a seed task or an earlier candidate (after case/space folding)
* ``starts with punctuation`` / ``starts with a non-ASCII character``
* ``reads as a reply, not a task`` ("Sure, ...", "I can ...", "Here is ...": the model answered)
* ``too short`` / ``too long``  (word counts, ``min_words`` / ``max_words``)
* ``needs more than text``  (a keyword such as image, file, plot, browse: a text model cannot do it)
* ``near duplicate``        ROUGE-L >= ``rouge_threshold`` against the pool (seed + kept)
* ``cut off``               the last line of a completion that hit the token limit
* ``no instruction parsed`` a completion with nothing list-like in it (one record keeps the raw text)

The output is JSONL with an ``instruction`` field, so the loop reads it with ``--prompt-file``;
:func:`distill.data.prompts.load_prompts` skips records with ``"kept": false``. Records are appended
after each batch of requests; a re-run reads them back, rebuilds the pool and continues with the
next request number, so nothing is duplicated, and it stops once ``num_instructions`` are kept.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from distill.core import Completion, SamplingConfig
from distill.data.dedupe import NearDuplicateIndex
from distill.errors import DataError, TeacherError
from distill.store.jsonl import append_records, read_jsonl, read_records, where

if TYPE_CHECKING:
    from teachers import Teacher  # its run() (complete with usage counted): any teacher of the teachers package

# From the Self-Instruct filter list, plus browsing: a text-only model cannot see, draw, play or fetch.
DEFAULT_BLOCKED_KEYWORDS: tuple[str, ...] = (
    "image", "images", "picture", "pictures", "photo", "photos", "graph", "graphs", "plot", "plots",
    "chart", "charts", "diagram", "flowchart", "draw", "drawing", "map", "maps", "file", "files",
    "video", "videos", "audio", "music", "sound", "browse", "website", "websites", "url", "urls",
    "link", "links", "webpage", "go to",
)

DEFAULT_TEMPLATE = "Come up with a new task. Here are some examples of tasks:\n{examples}\n{next}."


@dataclass
class SeedTask:
    """One seed task in the Self-Instruct format (a plain prompt has no instances)."""

    instruction: str
    instances: list[dict] = field(default_factory=list)  # [{"input": ..., "output": ...}]
    is_classification: bool = False


@dataclass
class SelfInstructConfig:
    """Everything one Self-Instruct run needs besides the seed file, the teacher and the output path."""

    num_instructions: int = 100  # stop once this many generated instructions are kept
    seed_examples: int = 6  # in-context examples per request taken from the seed tasks ...
    generated_examples: int = 2  # ... and from the kept generated ones (seed fills in while there are few)
    batch_size: int = 8  # requests per teacher call
    max_new_tokens: int = 64
    temperature: float = 0.9  # sampling, not greedy: the same list must not always give the same task
    top_p: float = 0.95
    min_words: int = 3
    max_words: int = 150
    rouge_threshold: float = 0.7
    seed: int = 0
    max_requests: int | None = None  # give up after this many requests; None = 20 per wanted instruction
    blocked_keywords: tuple[str, ...] = DEFAULT_BLOCKED_KEYWORDS
    template: str = DEFAULT_TEMPLATE  # {examples}: the numbered list; {next}: the number to continue with

    def __post_init__(self) -> None:
        if self.num_instructions < 0:
            raise ValueError("num_instructions must be >= 0")
        if self.seed_examples + self.generated_examples < 1:
            raise ValueError("a request needs at least one in-context example")
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not 0 < self.rouge_threshold <= 1:
            raise ValueError("rouge_threshold must be in (0, 1]")
        if "{examples}" not in self.template or "{next}" not in self.template:
            raise ValueError("template must contain {examples} and {next}")

    @property
    def request_limit(self) -> int:
        return self.max_requests if self.max_requests is not None else 20 * max(self.num_instructions, 1)


# -- seed tasks -----------------------------------------------------------------------------------

def _seed_from_row(row: object, where: str) -> SeedTask:
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(row).__name__}")
    key = "instruction" if "instruction" in row else "prompt" if "prompt" in row else None
    if key is None:
        raise DataError(f"{where}: missing field 'instruction' (Self-Instruct seed format) or 'prompt' (plain prompt list)")
    text = row[key]
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: field {key!r} must be non-empty text")
    instances = row.get("instances", [])
    if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
        raise DataError(f"{where}: field 'instances' must be a list of objects with 'input' and 'output'")
    for k, inst in enumerate(instances):
        for f in ("input", "output"):
            if not isinstance(inst.get(f, ""), str):
                raise DataError(f"{where}: field 'instances[{k}].{f}' must be text")
    return SeedTask(text.strip(), instances, bool(row.get("is_classification", False)))


def load_seed_tasks(path: str | Path) -> list[SeedTask]:
    """Seed tasks from a Self-Instruct JSONL file (``instruction``, ``instances``, ``is_classification``),
    a JSONL file of ``prompt`` rows, or a .txt file with one prompt a line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such seed file")
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".txt":
        tasks = [SeedTask(line.strip()) for line in lines if line.strip()]
    else:
        tasks = [_seed_from_row(row, where(path, n)) for n, row in read_jsonl(path, DataError)]
    if not tasks:
        raise DataError(f"{path}: no seed tasks in the file")
    return tasks


# -- prompt and parsing ---------------------------------------------------------------------------

def build_prompt(examples: Sequence[str], template: str = DEFAULT_TEMPLATE) -> str:
    """The request: the examples as a numbered list, ending with the next number to fill in."""
    listed = "\n".join(f"{i}. {' '.join(e.split())}" for i, e in enumerate(examples, 1))
    return template.format(examples=listed, next=len(examples) + 1)


# A list marker before a task: "9.", "9)", "Task 9:", "Instruction:", "- ", "* ".
_NUMBERED = re.compile(r"^\s*(?:(?:new\s+)?(?:task|instruction)\s*\d*\s*[:.)-]\s*|\d+\s*[.):](?:\s+|$))", re.I)
# Bullets and lettered sub-items ("a.", "B)") mark parts of an answer, never a new numbered task.
_BULLET = re.compile(r"^\s*(?:[-*\u2022]\s+|[a-z][.)]\s+)", re.I)
_EMPHASIS = re.compile(r"^(\*\*|__)(.+)\1$")
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "`": "`"}


def _strip_markers(line: str) -> tuple[str, bool]:
    """The line without list markers (several: "1. Task 9: ..."), and whether it was numbered."""
    numbered = False
    while True:
        m = _NUMBERED.match(line)
        if m:
            numbered, line = True, line[m.end():].strip()
            continue
        m = _BULLET.match(line)
        if m:
            line = line[m.end():].strip()
            continue
        return line, numbered


def _unquote(line: str) -> str:
    """``"Write a haiku."`` as a quoted (or bold) whole loses its quotes."""
    if len(line) > 1 and _QUOTES.get(line[0]) == line[-1]:
        return line[1:-1].strip()
    m = _EMPHASIS.match(line)  # "**Task 1: Share a tip.**": markdown bold around the whole line
    return m.group(2).strip() if m else line


def parse_instructions(text: str, finish_reason: str = "stop") -> list[tuple[str, bool]]:
    """The instructions in a completion, each with ``True`` when the completion was cut off at the
    token limit in the middle of it.

    The first line is the continuation of the numbered list the request ends with; after it, only
    numbered lines start new tasks. Other lines are the model answering or elaborating its own
    task (a 135M model often does), not tasks, and headings ending with a colon are skipped."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out: list[tuple[str, bool]] = []
    for k, line in enumerate(lines):
        line, numbered = _strip_markers(_unquote(line))
        line = _unquote(line)
        if not line or line.endswith(":") or (out and not numbered):
            continue
        out.append((line, finish_reason == "length" and k == len(lines) - 1))
    return out


# -- filters --------------------------------------------------------------------------------------

# How a chat model's reply starts, as opposed to a task: the model answered instead of asking.
_REPLY = re.compile(r"^(?:(?:i|i'm|i'll|i've|i'd|here's|here is|here are|sure|yes|okay|ok|certainly|of course|"
                    r"thanks?|hello|hi|possible answers?|answer|output|once upon a time|let's|you can do it|this task|"
                    r"completing this task)\b|no[,.!])", re.I)


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass
class FilterResult:
    """Why a candidate is dropped (``reason`` None: kept) and its closest pool text by ROUGE-L."""

    reason: str | None
    closest: str | None = None
    rouge_l: float = 0.0

    @property
    def kept(self) -> bool:
        return self.reason is None


class InstructionFilter:
    """The Self-Instruct filters over a pool of seed plus kept instructions.

    ``check`` judges a candidate without changing anything; ``add`` puts a kept one in the pool;
    ``seen`` remembers every candidate (kept or not) so a repeat is an exact duplicate."""

    def __init__(self, config: SelfInstructConfig, pool: Sequence[str] = ()) -> None:
        self.config = config
        self.index = NearDuplicateIndex(config.rouge_threshold)
        self.seen: set[str] = set()
        for text in pool:
            self.add(text)
        words = sorted(config.blocked_keywords, key=len, reverse=True)
        self._blocked = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I) if words else None

    def add(self, text: str) -> None:
        """Put a kept instruction (or a seed task) in the pool."""
        self.index.add(text)
        self.seen.add(_fold(text))

    def check(self, text: str) -> FilterResult:
        """The first filter ``text`` fails, cheapest first; ROUGE-L against the pool last."""
        cfg = self.config
        if not text.strip():
            return FilterResult("empty")
        if _fold(text) in self.seen:
            return FilterResult("exact duplicate", text, 1.0)
        first = text.lstrip()[0]
        if not first.isascii():
            return FilterResult(f"starts with a non-ASCII character ({first!r})")
        if not first.isalnum():
            return FilterResult(f"starts with punctuation ({first!r})")
        if _REPLY.match(text.lstrip()):
            return FilterResult("reads as a reply, not a task")
        words = len(text.split())
        if words < cfg.min_words:
            return FilterResult(f"too short ({words} words < {cfg.min_words})")
        if words > cfg.max_words:
            return FilterResult(f"too long ({words} words > {cfg.max_words})")
        if self._blocked is not None and (m := self._blocked.search(text)):
            return FilterResult(f"needs more than text (keyword {m.group(1).lower()!r})")
        match, score = self.index.closest(text)
        if score >= cfg.rouge_threshold:
            return FilterResult(f"near duplicate (ROUGE-L {score:.2f})", match, score)
        return FilterResult(None, match, score)


# -- the run --------------------------------------------------------------------------------------

@dataclass
class SelfInstructSummary:
    """What a (possibly resumed) run ended with; counts cover the whole output file."""

    out: Path
    kept: int
    dropped: int
    requests: int
    reasons: dict[str, int]  # drop reason (without its details) -> count
    reached_target: bool


ProgressFn = Callable[[int, int, int], None]  # (kept so far, target, requests so far)


def _reason_kind(reason: str) -> str:
    return reason.split(" (", 1)[0]


def _summary(out: Path, records: list[dict], target: int) -> SelfInstructSummary:
    kept = sum(1 for r in records if r.get("kept"))
    reasons = Counter(_reason_kind(r["reason"]) for r in records if not r.get("kept"))
    requests = 1 + max((r.get("request", -1) for r in records), default=-1)
    return SelfInstructSummary(out, kept, len(records) - kept, requests, dict(reasons), kept >= target)


def generate_instructions(
    seed_tasks: Sequence[SeedTask],
    teacher: "Teacher",
    out: str | Path,
    config: SelfInstructConfig | None = None,
    *,
    progress: ProgressFn | None = None,
) -> SelfInstructSummary:
    """Ask ``teacher`` for new instructions until ``config.num_instructions`` are kept in ``out``
    (or ``config.request_limit`` requests, counted over the whole file, were made), appending every candidate as it is judged.

    An existing ``out`` is resumed: its kept instructions rejoin the pool and requests continue
    from the next number (each request's examples depend only on the seed and its number)."""
    cfg = config or SelfInstructConfig()
    if not seed_tasks:
        raise ValueError("Self-Instruct needs at least one seed task")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    records = read_records(out)
    seeds = [t.instruction for t in seed_tasks]
    generated = [r["instruction"] for r in records if r.get("kept")]
    filt = InstructionFilter(cfg, seeds + generated)
    for r in records:  # dropped candidates count as seen too: a repeat of one is an exact duplicate
        if r.get("instruction"):
            filt.seen.add(_fold(r["instruction"]))
    request = _summary(out, records, cfg.num_instructions).requests
    sampling = SamplingConfig(max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature, top_p=cfg.top_p,
                              seed=cfg.seed, batch_size=cfg.batch_size)
    teacher_name = getattr(teacher, "name", type(teacher).__name__)

    while len(generated) < cfg.num_instructions and request < cfg.request_limit:
        n = min(cfg.batch_size, cfg.request_limit - request)
        numbers = list(range(request, request + n))
        chats = []
        for number in numbers:
            # One RNG per request number: which seed tasks a request shows does not depend on how runs were split.
            rng = random.Random(f"{cfg.seed}-{number}")
            n_gen = min(cfg.generated_examples, len(generated))
            examples = rng.sample(seeds, min(cfg.seed_examples + cfg.generated_examples - n_gen, len(seeds)))
            examples += rng.sample(generated, n_gen)
            rng.shuffle(examples)
            chats.append([{"role": "user", "content": build_prompt(examples, cfg.template)}])
        # A different sampling seed per batch, or every batch would draw the same random numbers.
        batch_cfg = SamplingConfig(**{**sampling.__dict__, "seed": cfg.seed * 100_003 + request})
        try:
            completions: list[Completion] = teacher.run(chats, batch_cfg)
        except TeacherError as e:  # keep what the backend did finish; failed items become records
            completions = e.results
        batch: list[dict] = []
        done = request  # requests fully judged: the next run starts after them
        for number, comp in zip(numbers, completions):
            if len(generated) >= cfg.num_instructions:
                break  # target reached mid-batch: later completions are left unjudged and unrecorded
            done = number + 1
            base = {"request": number, "raw": comp.text, "finish_reason": comp.finish_reason,
                    "completion_tokens": comp.completion_tokens, "teacher": teacher_name}
            if comp.error is not None:
                batch.append({"instruction": "", "kept": False, "reason": f"teacher error ({comp.error})", **base})
                continue
            parsed = parse_instructions(comp.text, comp.finish_reason)
            if not parsed:
                batch.append({"instruction": "", "kept": False, "reason": "no instruction parsed", **base})
                continue
            for text, cut in parsed:
                if len(generated) >= cfg.num_instructions:
                    break  # the target is reached: the rest of this completion stays in its raw text only
                res = FilterResult("cut off at the token limit") if cut else filt.check(text)
                batch.append({"instruction": text, "kept": res.kept, "reason": res.reason,
                              "closest": res.closest, "rouge_l": round(res.rouge_l, 4), **base})
                filt.seen.add(_fold(text))
                if res.kept:
                    filt.add(text)
                    generated.append(text)
        append_records(out, batch)
        records.extend(batch)
        request = done
        if progress is not None:
            progress(len(generated), cfg.num_instructions, request)
    return _summary(out, records, cfg.num_instructions)


def self_instruct(
    seed_file: str | Path,
    out: str | Path,
    config: SelfInstructConfig | None = None,
    *,
    teacher: "Teacher | str" = "self",
    student=None,
    progress: ProgressFn | None = None,
) -> SelfInstructSummary:
    """Read ``seed_file``, build the teacher (a spec such as ``"self"`` needs ``student``) and run
    :func:`generate_instructions`."""
    tasks = load_seed_tasks(seed_file)
    if isinstance(teacher, str):
        from teachers import load_teacher

        teacher = load_teacher(teacher, student=student)
    return generate_instructions(tasks, teacher, out, config, progress=progress)
