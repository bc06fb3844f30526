"""Precision from the machine: auto follows the probe both ways and the manifest keeps the choice;
bf16 generation and training run and learn on the real model; bf16 where the machine has none is
a one-line error naming the setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import distill.model.precision as precision
from distill.errors import ConfigError
from distill.model.precision import choose

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("speeds, chosen", [({"fp32": 100.0, "bf16": 300.0}, "bf16"),
                                            ({"fp32": 100.0, "bf16": 40.0}, "fp32")])
def test_auto_follows_the_probe_and_the_manifest_keeps_it(tmp_path, tiny_folder, monkeypatch, speeds, chosen):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    monkeypatch.setattr(precision, "bf16_native", lambda: True)
    monkeypatch.setattr(precision, "probe", lambda: speeds)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert choose("auto").name == chosen
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    cfg = {"run_dir": str(tmp_path / "run"), "student": str(tiny_folder), "teacher": "fakes:FixerTeacher", "rounds": 1,
           "prompts_per_round": 2, "approval_items": 1, "replay_heldout": None,
           "eval_sets": [str(ROOT / "data" / "eval" / "facts.jsonl")], "eval": {"limit": 1, "max_new_tokens": 4},
           "answer": {"max_new_tokens": 4}, "critique": {"max_new_tokens": 4}, "revision": {"max_new_tokens": 4},
           "train": {"sft": {"max_steps": 1}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    manifest = run(RunConfig.load(tmp_path / "c.yaml"))
    ratio = speeds["bf16"] / speeds["fp32"]
    assert manifest.precision == chosen and manifest.precision_reason.startswith(f"bf16 matmul {ratio:.1f}x fp32")
    saved = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert saved["precision"] == chosen
    logged = json.loads((tmp_path / "run" / "round-01" / "train" / "log_history.json").read_text())
    assert logged["log_history"]  # trained
    # a resume keeps the run's precision whatever the machine says now
    monkeypatch.setattr(precision, "probe", lambda: {"fp32": speeds["bf16"], "bf16": speeds["fp32"]})
    assert run(RunConfig.load(tmp_path / "c.yaml")).precision == chosen


def test_bf16_where_the_machine_has_none_is_one_line(tmp_path, capsys, monkeypatch):
    from distill.ui.cli import main

    monkeypatch.setattr(precision, "bf16_native", lambda: False)
    with pytest.raises(ConfigError):
        choose("bf16")
    assert choose("auto").name == "fp32" and choose("fp32").reason == "asked for"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"run_dir": str(tmp_path / "run"), "precision": "bf16"}))
    assert main(["run", str(tmp_path / "c.yaml"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "error: precision: bf16 — this machine has no native bf16" in err


def test_the_probe_is_measured_once_per_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_CACHE", str(tmp_path))
    first = precision.probe()
    assert first["fp32"] > 0 and first["bf16"] > 0
    cached = json.loads((tmp_path / "precision-probe.json").read_text())
    assert list(cached.values()) == [first]
    assert precision.probe() == first  # read back, not measured again


def test_bf16_generation_and_training_run_and_learn_on_the_real_model(tmp_path, default_folder):
    if not precision.bf16_native():
        pytest.skip("this machine has no native bf16")  # the error path is tested above
    from test_train import TARGETS

    from distill.eval.heldout import answer_metrics
    from distill.model.resolve import load_model
    from distill.model.student import Student
    from distill.train.config import TrainConfig
    from distill.train.lora import train_lora

    model, tok = load_model(default_folder)
    config = TrainConfig(sft={"learning_rate": 1e-3, "max_steps": 12, "per_device_train_batch_size": len(TARGETS)},
                         num_threads=1)
    result = train_lora(model, tok, TARGETS, tmp_path / "round", config, quiet=True, precision="bf16")
    assert result.model.dtype.is_floating_point and str(result.model.dtype) == "torch.float32"  # saved fp32
    assert answer_metrics(result.model, tok, TARGETS).token_accuracy >= 0.95
    student = Student(result.model_dir, model=result.model, tokenizer=tok, precision="bf16")
    # the trainers above patched result.model's forward; generation must run the bf16 copy, not it
    calls = {"fp32": 0, "bf16": 0}
    for name, m in (("fp32", result.model), ("bf16", student.infer_model)):
        m.lm_head.register_forward_hook(lambda *a, name=name: calls.__setitem__(name, calls[name] + 1))
    outs = student.generate([t["prompt"] for t in TARGETS], max_new_tokens=20)
    assert calls["bf16"] > 0 and calls["fp32"] == 0, calls
    assert str(student.infer_model.dtype) == "torch.bfloat16" and student.model is result.model
    assert sum(o.text == t["completion"] for o, t in zip(outs, TARGETS)) >= len(TARGETS) - 1


def test_the_bf16_copy_of_a_peft_policy_is_merged_and_follows_its_adapter(tiny_folder):
    """GRPO's rollouts sample from a bf16 copy of the policy with its adapter merged in; after a
    training step changes the adapter, refresh() brings the copy to the merged weights again, as a
    fresh merge would give them, with no new copy of the model."""
    import copy

    import torch
    from peft import LoraConfig, get_peft_model

    from distill.model.resolve import load_model
    from distill.model.student import Student

    model, tok = load_model(tiny_folder)
    policy = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj", "down_proj"]))
    student = Student("policy", model=policy, tokenizer=tok, precision="bf16")

    def merged_now():
        return {n: p.to(torch.bfloat16) for n, p in copy.deepcopy(policy).merge_and_unload().state_dict().items()}

    infer = student.infer_model
    assert not any("lora" in n for n, _ in infer.named_parameters()) and infer.dtype == torch.bfloat16
    with torch.no_grad():  # a "training step": every adapter matrix moves
        for n, p in policy.named_parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.5)
    expected = merged_now()
    changed = [n for n, w in infer.state_dict().items() if not torch.equal(w, expected[n])]
    assert changed and all(n.endswith(("q_proj.weight", "v_proj.weight", "down_proj.weight")) for n in changed)
    student.refresh()
    assert student.infer_model is infer
    assert all(torch.equal(w, expected[n]) for n, w in infer.state_dict().items())
    ids = torch.tensor([student.encode("What is 2 + 2?")])
    with torch.no_grad():
        gap = (infer(input_ids=ids).logits.float() - policy(input_ids=ids).logits).abs().max()
    assert gap < 0.05, gap
