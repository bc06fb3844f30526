"""An objective is a plug-in: one module behind one contract (distill.train.objective). The toy
objectives below are declared in this file alone — no edit anywhere else — and run through a real
loop round; the built-ins go through the same table. The second owns everything about itself: an
option of its own (in the run config, validated by it), a metric read from its training log, a
report table and a monitor warning, all reaching the round's summary and the run's report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from distill.errors import ConfigError
from distill.train.objective import BUILT_IN, Objective, RoundData, RoundInputs, Step, first_last, get, round_data
from distill.train.sft import SFT_DEFAULTS

ROOT = Path(__file__).resolve().parents[1]


def toy_rows(inputs: RoundInputs) -> RoundData:
    """Imitate the references of the round's prompts (no kept records needed)."""
    rows = [{"prompt": [{"role": "user", "content": q.prompt}], "completion": [{"role": "assistant", "content": q.gold_text}]}
            for q in inputs.prompts if q.checkable]
    return RoundData(inputs.config, {"toy": rows}) if rows else RoundData(None, note="no prompt with a reference")


def toy_trainer(model, tokenizer, rows, out_dir, config, callbacks=None, quiet=False, precision=None):
    from distill.train.sft import build_trainer

    return build_trainer(model, tokenizer, rows, out_dir, config, callbacks, quiet, precision, step=TOY_STEP)


def toy_check(config, prompts, student) -> None:
    if prompts is not None and not any(q.checkable for q in prompts):
        raise ValueError("objective: the toy objective imitates references, and no prompt has one")


def toy_summary(train_dir: Path, config, prompts) -> dict:
    return {"references_imitated": sum(q.checkable for q in prompts)}


TOY_STEP = Step(name="toy", trl_config="SFTConfig", defaults={**SFT_DEFAULTS, "max_steps": 1}, section="toy",
                trainer="test_objective:toy_trainer")
TOY = Objective(name="toy", steps=(TOY_STEP,), rows=toy_rows, needs=frozenset({"prompts"}), check=toy_check,
                summary=toy_summary)


# -- a toy objective that owns everything about itself ---------------------------------------


@dataclass
class CopyOptions:
    """Its own section of the run config: ``train.copies``."""

    copies: int = 1  # each reference imitated this many times

    def __post_init__(self) -> None:
        if self.copies < 1:
            raise ValueError(f"copies must be >= 1, got {self.copies}")


def copy_rows(inputs: RoundInputs) -> RoundData:
    data = toy_rows(inputs)
    if data.config is not None:
        data.rows = {"copy": data.rows["toy"] * inputs.config.options.copies}
    return data


def copy_trainer(model, tokenizer, rows, out_dir, config, callbacks=None, quiet=False, precision=None):
    from distill.train.sft import build_trainer

    return build_trainer(model, tokenizer, rows, out_dir, config, callbacks, quiet, precision, step=COPY_STEP)


def copy_metrics(log_history) -> dict:
    """Its metric, read from its own training log: the loss over the first and the last quarter of its steps."""
    steps = [e for e in log_history if "loss" in e and "train_runtime" not in e]
    first, last = first_last(steps, "loss")
    return {"copy_steps": len(steps), "copy_loss_first": first, "copy_loss_last": last}


def copy_warnings(train_metrics: dict, bias_share: float) -> list[str]:
    return [f"copied references for {train_metrics['copy_steps']} steps: the student learns the answers by heart"]


def copy_report(rounds) -> list[str]:
    return ["## Copied references", "", "| round | steps | loss first -> last quarter |", "|---|---|---|",
            *[f"| {r.round} | {r.train_metrics['copy_steps']} | {r.train_metrics['copy_loss_first']:.3f} -> "
              f"{r.train_metrics['copy_loss_last']:.3f} |" for r in rounds], ""]


COPY_STEP = Step(name="copy", trl_config="SFTConfig", defaults={**SFT_DEFAULTS, "max_steps": 2}, section="copy",
                 trainer="test_objective:copy_trainer")
COPY = Objective(name="copy", steps=(COPY_STEP,), rows=copy_rows, about="the references, copied",
                 needs=frozenset({"prompts"}), options=CopyOptions, metrics=copy_metrics,
                 line=lambda m: f"copied for {m['copy_steps']} steps", warnings=copy_warnings, report=copy_report)


def loop_config(tmp_path: Path, student: Path, prompts: str, objective: str = "test_objective:TOY", **train) -> dict:
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join((ROOT / "data" / "replay_heldout.jsonl").read_text().splitlines(keepends=True)[:3]))
    return {"run_dir": str(tmp_path / "run"), "student": str(student), "teacher": "self", "rounds": 1,
            "prompts_per_round": 4, "chunk_size": 4, "approval_items": 2, "replay_heldout": str(heldout),
            "prompts": prompts, "seed": 1, "eval_sets": [str(ROOT / "data" / "eval" / "yesno.jsonl")],
            "guard_sets": [], "answer": {"max_new_tokens": 8}, "critique": {"max_new_tokens": 8},
            "revision": {"max_new_tokens": 8}, "eval": {"limit": 2, "max_new_tokens": 8},
            "train": {"objective": objective, **train}}


def test_a_toy_objective_declared_in_a_test_file_runs_through_a_loop_round(tmp_path, tiny_folder):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    cfg = RunConfig.from_data(loop_config(tmp_path, tiny_folder, str(ROOT / "data" / "train" / "facts.jsonl"),
                                          sections={"toy": {"per_device_train_batch_size": 4, "max_steps": 2}}))
    manifest = run(cfg)
    assert manifest.status == "finished"
    summary = manifest.rounds[0]
    assert summary.objective == "test_objective:TOY"
    assert summary.train_metrics == {"references_imitated": 4}  # what the objective adds to the summary
    assert summary.train_loss is not None
    log = json.loads((Path(cfg.run_dir) / "round-01" / "train" / "log_history.json").read_text())
    assert {e["objective"] for e in log["log_history"]} == {"toy"}
    # its own section of the config reached its TRL config: max_steps 2 over the step's default of 1
    assert max(e.get("step", 0) for e in log["log_history"]) == 2
    assert (Path(cfg.run_dir) / "round-01" / "model" / "config.json").is_file()  # merged like every objective
    assert "test_objective:TOY" in (Path(cfg.run_dir) / "report.md").read_text()


def test_an_objective_owns_its_option_metric_report_table_and_warning(tmp_path, tiny_folder, capsys):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    cfg = RunConfig.from_data(loop_config(tmp_path, tiny_folder, str(ROOT / "data" / "train" / "facts.jsonl"),
                                          objective="test_objective:COPY", copies=2,
                                          copy={"per_device_train_batch_size": 2}))
    assert cfg.train.options == CopyOptions(copies=2)
    manifest = run(cfg)
    run_dir = Path(cfg.run_dir)
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())["train"]
    assert saved["copies"] == 2 and saved["copy"] == {"per_device_train_batch_size": 2}  # its option, as given
    summary = manifest.rounds[0]
    # the option reached its rows: 4 references, each twice, 2 a step
    assert summary.train_metrics["copy_steps"] == 2 and summary.train_loss is not None
    assert summary.train_metrics["copy_loss_first"] > 0  # its metric, read from its own training log
    warning = "copied references for 2 steps: the student learns the answers by heart"
    assert warning in manifest.warnings
    report = (run_dir / "report.md").read_text()
    assert "## Copied references" in report and "| 1 | 2 | " in report  # its report table
    assert f"- warning: {warning}" in report
    assert "round 1: copied for 2 steps" in capsys.readouterr().out  # its display line
    assert RunConfig.load(run_dir / "config.yaml").train == cfg.train  # and the run folder reloads it


def test_an_objectives_check_its_options_and_a_bad_spec_are_one_line_errors(tmp_path, tiny_folder):
    from distill.config import RunConfig
    from distill.loop.bootstrap import BootstrapLoop

    bare = tmp_path / "bare.jsonl"
    bare.write_text('{"prompt": "Tell me about owls."}\n{"prompt": "Write a haiku."}\n')
    with pytest.raises(ConfigError, match=r"train.objective: the toy objective imitates references, and no prompt "
                                          r"has one \(prompts: .*bare.jsonl\)"):
        BootstrapLoop(RunConfig.from_data(loop_config(tmp_path, tiny_folder, str(bare))))
    for spec, said in [("test_objective:NOPE", "objective 'test_objective:NOPE': module 'test_objective' has no "
                                               "'NOPE'"),
                       ("test_objective:ROOT", "objective 'test_objective:ROOT': 'ROOT' is not an Objective"),
                       ("no_such_module:TOY", "cannot import module 'no_such_module'"),
                       ("rl", "objective must be one of sft, dpo, sft_then_dpo, grpo, distill, answers or "
                              "module.path:NAME")]:
        with pytest.raises(ConfigError, match=said):
            RunConfig.from_data({"train": {"objective": spec}})
    for train, said in [({"copies": 0}, "<config>: section train: copies must be >= 1, got 0"),
                        ({"copies": "two"}, "<config>: key train.copies: expected int, got 'two'"),
                        ({"copy_count": 2}, "<config>: key train.copy_count: unknown key (known: copies, copy, "),
                        ({"reward": "judge"}, "<config>: key train.reward: an option of objective grpo, not of 'copy'")]:
        with pytest.raises(ConfigError) as e:
            RunConfig.from_data({"train": {"objective": "test_objective:COPY", **train}})
        assert str(e.value).startswith(said)
    assert not (tmp_path / "run").exists()


def test_the_built_in_objectives_are_in_the_one_table():
    assert {name: get(name).step_names for name in BUILT_IN} == {
        "sft": ("sft",), "dpo": ("dpo",), "sft_then_dpo": ("sft", "dpo"), "grpo": ("grpo", "replay"),
        "distill": ("distill", "replay"), "answers": ("sft",)}
    assert get("grpo").needs == {"prompts", "judge"}


def test_a_config_saved_before_objectives_owned_their_options_still_loads(tmp_path):
    """A config.yaml written when every objective's options were train keys of their own: each
    objective's options and TRL sections read as before, other objectives' defaults dropped."""
    from distill.config import RunConfig

    old = {"objective": "grpo", "lora_r": 16, "sft": {}, "dpo": {}, "grpo": {"num_generations": 4}, "distill": {},
           "sections": {}, "reward": ["reference", "judge"], "distill_teacher": "context",
           "distill_context": ["reference", "target"], "screen_candidates": 2.0, "screen_samples": 4,
           "critic_share": 0.0, "num_threads": None, "launcher": None}
    train = RunConfig.from_data({"train": old}).train
    assert train.options.reward == ["reference", "judge"] and train.options.screen_samples == 4
    assert train.section("grpo") == {"num_generations": 4}
    as_sft = RunConfig.from_data({"train": {**old, "objective": "sft", "reward": "reference", "screen_candidates": 1.0,
                                            "screen_samples": 1, "critic_share": 0.2}}).train
    assert as_sft.options.critic_share == 0.2 and as_sft.section("grpo") == {"num_generations": 4}
    with pytest.raises(ConfigError, match=r"key train.critic_share: an option of objective sft, sft_then_dpo, not of "
                                          r"'grpo'"):
        RunConfig.from_data({"train": {**old, "critic_share": 0.3}})


def test_a_schedule_trains_each_round_by_its_objective_and_saves_as_it_reads():
    """``train.schedule``: round n by its n-th objective (the last repeating), each with its own options
    and TRL section; the config writes and reads back the same; mistakes are one-line errors."""
    from distill.config import RunConfig
    from distill.train.config import TrainConfig

    train = RunConfig.from_data({"train": {"schedule": ["distill", "distill", "grpo"], "distill_teacher": "model:x",
                                           "balance": 0.5, "grpo": {"num_generations": 4}}}).train
    rounds = [train.for_round(n) for n in (1, 2, 3, 4)]
    assert [r.objective for r in rounds] == ["distill", "distill", "grpo", "grpo"]
    assert rounds[0].options.distill_teacher == "model:x" and rounds[2].options.balance == 0.5
    assert rounds[2].section("grpo") == {"num_generations": 4} and not rounds[2].schedule
    assert [c.objective for c in train.round_configs()] == ["distill", "grpo"]
    assert RunConfig.from_data({"train": train.to_dict()}).train.to_dict() == train.to_dict()
    assert TrainConfig(objective="sft").for_round(3).objective == "sft"
    for given, said in [({"schedule": ["distill", "grpo"], "objective": "sft"},
                         "section train: objective 'sft' is not the first of schedule ['distill', 'grpo']"),
                        ({"schedule": ["distill", "rl"]}, "objective must be one of sft, dpo"),
                        ({"schedule": ["grpo", "sft"], "distill_teacher": "model:x"},
                         "key train.distill_teacher: an option of objective distill, not of 'grpo' or 'sft'"),
                        ({"schedule": "grpo"}, "key train.schedule: expected a list, got 'grpo'")]:
        with pytest.raises(ConfigError) as e:
            RunConfig.from_data({"train": given})
        assert said in str(e.value)


def test_the_answers_objective_trains_on_the_teachers_answers_checked_or_not(tmp_path):
    """The ``answers`` rows: each prompt asked as the evaluation asks it, answered by the teacher; with
    ``answers_checked`` only the answers that pass the reference check, without it every non-empty one.
    The answers are kept in the round's training folder: the round made again (resumed after a kill)
    reads them back and asks the teacher nothing."""
    from fakes import ScriptedTeacher

    from distill.data.questions import Question
    from distill.train.config import TrainConfig

    prompts = [Question("Is the sky blue?", format="yesno", gold=True),
               Question("Is fire cold?", format="yesno", gold=False),
               Question("Is ice hot?", format="yesno", gold=False)]
    rows = {}
    for checked in (True, False):
        teacher = ScriptedTeacher(["Yes.", "Yes.", ""])
        data = round_data(RoundInputs(kept=[], pairs=[], replay=None, replay_share=0.5, seed=0, prompts=prompts,
                                      suffix={"yesno": " Answer yes or no."}, teacher=teacher,
                                      config=TrainConfig(objective="answers", answers_checked=checked)))
        assert teacher.prompts == [q.prompt + " Answer yes or no." for q in prompts]
        counts = data.metrics["teacher_answers"]
        assert (counts["asked"], counts["checked"], counts["right"]) == (3, 3, 1)
        rows[checked] = [(r["prompt"][0]["content"], r["completion"][0]["content"]) for r in data.rows["sft"]]
    assert rows[True] == [("Is the sky blue? Answer yes or no.", "Yes.")]
    assert rows[False] == [("Is the sky blue? Answer yes or no.", "Yes."), ("Is fire cold? Answer yes or no.", "Yes.")]

    def made(teacher):
        return round_data(RoundInputs(kept=[], pairs=[], replay=None, replay_share=0.5, seed=0, prompts=prompts,
                                      suffix={"yesno": " Answer yes or no."}, teacher=teacher, workdir=tmp_path,
                                      config=TrainConfig(objective="answers")))

    first, unasked = made(ScriptedTeacher(["Yes.", "Yes.", ""])), ScriptedTeacher([])  # [] fails if asked
    again = made(unasked)
    assert unasked.prompts == [] and again.rows == first.rows
    assert again.metrics["teacher_answers"] == first.metrics["teacher_answers"]
    assert first.metrics["teacher_answers"]["teacher_tokens"] > 0
