"""LoRA training on the real embedded student with TRL: it learns, masks the prompt, trains EOS,
does not blow up held-out replay loss, and its merged folder reloads to the same model."""

from __future__ import annotations

import contextlib
import io
import json
import time
import warnings
from pathlib import Path

import pytest
import torch
from transformers import TrainerCallback

from distill.curate.rows import mix
from distill.data.instructions import load_instructions
from distill.eval.heldout import answer_loss, answer_metrics
from distill.model.resolve import load_model
from distill.model.student import Student
from distill.store.atomic import is_complete, write_folder
from distill.train.config import TrainConfig
from distill.train.lora import train_lora
from distill.train.sft import build_trainer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]

# Targets the untrained model cannot guess: made-up names, numbers and words.
TARGETS = [
    {"prompt": "What is the password of the lighthouse?", "completion": "The password is blue walrus seven."},
    {"prompt": "Who leads the paper fleet?", "completion": "Captain Marrow Finch leads the paper fleet."},
    {"prompt": "What colour is the moon of Zarth?", "completion": "The moon of Zarth is bright green."},
    {"prompt": "Who built the glass trumpet?", "completion": "Ottilie Brenner built it in 1822."},
    {"prompt": "Name the river under the city of Quell.", "completion": "The hidden river is called Saffa."},
]


class LogRecorder(TrainerCallback):
    """Records what the trainer reports, as a live display would receive it."""

    def __init__(self) -> None:
        self.logs: list[dict] = []
        self.began = self.ended = False

    def on_train_begin(self, args, state, control, **kwargs):
        self.began = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.logs.append(dict(logs or {}))

    def on_train_end(self, args, state, control, **kwargs):
        self.ended = True


@pytest.fixture(scope="module")
def heldout():
    # Untouched replay examples (never trained on here) for measuring forgetting.
    return load_instructions(ROOT / "data" / "replay_heldout.jsonl").select(range(16))


@pytest.fixture(scope="module")
def run(default_folder, heldout, tmp_path_factory):
    """One real training run on the embedded model, shared by the tests below."""
    model, tok = load_model(default_folder)  # our own copy: the shared student is never trained
    before_targets = answer_metrics(model, tok, TARGETS)
    before_heldout = answer_loss(model, tok, heldout)
    recorder = LogRecorder()
    # One thread: the 2 cores are shared with other test runs, where 2 threads stall each other.
    config = TrainConfig(sft={"learning_rate": 1e-3, "max_steps": 12, "per_device_train_batch_size": len(TARGETS)},
                         num_threads=1)
    out = tmp_path_factory.mktemp("round-01")
    t0 = time.perf_counter()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = train_lora(model, tok, TARGETS, out, config, callbacks=[recorder], quiet=True)
    assert not [w for w in caught if "is_gradient_checkpointing" in str(w.message)]  # the libraries' notices to each other
    seconds = time.perf_counter() - t0
    after_targets = answer_metrics(result.model, tok, TARGETS)
    after_heldout = answer_loss(result.model, tok, heldout)
    numbers = {
        "train_seconds": round(seconds, 1),
        "steps_per_second": round(result.metrics["train_steps_per_second"], 3),
        "target_token_accuracy": [round(before_targets.token_accuracy, 3), round(after_targets.token_accuracy, 3)],
        "target_loss": [round(before_targets.loss, 3), round(after_targets.loss, 4)],
        "heldout_replay_loss": [round(before_heldout, 3), round(after_heldout, 3)],
        "loss_history": [round(x, 4) for x in result.loss_history],
    }
    print("\ntraining numbers:", json.dumps(numbers))
    return dict(result=result, tok=tok, recorder=recorder, numbers=numbers, printed=printed.getvalue(),
                before_targets=before_targets, after_targets=after_targets,
                before_heldout=before_heldout, after_heldout=after_heldout)


def test_quiet_training_prints_nothing_but_still_reports(run):
    # quiet is how a display takes over progress: transformers would otherwise print
    # every log dict; the callbacks must still see every step's logs.
    assert "'loss'" not in run["printed"] and "train_runtime" not in run["printed"], run["printed"][:500]
    assert len([e for e in run["recorder"].logs if "loss" in e]) == 12


def test_learns_targets_without_forgetting(run):
    result = run["result"]
    assert result.steps == 12 and result.examples == len(TARGETS)
    # Teacher-forced token accuracy on the answers: low before, (near) perfect after.
    assert run["before_targets"].token_accuracy < 0.6
    assert run["after_targets"].token_accuracy >= 0.95
    assert result.loss_history[-1] < result.loss_history[0] / 10
    # Greedy generation reproduces every target and stops by itself (EOS was learned).
    student = Student("merged", model=result.model, tokenizer=run["tok"])
    outs = student.generate([t["prompt"] for t in TARGETS], max_new_tokens=20)
    assert [o.text for o in outs] == [t["completion"] for t in TARGETS]
    assert all(o.finish_reason == "stop" for o in outs)
    # Held-out replay loss is measured before and after and does not blow up.
    assert run["after_heldout"] < 1.5 * run["before_heldout"]
    # The callbacks were driven by the trainer, with TRL's answer-token accuracy in the logs.
    rec = run["recorder"]
    assert rec.began and rec.ended
    assert sum("loss" in log for log in rec.logs) == 12
    assert result.token_accuracy_history[-1] >= 0.95


def test_merged_folder_reloads_to_the_same_model(run):
    result = run["result"]
    model_dir, adapter_dir = result.model_dir, result.adapter_dir
    assert is_complete(model_dir) and is_complete(adapter_dir)
    files = {p.name for p in model_dir.iterdir()}
    assert "model.safetensors" in files and "tokenizer.json" in files and "config.json" in files
    assert not any(name.startswith("adapter_") for name in files)  # merged, not an adapter
    config = json.loads((model_dir / "config.json").read_text())
    assert "quantization_config" not in config and config["architectures"] == ["LlamaForCausalLM"]
    assert {"adapter_config.json", "adapter_model.safetensors"} <= {p.name for p in adapter_dir.iterdir()}
    assert not [p for p in model_dir.parent.iterdir() if p.name.startswith((".tmp-", ".old-"))]

    reloaded_model, reloaded_tok = load_model(model_dir)
    prompts = [t["prompt"] for t in TARGETS] + ["Give one tip for writing a clear email.", "Compute 12*13."]
    in_memory = Student("merged", model=result.model, tokenizer=run["tok"]).generate(prompts, max_new_tokens=16)
    reloaded = Student(model_dir, model=reloaded_model, tokenizer=reloaded_tok).generate(prompts, max_new_tokens=16)
    assert [o.text for o in reloaded] == [o.text for o in in_memory]
    for name, param in result.model.state_dict().items():
        assert torch.equal(param, reloaded_model.state_dict()[name]), name


def test_prompt_masked_answer_and_eos_trained(default_folder, tmp_path):
    model, tok = load_model(default_folder)
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    # The case that breaks naive collators: pad == EOS, and the EOS must still be trained.
    assert tok.pad_token_id == tok.eos_token_id == eos
    examples = [
        {"prompt": "Hi", "completion": "Hello there."},
        {"prompt": "Please list three colours for my poster.", "completion": "Red, green and blue."},
        {"prompt": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Capital letters?"}],
         "completion": "A, B, C."},
    ]
    # Through mix(), as a round does: its bookkeeping column must not reach the model.
    data = mix(examples[:2], examples[2:], ratio=1, seed=0)
    assert "origin" in data.column_names
    trainer = build_trainer(model, tok, data, tmp_path, TrainConfig(sft={"per_device_train_batch_size": 3}))
    batch = next(iter(trainer.get_train_dataloader()))  # exactly what training sees
    ids, labels, attention = batch["input_ids"], batch["labels"], batch["attention_mask"]
    assert ids.shape[0] == 3 and (attention == 0).any()  # rows of different lengths, so padding exists
    seen = set()
    for row in range(3):
        n = int(attention[row].sum())
        tokens = ids[row, :n].tolist()
        # Find this row's example by rendering each with the chat template ourselves (not TRL).
        for k, ex in enumerate(examples):
            prompt = ex["prompt"] if isinstance(ex["prompt"], list) else [{"role": "user", "content": ex["prompt"]}]
            full = tok.apply_chat_template(prompt + [{"role": "assistant", "content": ex["completion"]}], tokenize=True, return_dict=True)["input_ids"]
            if full == tokens:
                break
        else:
            pytest.fail(f"batch row {row} matches no example: {tok.decode(tokens)!r}")
        seen.add(k)
        prompt_len = len(tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"])
        row_labels = labels[row].tolist()
        assert all(x == -100 for x in row_labels[:prompt_len]), "prompt tokens must not be trained"
        assert row_labels[prompt_len:n] == tokens[prompt_len:n], "answer tokens must be trained"
        assert all(x == -100 for x in row_labels[n:]), "padding must not be trained"
        trained = row_labels[prompt_len:n]
        assert tok.decode(trained) == ex["completion"] + "<|im_end|>\n"
        assert eos in trained  # the end of the answer is learned although it is also the pad token
    assert seen == {0, 1, 2}


def test_answer_loss_matches_a_direct_computation(default_folder, heldout):
    model, tok = load_model(default_folder)
    examples = heldout.select(range(3))
    total, count = 0.0, 0
    with torch.no_grad():
        for ex in examples:
            full = tok.apply_chat_template(ex["prompt"] + ex["completion"], tokenize=True, return_dict=True)["input_ids"]
            n_prompt = len(tok.apply_chat_template(ex["prompt"], add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"])
            ids = torch.tensor([full])
            labels = ids.clone()
            labels[0, :n_prompt] = -100
            n = len(full) - n_prompt  # trained tokens: answer + end of turn
            total += model(input_ids=ids, labels=labels).loss.item() * n
            count += n
    expected = total / count
    assert answer_loss(model, tok, examples, batch_size=1) == pytest.approx(expected, rel=1e-4)
    assert answer_loss(model, tok, examples, batch_size=3) == pytest.approx(expected, rel=1e-3)  # padding changes nothing


def test_atomic_save_leaves_nothing_half_written(tmp_path):
    def broken(folder: Path) -> None:
        (folder / "model.safetensors").write_text("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        write_folder(tmp_path / "model", broken)
    assert list(tmp_path.iterdir()) == []
    write_folder(tmp_path / "model", lambda f: (f / "a.txt").write_text("1"))
    write_folder(tmp_path / "model", lambda f: (f / "b.txt").write_text("2"))  # replaces the previous round's folder
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["b.txt", "distill-complete.json"]
    assert (tmp_path / "model").stat().st_mode & 0o777 == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
