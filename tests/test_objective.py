"""An objective is a plug-in: one module behind one contract (distill.train.objective). The toy
objective below is declared in this file alone — no edit anywhere else — and runs through a real
loop round; the built-ins go through the same table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distill.errors import ConfigError
from distill.train.objective import BUILT_IN, Objective, RoundData, RoundInputs, Step, get
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


TOY_STEP = Step("toy", "SFTConfig", {**SFT_DEFAULTS, "max_steps": 1}, "toy", "test_objective:toy_trainer")
TOY = Objective("toy", (TOY_STEP,), toy_rows, needs=frozenset({"prompts"}), check=toy_check, summary=toy_summary)


def loop_config(tmp_path: Path, student: Path, prompts: str, **train) -> dict:
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join((ROOT / "data" / "replay_heldout.jsonl").read_text().splitlines(keepends=True)[:3]))
    return {"run_dir": str(tmp_path / "run"), "student": str(student), "teacher": "self", "rounds": 1,
            "prompts_per_round": 4, "chunk_size": 4, "approval_items": 2, "replay_heldout": str(heldout),
            "prompts": prompts, "seed": 1, "eval_sets": [str(ROOT / "data" / "eval" / "yesno.jsonl")],
            "guard_sets": [], "answer": {"max_new_tokens": 8}, "critique": {"max_new_tokens": 8},
            "revision": {"max_new_tokens": 8}, "eval": {"limit": 2, "max_new_tokens": 8},
            "train": {"objective": "test_objective:TOY", **train}}


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
    log = json.loads((Path(cfg.run_dir) / "round-01" / "train" / "log_history.json").read_text())
    assert {e["objective"] for e in log["log_history"]} == {"toy"}
    # its own section of the config reached its TRL config: max_steps 2 over the step's default of 1
    assert max(e.get("step", 0) for e in log["log_history"]) == 2
    assert (Path(cfg.run_dir) / "round-01" / "model" / "config.json").is_file()  # merged like every objective
    assert "test_objective:TOY" in (Path(cfg.run_dir) / "report.md").read_text()


def test_an_objectives_check_and_a_bad_spec_are_one_line_errors(tmp_path, tiny_folder):
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
                       ("rl", "objective must be one of sft, dpo, sft_then_dpo, grpo, distill or module.path:NAME")]:
        with pytest.raises(ConfigError, match=said):
            RunConfig.from_data({"train": {"objective": spec}})
    assert not (tmp_path / "run").exists()


def test_the_built_in_objectives_are_in_the_one_table():
    assert {name: get(name).step_names for name in BUILT_IN} == {
        "sft": ("sft",), "dpo": ("dpo",), "sft_then_dpo": ("sft", "dpo"), "grpo": ("grpo", "replay"),
        "distill": ("distill", "replay")}
    assert get("grpo").needs == {"prompts", "judge"}
