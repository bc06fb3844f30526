"""The ``distill`` objective: on-policy distillation with TRL's ``DistillationTrainer``.

Each step the student samples answers to the round's prompts with its current LoRA weights (the
student's own batched engine, as GRPO's rollouts: :class:`~distill.train.grpo.StudentRollout`), a
teacher scores every token of those answers, and the adapter minimises the divergence between the
two next-token distributions on exactly the states the student visits (reverse KL by default: TRL's
``beta`` 1.0; GKD, on-policy distillation). Where the teacher's distribution comes from is
its ``distill_teacher`` option:

* ``context`` (the default): the round-start weights (the adapter switched off, no second copy)
  reading privileged context the student does not see: the prompt's reference answer and the
  round's kept target (a checked revision, or the answer itself when the check verified it), as
  its ``distill_context`` option names, rendered by the template its ``distill_template`` option
  names (:data:`CONTEXT_TEMPLATES`: ``answer``, write your own answer; ``derive``, OPSD's form: the
  worked solution, then derive the answer step by step) (self-distillation with privileged
  context). Prompts with nothing in the context are left out: the teacher would know no more than
  the student. Any teacher, an API one included, teaches this way through the text it wrote in the
  collect phase.
* ``model:SPEC``: another model with the student's tokenizer (a HF folder, a GGUF, an embedded
  name) reading the same prompt; a different tokenizer is refused before any work.

Then, as after GRPO, replay data alone at the replay share (the ``replay`` step). Before training
the teacher answers the round's checkable prompts greedily and is checked like the student
(``train/teacher.json``): a teacher that is right no more often than the student teaches nothing,
and the report says so. Every sampled answer is logged (``train/rollouts.jsonl``).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from distill.checks.numbers import render_worked, split_worked
from distill.errors import ConfigError
from distill.text import cell, clip
from distill.train.grpo import answers_text, collapse_warnings
from distill.train.objective import Flag, Objective, RoundData, RoundInputs, Step, first_last, log_mean
from distill.train.sft import REPLAY_STEP

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback

    from distill.data.questions import Question
    from distill.store.records import RoundSummary, Sample
    from distill.train.config import TrainConfig

# This project's defaults for TRL's DistillationConfig: one answer per prompt per pass, 16 answers
# per optimizer step, three passes over the round's prompts (each pass samples afresh: on-policy),
# answers as long as GRPO's, reverse KL (TRL's beta 1.0), dropout off so the sampled answers are
# the policy the loss scores.
DISTILL_DEFAULTS: dict[str, Any] = {
    "learning_rate": 2e-4,
    "num_train_epochs": 3.0,
    "per_device_train_batch_size": 8,
    "gradient_accumulation_steps": 2,
    "max_completion_length": 64,
    "temperature": 1.0,
    "beta": 1.0,
    "disable_dropout": True,
    "activation_checkpointing": False,
    "lr_scheduler_type": "linear",
    "logging_steps": 1,
    "seed": 0,
    "report_to": "none",
    "dataloader_num_workers": 0,
}
DISTILL_STEP = Step(name="distill", trl_config="DistillationConfig", defaults=DISTILL_DEFAULTS, section="distill",
                    trainer="distill.train.onpolicy:build_trainer")

CONTEXT_PARTS = ("reference", "target")
# What the context teacher reads: the student's own prompt, then what it knows (stated once: the rows,
# the teacher's accuracy and the leak check of what the student says all read it from here).
CONTEXT_TEMPLATE = ("{prompt}\n\nHere is a correct answer to this question, for your eyes only:\n{context}\n\n"
                    "Now write your own answer to the question.")
# OPSD's form (on-policy self-distillation): the worked solution, then an instruction to derive it.
DERIVE_TEMPLATE = ("{prompt}\n\nHere is a worked solution to this question, for your eyes only:\n{context}\n\n"
                   "After understanding it, solve the question yourself: derive the answer step by step.")
CONTEXT_TEMPLATES = {"answer": CONTEXT_TEMPLATE, "derive": DERIVE_TEMPLATE}


@dataclass
class DistillOptions:
    """The ``distill`` objective's options."""

    # the teacher: "context" (the round-start weights reading what distill_context names beside the
    # prompt) or "model:SPEC" (a model with the student's tokenizer)
    distill_teacher: str = "context"
    # what the context teacher reads: the prompt's reference and/or the round's kept target ("target":
    # the collect phase critiques and revises, as for sft)
    distill_context: list[str] = field(default_factory=lambda: list(CONTEXT_PARTS))
    # how the context teacher is told what it knows: a key of CONTEXT_TEMPLATES
    distill_template: str = "answer"

    def __post_init__(self) -> None:
        teacher_kind(self)
        if self.distill_template not in CONTEXT_TEMPLATES:
            raise ValueError(f"distill_template must be one of {', '.join(CONTEXT_TEMPLATES)}, "
                             f"got {self.distill_template!r}")
        unknown = [p for p in self.distill_context if p not in CONTEXT_PARTS]
        if unknown or not self.distill_context:
            raise ValueError(f"distill_context must name some of {', '.join(CONTEXT_PARTS)}, "
                             f"got {self.distill_context!r}")


TEACHER_FLAG = Flag(option="distill_teacher", metavar="{context,model:SPEC}",
                    help="distill's teacher: the round's starting weights reading the reference and the kept "
                         "target (context), or a model with the student's tokenizer")


def teacher_kind(options: DistillOptions) -> tuple[str, str | None]:
    """``("context", None)`` or ``("model", SPEC)`` from the ``distill_teacher`` option."""
    spec = options.distill_teacher
    if spec == "context":
        return "context", None
    if spec.startswith("model:") and spec[len("model:"):].strip():
        return "model", spec[len("model:"):].strip()
    raise ValueError(f"distill_teacher must be 'context' or 'model:SPEC' (a model with the student's tokenizer), "
                     f"got {spec!r}")


def needs(config: "TrainConfig") -> frozenset[str]:
    """The context teacher reads the round's kept targets, so its rounds collect them (critique and
    revision); otherwise only the prompts' answers are collected."""
    options = config.options
    context = teacher_kind(options)[0] == "context" and "target" in options.distill_context
    return frozenset({"prompts", "targets"} if context else {"prompts"})


def reference_text(q: "Question") -> str | None:
    """A prompt's reference as a person writes it, without the data file's notation (which the
    student must not learn to write): a worked solution without GSM8K's ``#### n``, a short answer's
    first alias (not the aliases joined by ``|``), "Yes." or "No."; None when it has none."""
    ref = q.reference
    if not q.checkable or ref is None:
        return None
    if q.format == "short":
        return q.gold[0]
    if q.format == "yesno":
        return "Yes." if q.gold else "No."
    worked = split_worked(ref)
    return render_worked(*worked) if worked is not None else ref


def context_for(q: "Question", record: "Sample | None", parts: Sequence[str]) -> str | None:
    """What the context teacher knows about prompt ``q``: the round's kept target (``target``) and/or
    the reference (``reference``), one answer a line, the target first, no label (a label is what a
    student learns to copy); None when neither exists."""
    texts = []
    if "target" in parts and record is not None and record.kept and record.target:
        texts.append(record.target.strip())
    ref = reference_text(q) if "reference" in parts else None
    if ref and ref not in texts:
        texts.append(ref)
    return "\n".join(texts) or None


def distill_data(inputs: RoundInputs) -> RoundData:
    """The round's prompts as rows (``prompt``; ``teacher_prompt`` for the context teacher, whose
    prompts with no context are left out; ``question``, JSON, for the teacher's accuracy), then
    replay data alone at the replay share, for the replay step."""
    from distill.curate.rows import replay_sample
    from distill.data.instructions import PROMPT

    if not inputs.prompts:
        return RoundData(None, note="no prompts")
    kind, _ = teacher_kind(inputs.config.options)
    template = CONTEXT_TEMPLATES[inputs.config.options.distill_template]
    by_index = {r.index: r for r in inputs.records}
    rows, records, without = [], [], 0
    for i, q in enumerate(inputs.prompts):
        asked = inputs.asked(q)
        row = {PROMPT: [{"role": "user", "content": asked}], "question": json.dumps(q.to_json(), ensure_ascii=False)}
        if kind == "context":
            context = context_for(q, by_index.get(i), inputs.config.options.distill_context)
            if context is None:
                without += 1
                continue
            row["teacher_prompt"] = [{"role": "user", "content": template.format(prompt=asked, context=context)}]
        rows.append(row)
        records.append(by_index.get(i))
    if not rows:
        return RoundData(None, note="no prompt has a reference or a kept target: the context teacher would know no "
                                    "more than the student")
    order = list(range(len(rows)))
    random.Random(inputs.seed).shuffle(order)
    data = RoundData(inputs.config, {"distill": [rows[i] for i in order]})
    # the student's own answers to the prompts trained on, as the collect phase checked them
    checked = [s for s in records if s is not None and s.answer_passed is not None]
    data.metrics["distill"] = {"prompts": len(rows), "without_context": without, "student_checked": len(checked),
                               "student_right": sum(bool(s.answer_passed) for s in checked)}
    picked = replay_sample(inputs.replay, inputs.replay_ratio, len(rows), inputs.seed)
    if picked:
        data.rows["replay"] = picked
    return data


def check(config: "TrainConfig", prompts: "Sequence[Question] | None", student: str | None = None) -> None:
    """A ``model:`` teacher loads and shares the student's tokenizer (given ``student``, its spec), and
    the context teacher has something to read in the run's prompts (given ``prompts``). Raises
    ``ValueError`` naming what is wrong."""
    options = config.options
    kind, spec = teacher_kind(options)
    if kind == "model":
        teacher_tok = _tokenizer(spec, "train.distill_teacher: model:")
        if student is not None:
            same_tokenizer(_tokenizer(student, "student "), teacher_tok, student, spec)
    elif prompts is not None and "target" not in options.distill_context and not any(q.checkable for q in prompts):
        raise ValueError("distill_teacher: context reads the prompts' references (distill_context: "
                         f"{', '.join(options.distill_context)}), and none of the run's prompts has one: what would "
                         "the teacher know? Use prompts with answers (e.g. data/train/), add 'target' to "
                         "distill_context, or a model: teacher")


def _tokenizer(spec: str, what: str) -> Any:
    """The tokenizer of model spec ``spec``; a spec that cannot load is a one-line ConfigError."""
    from transformers import AutoTokenizer

    from distill.errors import DistillError
    from distill.model.resolve import quiet_loading, resolve_folder

    try:
        with quiet_loading():
            return AutoTokenizer.from_pretrained(resolve_folder(spec))
    except DistillError as e:
        raise ConfigError(f"{what}{spec}: cannot be loaded: {e}") from None
    except (OSError, ValueError) as e:
        raise ConfigError(f"{what}{spec}: cannot be loaded: {str(e).splitlines()[0]}") from None


def same_tokenizer(student_tok: Any, teacher_tok: Any, student: str, teacher: str) -> None:
    """Raise a one-line ConfigError unless the two tokenizers map the same tokens to the same ids: the
    teacher scores the student's own tokens, so they must mean the same to both."""
    if student_tok.get_vocab() != teacher_tok.get_vocab():
        raise ConfigError(
            f"train.distill_teacher: model:{teacher} has a different tokenizer from the student {student} "
            f"({len(teacher_tok)} vs {len(student_tok)} tokens); on-policy distillation scores the student's own "
            "tokens, so the teacher must share its tokenizer")


def metrics(log_history: Sequence[dict]) -> dict:
    """What a distillation round's training log says (its entries with ``distilled_tokens``, one per
    optimizer step): its steps, the divergence from the teacher over the first and the last quarter
    of them (``divergence_first``, ``divergence_last``), the tokens distilled, seconds per step,
    cut-off answers and their mean length."""
    steps = [e for e in log_history if "distilled_tokens" in e and "train_runtime" not in e]
    if not steps:
        return {}
    first, last = first_last(steps, "loss")
    return dict(steps=len(steps), divergence_first=first, divergence_last=last,
                distilled_tokens=int(sum(float(e["distilled_tokens"]) for e in steps)),
                step_seconds=log_mean(steps, "step_time"), clipped_ratio=log_mean(steps, "completions/clipped_ratio"),
                mean_length=log_mean(steps, "completions/mean_length"))


def summary(train_dir: Path, config: "TrainConfig", prompts: "Sequence[Question]") -> dict:
    """What a distillation round adds to its summary: the teacher's own accuracy on the round's
    checkable prompts (``train/teacher.json``), and over the answers sampled in training, the most
    common answer per format and the share with leaked instruction text or markup."""
    from distill.checks.reference import answer_collapse
    from distill.store.folder import read_json
    from distill.store.jsonl import read_records

    out: dict = {}
    teacher = read_json(train_dir / "teacher.json")
    if teacher:
        out["teacher"] = teacher
        out["teacher_accuracy"] = teacher["right"] / teacher["checked"]  # a number, for the trackers
    if (train_dir / "rollouts.jsonl").is_file():
        rollouts = read_records(train_dir / "rollouts.jsonl", repair=False)
        out["answers"] = answer_collapse(rollouts)
        if rollouts:
            out["rollouts_leaked"] = sum(bool(r.get("leaked")) for r in rollouts) / len(rollouts)
    return out


def teacher_vs_student(train_metrics: dict) -> tuple[float, float, int] | None:
    """A distillation round's teacher against its student on the round's checkable prompts: (the
    teacher's share right, the student's, prompts the teacher was checked on); None when unknown."""
    t, d = train_metrics.get("teacher") or {}, train_metrics.get("distill") or {}
    if not t.get("checked") or not d.get("student_checked"):
        return None
    return t["right"] / t["checked"], d["student_right"] / d["student_checked"], t["checked"]


def line(train_metrics: dict) -> str | None:
    """A distillation round's training in words (None when its log said nothing)."""
    m = train_metrics
    if m.get("divergence_first") is None:
        return None
    out = (f"distilled {m.get('distilled_tokens', 0)} answer tokens in {m.get('steps')} steps; divergence from the "
           f"teacher {m['divergence_first']:.3f} -> {m['divergence_last']:.3f} (first -> last quarter of steps)")
    known = teacher_vs_student(m)
    if known:
        out += (f"; on the round's {known[2]} checkable prompts the teacher was right on {known[0]:.0%}, "
                f"the student on {known[1]:.0%}")
    return out


def warnings(train_metrics: dict, bias_share: float) -> list[str]:
    """A collapse of the sampled answers onto one (as GRPO's), and a teacher right no more often than
    the student: it has nothing to teach."""
    out = collapse_warnings(train_metrics, bias_share)
    known = teacher_vs_student(train_metrics)
    if known and known[0] <= known[1]:
        out.append(f"the distillation teacher knows no more than the student: right on {known[0]:.0%} of the round's "
                   f"{known[2]} checkable prompts, the student on {known[1]:.0%}; distilling from it teaches nothing")
    return out


def report(rounds: Sequence["RoundSummary"]) -> list[str]:
    """The distillation rounds' table: the divergence from the teacher (first -> last quarter of the
    round's steps), tokens distilled, the teacher's and the student's accuracy on the round's
    checkable prompts, answers cut off or with leaked instruction text, the most common answer per format."""
    rows = [r for r in rounds if r.train_metrics.get("divergence_first") is not None]
    if not rows:
        return []
    lines = ["## Online training", "",
             "Distilled on policy (every token of the student's own answers scored by a teacher):", "",
             "| round | steps | minutes | divergence first -> last quarter | tokens distilled | teacher right "
             "| student right | prompts without context | cut off at the limit | answers with leaked text "
             "| most common answer per format |",
             "|" + "---|" * 11]
    nothing = []
    for r in rows:
        m = r.train_metrics
        known = teacher_vs_student(m)
        if known and known[0] <= known[1]:
            nothing.append(str(r.round))
        lines.append("| " + " | ".join([
            str(r.round), str(m.get("steps", "-")),
            cell(m["steps"] * m["step_seconds"] / 60) if m.get("steps") and m.get("step_seconds") else "-",
            f"{cell(m.get('divergence_first'))} -> {cell(m.get('divergence_last'))}",
            str(m.get("distilled_tokens", "-")),
            cell(known[0], pct=True) if known else "-", cell(known[1], pct=True) if known else "-",
            str((m.get("distill") or {}).get("without_context", "-")), cell(m.get("clipped_ratio"), pct=True),
            cell(m.get("rollouts_leaked"), pct=True), clip(answers_text(m), 160),
        ]) + " |")
    lines += ["", "Teacher and student right: greedy answers to the round's prompts that have a reference, checked "
              "strictly (the teacher reading what it is given, the student as the collect phase answered). A teacher "
              "right no more often than the student knows nothing to teach"
              + (f": round {', '.join(nothing)}." if nothing else ".") + " Leaked text: four words in a row of the "
              "context's template (an upper bound: \"answer to this question\" is also plain English).", ""]
    return lines


DISTILL = Objective(name="distill", steps=(DISTILL_STEP, REPLAY_STEP), rows=distill_data,
                    about="on-policy distillation from a teacher's distribution on every token of the student's own "
                          "answers",
                    needs=frozenset({"prompts"}), needs_for=needs, options=DistillOptions, flags=(TEACHER_FLAG,),
                    check=check, metrics=metrics, summary=summary, line=line, warnings=warnings, report=report,
                    instructions=tuple(CONTEXT_TEMPLATES.values()))


def leak_check() -> Any:
    """The target review's leak check for the context templates: what the student must not learn to say."""
    from distill.curate.targets import LeakCheck

    return LeakCheck(list(CONTEXT_TEMPLATES.values()))


def teacher_accuracy(engine: Any, rows: Sequence[dict], max_new_tokens: int) -> dict:
    """The teacher's greedy answers to the rows' checkable prompts (``teacher_prompt`` where there is
    one), checked strictly like training's check: how often it is right, and how often it writes
    the context's instruction text or markup."""
    from distill.core import SamplingConfig
    from distill.data.instructions import PROMPT
    from distill.data.questions import Question

    asked = [(Question.from_json(json.loads(r["question"])), r.get("teacher_prompt") or r[PROMPT]) for r in rows]
    asked = [(q, chat) for q, chat in asked if q.checkable]
    if not asked:
        return {}
    ids = [engine.encode(chat) for _, chat in asked]
    out = engine.generate_ids(ids, SamplingConfig(max_new_tokens=max_new_tokens, temperature=0.0)).ids
    texts = engine.tokenizer.batch_decode(out, skip_special_tokens=True)
    leaks = leak_check()
    right = sum(q.check(t, strict=True) for (q, _), t in zip(asked, texts))
    leaked = sum(leaks.find(t, q.prompt + " " + (q.reference or "")) is not None for (q, _), t in zip(asked, texts))
    return {"checked": len(asked), "right": right, "leaked": leaked,
            "examples": [{"question": q.prompt, "answer": t} for (q, _), t in list(zip(asked, texts))[:3]]}


def build_trainer_class() -> type:
    """TRL's ``DistillationTrainer`` with the student's own sampling and the context teacher.

    * Prompts are encoded and answered by the student's batched engine (what GRPO's rollouts use),
      in the run's precision, instead of ``model.generate``.
    * With no teacher model (the ``context`` teacher), the teacher's hidden states come from the
      same model with its adapter switched off (the round's starting weights) reading each row's
      ``teacher_prompt`` followed by the student's answer (TRL's trainer scores the teacher on the
      student's prompt). On a GPU the divergence is TRL's chunked one; on a CPU see ``_compute_loss``.
    * Every sampled answer is logged to ``rollouts.jsonl`` beside TRL's output, with whether it
      holds the context's instruction text (the leak check of the target review).
    """
    import torch
    from trl import DistillationTrainer
    from trl.experimental.gkd import GKDTrainer
    from trl.trainer.distillation_trainer import _chunked_divergence_loss
    from trl.trainer.utils import pad

    from distill.data.questions import Question
    from distill.store.jsonl import append_records
    from distill.train.grpo import StudentRollout

    class OnPolicyDistillationTrainer(DistillationTrainer):
        def __init__(self, *args: Any, precision: str | None = None, log: Path | None = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.rollout = StudentRollout(precision)
            self.rollout_log = log
            self.leaks = leak_check()

        def _tokenize_prompts(self, prompts: list):
            engine = self.rollout.engine(self, refresh=False)  # sampling refreshes the bf16 copy, once
            return [engine.encode(p) for p in prompts], None, {}

        def _generate_single_turn(self, prompt_ids, images, multimodal_fields, has_tool_images=False):
            return self.rollout.sample(self, prompt_ids, logprobs=False).ids

        def _generate_and_score_completions(self, inputs: list[dict]) -> dict:
            out = super()._generate_and_score_completions(inputs)
            device = out["prompt_ids"].device
            if self.teacher_model is None:
                engine = self.rollout.engine(self, refresh=False)
                ids = [torch.tensor(engine.encode(x["teacher_prompt"])) for x in inputs]
                out["teacher_prompt_ids"] = pad(ids, padding_value=self._tokenizer.pad_token_id,
                                                padding_side="left").to(device)
                out["teacher_prompt_mask"] = pad([torch.ones_like(i) for i in ids], padding_value=0,
                                                 padding_side="left").to(device)
            mask = out["completion_mask"]
            self._metrics["train"]["distilled_tokens"].append(float(mask.sum()))
            if self.rollout_log is not None and self.accelerator.is_main_process:  # launched: its share
                texts = self._tokenizer.batch_decode(out["completion_ids"] * mask, skip_special_tokens=True)
                records = []
                for x, text in zip(inputs, texts):
                    q = Question.from_json(json.loads(x["question"]))
                    allowed = q.prompt + " " + (q.reference or "")
                    records.append({"step": self.state.global_step, "prompt": q.prompt, "format": q.format,
                                    "completion": text, "leaked": bool(self.leaks.find(text, allowed))})
                append_records(self.rollout_log, records)
            return out

        def _compute_loss(self, unwrapped_student, inputs, num_items_in_batch):
            completion_ids, completion_mask = inputs["completion_ids"], inputs["completion_mask"]
            if completion_ids.is_cuda:
                if self.teacher_model is not None:
                    return super()._compute_loss(unwrapped_student, inputs, num_items_in_batch)
                student_hidden, teacher_hidden = self._hidden_states(unwrapped_student, inputs)
                head = unwrapped_student.get_output_embeddings()
                loss, entropy, valid = _chunked_divergence_loss(
                    student_hidden, teacher_hidden, head.weight, head.weight, completion_mask, self.beta,
                    num_items_in_batch=num_items_in_batch, temperature=self.temperature)
                return loss, entropy.detach(), valid
            # Without Triton (a CPU), TRL's chunked divergence projects every position, padding included, in
            # fp32 and twice over, and its backbone call bypasses the model's autocast: the answers' positions
            # alone through each LM head under the run's autocast, then GKD's generalized JSD, give the same
            # loss (beta 1: reverse KL) in about a third of the step.
            valid = completion_mask.bool()
            with self.accelerator.autocast():
                student_hidden, teacher_hidden = self._hidden_states(unwrapped_student, inputs)
                teacher = unwrapped_student if self.teacher_model is None else self.accelerator.unwrap_model(
                    self.teacher_model)
                student_logits = unwrapped_student.get_output_embeddings()(student_hidden[valid]).float()
                with torch.no_grad():
                    teacher_logits = teacher.get_output_embeddings()(teacher_hidden[valid]).float()
            loss = GKDTrainer.generalized_jsd_loss(student_logits, teacher_logits, beta=self.beta,
                                                   temperature=self.temperature,
                                                   num_items_in_batch=num_items_in_batch or valid.sum().clamp(min=1))
            with torch.no_grad():
                logp = torch.log_softmax(student_logits / self.temperature, -1)
                entropy = -(logp.exp() * logp).sum()
            return loss, entropy, valid.sum()

        def _hidden_states(self, unwrapped_student, inputs):
            """The student's last hidden states over its answers, and the teacher's: the teacher model on
            the same prompt, or (the context teacher) the student with its adapter off on ``teacher_prompt``."""
            completion_ids, completion_mask = inputs["completion_ids"], inputs["completion_mask"]
            keep = completion_ids.size(1)
            student = self._get_last_hidden_state(
                unwrapped_student, torch.cat([inputs["prompt_ids"], completion_ids], 1),
                torch.cat([inputs["prompt_mask"], completion_mask], 1), keep)
            with torch.no_grad():
                if self.teacher_model is not None:
                    teacher_model = self.accelerator.unwrap_model(self.teacher_model)
                    teacher = self._get_last_hidden_state(
                        teacher_model, torch.cat([inputs["prompt_ids"], completion_ids], 1),
                        torch.cat([inputs["prompt_mask"], completion_mask], 1), keep)
                else:
                    with unwrapped_student.disable_adapter():
                        teacher = self._get_last_hidden_state(
                            unwrapped_student, torch.cat([inputs["teacher_prompt_ids"], completion_ids], 1),
                            torch.cat([inputs["teacher_prompt_mask"], completion_mask], 1), keep)
            return student, teacher

    return OnPolicyDistillationTrainer


def build_trainer(
    model: "PreTrainedModel",
    tokenizer: "PreTrainedTokenizerBase",
    rows: "Dataset | Sequence[dict]",
    out_dir: Path,
    config: "TrainConfig",
    callbacks: "list[TrainerCallback] | None" = None,
    quiet: bool = False,
    precision: str | None = None,
) -> Any:
    """The round's distillation trainer: LoRA on ``model`` in place, ``rows`` of prompts (with
    ``teacher_prompt`` for the context teacher), the teacher its ``distill_teacher`` option names. The
    teacher's accuracy on the rows' checkable prompts is measured first (``train/teacher.json``)."""
    from datasets import Dataset

    from distill.model.resolve import load_model
    from distill.model.student import Student
    from distill.store.atomic import write_json
    from distill.train.common import datasets_bars
    from distill.train.common import quiet as quieted

    if not rows:
        raise ValueError("train_lora: the distill objective needs prompts")
    rows = list(rows)
    kind, spec = teacher_kind(config.options)
    train_dir = Path(out_dir) / "train"
    train_dir.mkdir(parents=True, exist_ok=True)
    log = train_dir / "rollouts.jsonl"
    log.unlink(missing_ok=True)  # training starts over after a kill: so does its log
    teacher_model = None
    if kind == "model":
        teacher_model, teacher_tok = load_model(spec)
        same_tokenizer(tokenizer, teacher_tok, "being trained", spec)
    args = config.args(DISTILL_STEP, train_dir, precision, disable_tqdm=quiet)
    if args.process_index == 0:  # under a launcher, the main process measures the teacher
        engine = Student("teacher", model=teacher_model or model, tokenizer=tokenizer, precision=precision or "fp32")
        write_json(train_dir / "teacher.json", teacher_accuracy(engine, rows, args.max_completion_length))
        engine.release()
    model.train()
    with datasets_bars(enabled=not quiet):
        trainer = build_trainer_class()(
            model=model, teacher_model=teacher_model, args=args, train_dataset=Dataset.from_list(rows),
            processing_class=tokenizer, peft_config=config.lora_config(), callbacks=list(callbacks or []),
            precision=precision, log=log,
        )
    return quieted(trainer) if quiet else trainer
