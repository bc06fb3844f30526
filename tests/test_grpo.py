"""Online reinforcement from the project's checks (``train.objective: grpo``): GRPO with the round's
LoRA adapter raises the reward on its own prompts with the real student, every reward kind runs
through a real loop round, and bad rewards are one-line errors before any work (or naming the
function that broke). The kill mid-RL is in test_kill_sweep.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from distill.errors import ConfigError, SpecError

ROOT = Path(__file__).resolve().parents[1]
YESNO = ROOT / "data" / "train" / "yesno.jsonl"
ARITHMETIC = ROOT / "data" / "train" / "arithmetic.jsonl"
SUFFIX = {"yesno": " Answer yes or no."}
# A round small enough for a test: 2 GRPO steps of 2 prompts x 2 answers, 8 tokens each.
TINY_RL = {"objective": "grpo", "grpo": {"max_steps": 2, "num_generations": 2, "per_device_train_batch_size": 2,
                                         "gradient_accumulation_steps": 2, "max_completion_length": 8}}


def rewards_module(tmp_path: Path) -> str:
    """A user's reward functions, importable as ``user_rewards:<name>``."""
    (tmp_path / "user_rewards.py").write_text(
        "def short(prompts, completions, **kw):\n"
        "    return [1.0 / (1 + len(c[-1]['content'].split())) for c in completions]\n"
        "def raises(prompts, completions, **kw):\n"
        "    raise KeyError('no such column')\n"
        "def too_few(prompts, completions, **kw):\n"
        "    return [0.0]\n")
    return "user_rewards"


def config(tmp_path: Path, student: Path, **extra) -> dict:
    bare = tmp_path / "no-references.jsonl"  # prompts a reference-reading reward cannot score: counted
    bare.write_text('{"prompt": "Tell me about owls."}\n{"prompt": "Write a haiku about rain."}\n')
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join((ROOT / "data" / "replay_heldout.jsonl").read_text().splitlines(keepends=True)[:3]))
    return {"run_dir": str(tmp_path / "run"), "student": str(student), "teacher": "self", "rounds": 1,
            "prompts_per_round": 4, "chunk_size": 4, "approval_items": 2, "replay_heldout": str(heldout),
            "prompts": [str(YESNO), str(ARITHMETIC), str(bare)], "seed": 3, "eval_sets": [str(ROOT / "data" / "eval" / "yesno.jsonl")],
            "answer": {"max_new_tokens": 8}, "critique": {"max_new_tokens": 8}, "revision": {"max_new_tokens": 8},
            "eval": {"limit": 2, "max_new_tokens": 8}, "train": TINY_RL, **extra}


def sampled_accuracy(student, questions, k: int = 16, tokens: int = 8) -> float:
    from distill.core import SamplingConfig

    out = student.generate([q.prompt + SUFFIX.get(q.format, "") for q in questions for _ in range(k)],
                           SamplingConfig(max_new_tokens=tokens, temperature=1.0, seed=123))
    return sum(questions[i // k].check(o.text) for i, o in enumerate(out)) / len(out)


def test_grpo_raises_the_reward_on_its_own_prompts(tmp_path, default_folder):
    """The real student, 8 yes/no prompts (4 whose answer is yes, 4 no: a constant answer earns half),
    the reference reward: a handful of GRPO steps make the sampled answers right more often on those
    prompts."""
    from distill.curate.rows import rl_rows
    from distill.data.prompts import load_prompts
    from distill.model.resolve import load_model
    from distill.model.student import Student
    from distill.train.config import TrainConfig
    from distill.train.grpo import prompts_per_step
    from distill.train.lora import train_lora

    pool = load_prompts(YESNO)
    questions = [q for q in pool if q.gold][:4] + [q for q in pool if not q.gold][:4]
    model, tok = load_model(default_folder)  # our own copy: trained in place
    before = sampled_accuracy(Student("before", model=model, tokenizer=tok), questions)
    # fresh rollouts every optimizer step (steps_per_generation = gradient_accumulation_steps): 8 generation
    # batches, the most on-policy way; the default samples 4 steps' rollouts at once (the loop tests run it)
    cfg = TrainConfig(objective="grpo", reward="reference", grpo={
        "max_steps": 8, "learning_rate": 3e-4, "max_completion_length": 8, "steps_per_generation": 2})
    rows = rl_rows(questions, SUFFIX, prompts_per_step(cfg, len(questions)))
    assert len(rows) == 8  # four yes-no pairs: none left out
    result = train_lora(model, tok, {"grpo": rows}, tmp_path / "round", cfg, quiet=True)
    after = sampled_accuracy(Student("after", model=result.model, tokenizer=result.tokenizer), questions)
    steps = [e for e in result.log_history if "reward" in e and "train_runtime" not in e]
    print(f"\nsampled accuracy on the 8 training prompts: {before:.2f} -> {after:.2f}; "
          f"reward per step {[round(e['reward'], 2) for e in steps]}")
    assert len(steps) == 8 and all(0 <= e["reward"] <= 1 for e in steps)
    assert after >= before + 0.15
    assert (tmp_path / "round" / "model" / "config.json").is_file()  # merged like every objective


# every reward kind through a real loop round: the judge alone (it reads the teacher's verdicts), and the
# others together with weights (each computed and logged; the user's at weight 0: logged, not trained on)
@pytest.mark.parametrize("reward", ["judge", {"reference": 1.0, "verifier": 0.5, "user_rewards:short": 0.0}])
def test_every_reward_kind_runs_through_a_loop_round(tmp_path, tiny_folder, monkeypatch, reward):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    monkeypatch.syspath_prepend(str(tmp_path))
    rewards_module(tmp_path)
    # with the references, the prompt screen too (4 answers to each of twice the round's prompts, each checked,
    # sampled as the rollouts are: here 5 tokens where the run's answers take 8) and the default format baseline
    # and answer balance; with the judge, TRL's group baseline and the default: no screen
    train = ({**TINY_RL, "grpo": {**TINY_RL["grpo"], "max_completion_length": 5}, "screen_candidates": 2.0,
              "screen_samples": 4} if isinstance(reward, dict) else {**TINY_RL, "baseline": "group"})
    cfg = RunConfig.from_data(config(tmp_path, tiny_folder, train={**train, "reward": reward}))
    manifest = run(cfg)
    assert manifest.status == "finished"
    summary = manifest.rounds[0]
    assert summary.objective == "grpo" and summary.train_metrics["steps"] == 2
    assert 0 <= summary.train_metrics["answers_skipped"] <= 1 and summary.train_metrics["step_seconds"] > 0
    names = set(reward) if isinstance(reward, dict) else {reward}
    assert set(summary.train_metrics["rewards"]) == {n.replace(":", "_").replace(".", "_") for n in names}
    # GRPO trains on the round's prompts: the round collected answers only, no teacher request
    records = [json.loads(line) for line in (Path(cfg.run_dir) / "round-01" / "samples.jsonl").read_text().splitlines()]
    assert not any(r["critique"] or r["revision"] or r["kept"] for r in records)
    checked = [r for r in records if r["reference"] is not None]  # every answer with a reference checked
    assert checked and all(r["verdict"] == ("no_fault" if r["answer_passed"] else "fault") for r in checked)
    if isinstance(reward, dict):  # reference-reading rewards among others: prompts without a reference counted
        rollouts = [json.loads(line) for line in
                    (Path(cfg.run_dir) / "round-01" / "train" / "rollouts.jsonl").read_text().splitlines()]
        assert summary.train_metrics["unrewarded"] == len({r["prompt"] for r in rollouts if r["format"] is None})
        assert len(records) == 8 and all(len(r["candidates"]) == 4 for r in records)
        chosen = summary.train_metrics["screen"]
        assert chosen["candidates"] == 8 and chosen["chosen"] == 4 and chosen["checked"] == len(checked)
        assert all(len(r["candidates_passed"]) == 4 for r in checked)
        # sampled as the rollouts are: their length, and each prompt asked as the evaluation (and the rollouts) ask it
        from distill.data.questions import Question, as_asked
        from distill.eval.gold import EvalConfig
        from distill.model.student import Student

        encode = Student(str(tiny_folder)).encode
        asked = {q.prompt: as_asked(q.prompt, q.format, EvalConfig().prompt_suffix)
                 for q in map(Question.from_json, json.loads((Path(cfg.run_dir) / "round-01" / "prompts.json").read_text()))}
        assert any(asked[r["prompt"]] != r["prompt"] for r in records)
        for r in records:
            assert r["usage"]["answer"]["completion"] <= 4 * 5
            assert r["usage"]["answer"]["prompt"] == 4 * len(encode([{"role": "user", "content": asked[r["prompt"]]}]))
    else:  # no screen (the default): the round's prompts as drawn, one answer each
        assert len(records) == 4 and "screen" not in summary.train_metrics
        assert not any(r["candidates"] for r in records)
    assert all(r["drop_reason"] == "answers only: grpo trains on the round's prompts" for r in records)
    assert {r["verdict"] for r in records} <= {"unjudged", "fault", "no_fault"}
    log = json.loads((Path(cfg.run_dir) / "round-01" / "train" / "log_history.json").read_text())["log_history"]
    assert {e["objective"] for e in log} == {"grpo", "replay"}  # the replay share: an SFT step on original data
    assert (Path(cfg.run_dir) / "round-01" / "model" / "README.md").is_file()
    report = (Path(cfg.run_dir) / "report.md").read_text()
    assert "reward" in report and "grpo" in report


def test_a_broken_reward_function_stops_the_run_in_one_line(tmp_path, tiny_folder, monkeypatch):
    from distill.config import RunConfig
    from distill.loop.bootstrap import run

    rewards_module(tmp_path)
    # through the command line: one line naming the function, exit status 2, no traceback
    cfg = config(tmp_path, tiny_folder, run_dir=str(tmp_path / "run-raises"), train={**TINY_RL, "reward": "user_rewards:raises"})
    path = tmp_path / "raises.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = subprocess.run([sys.executable, "-m", "distill.ui.cli", "run", str(path), "--quiet"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600,
                         env={"PATH": "", "PYTHONPATH": f"{tmp_path}:{ROOT}", "HF_HUB_OFFLINE": "1",
                              "DISTILL_CACHE": str(ROOT / ".cache" / "models"), "OMP_NUM_THREADS": "1"})
    assert out.returncode == 2, out.stderr[-2000:]
    # the error is one line, the last (libraries' deprecation warnings may come before it); no traceback
    assert out.stderr.strip().splitlines()[-1] == \
        "distill run: error: reward 'user_rewards:raises' raised KeyError: 'no such column'"
    assert "Traceback" not in out.stderr, out.stderr
    # the wrong number of values, in process
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = config(tmp_path, tiny_folder, run_dir=str(tmp_path / "run-too-few"), train={**TINY_RL, "reward": "user_rewards:too_few"})
    with pytest.raises(SpecError, match=r"^reward 'user_rewards:too_few' returned 1 values for \d+ completions$"):
        run(RunConfig.from_data(cfg))


def test_reward_mistakes_are_one_line_errors_before_any_work(tmp_path, tiny_folder, monkeypatch):
    from distill.config import RunConfig
    from distill.loop.bootstrap import BootstrapLoop

    with pytest.raises(ConfigError, match=r"unknown reward 'gold': the known ones are reference, verifier, judge, "
                                          r"or module.path:function"):
        RunConfig.from_data({"train": {"objective": "grpo", "reward": "gold"}})
    with pytest.raises(ConfigError, match="the weight must be a number"):
        RunConfig.from_data({"train": {"objective": "grpo", "reward": {"reference": "high"}}})
    with pytest.raises(ConfigError, match="baseline: 'mean' is not one of format, group"):
        RunConfig.from_data({"train": {"objective": "grpo", "baseline": "mean"}})
    with pytest.raises(ConfigError, match=r"balance: 1.0 must be in \[0, 1\)"):
        RunConfig.from_data({"train": {"objective": "grpo", "balance": 1.0}})
    with pytest.raises(SpecError, match=r"reward 'no_such_module:f': cannot import module 'no_such_module'"):
        BootstrapLoop(RunConfig.from_data(config(tmp_path, tiny_folder, train={**TINY_RL, "reward": "no_such_module:f"})))
    # Prompts of which none has a reference: the reference reward would train on nothing.
    bare = tmp_path / "bare.jsonl"
    bare.write_text('{"prompt": "Tell me about owls."}\n{"prompt": "Write a haiku."}\n')
    with pytest.raises(ConfigError, match=r"train.reward: reference needs prompts with reference answers, and none of "
                                          r"the run's prompts has one.*\(prompts: .*bare.jsonl\)"):
        BootstrapLoop(RunConfig.from_data(config(tmp_path, tiny_folder, prompts=str(bare))))
    assert not (tmp_path / "run").exists()  # nothing was started


def test_what_the_grpo_trainer_leaves_out_changes_no_gradient(tmp_path, tiny_folder):
    """The toolkit's GRPOTrainer skips answers with zero advantage (and masked-out ones) and, on a
    CPU, scores completions through the plain LM head with eager attention: the loss and every adapter
    gradient are TRL's own (fused head, sdpa, every row) on the same micro-batch, and a micro-batch with
    nothing to teach costs no forward pass and moves nothing."""
    import types

    import torch
    from trl import GRPOTrainer

    from distill.curate.rows import rl_rows
    from distill.data.prompts import load_prompts
    from distill.model.resolve import load_model
    from distill.train.config import TrainConfig
    from distill.train.grpo import build_trainer, flat_rows_skippable

    model, tok = load_model(tiny_folder)
    cfg = TrainConfig(objective="grpo", grpo={"max_steps": 1, "num_generations": 2, "per_device_train_batch_size": 4,
                                              "gradient_accumulation_steps": 1, "max_completion_length": 5})
    trainer = build_trainer(model, tok, rl_rows(load_prompts(YESNO)[:4], SUFFIX, 2), tmp_path, cfg, quiet=True)
    assert flat_rows_skippable(trainer)
    trainer.current_gradient_accumulation_steps = 1  # set by train(); one micro-batch per step here
    policy = trainer.model
    with torch.no_grad():  # adapters away from their zero start, so every LoRA matrix has a gradient
        for n, p in policy.named_parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.1)
    g = torch.Generator().manual_seed(0)
    rows = 4
    inputs = {"prompt_ids": torch.randint(5, 1000, (rows, 6), generator=g),
              "prompt_mask": torch.tensor([[0, 0, 1, 1, 1, 1]] * 2 + [[1] * 6] * 2),
              "completion_ids": torch.randint(5, 1000, (rows, 5), generator=g),
              "completion_mask": torch.tensor([[1, 1, 1, 0, 0], [1] * 5, [1, 1, 0, 0, 0], [1, 1, 1, 1, 0]]),
              "advantages": torch.tensor([0.7, 0.0, -0.7, 0.0]),
              "num_items_in_batch": torch.tensor(14.0)}

    def loss_and_grads(compute) -> tuple[float, dict]:
        policy.zero_grad()
        loss = compute(policy, dict(inputs))
        loss.backward()
        return float(loss.detach()), {n: p.grad.clone() for n, p in policy.named_parameters() if p.requires_grad}

    ours = loss_and_grads(trainer.compute_loss)
    trainer._get_per_token_logps_and_entropies = types.MethodType(GRPOTrainer._get_per_token_logps_and_entropies,
                                                                  trainer)
    theirs = loss_and_grads(lambda m, x: GRPOTrainer.compute_loss(trainer, m, x))
    del trainer._get_per_token_logps_and_entropies
    assert abs(ours[0] - theirs[0]) < 1e-5 and ours[0] != 0.0
    for n, grad in theirs[1].items():
        assert torch.allclose(ours[1][n], grad, atol=1e-6, rtol=1e-4), n
    assert trainer._metrics["train"]["answers_skipped"][-1] == 0.5
    forwards = []
    hook = policy.register_forward_hook(lambda *a: forwards.append(1))
    inputs["advantages"] = torch.zeros(rows)
    flat = loss_and_grads(trainer.compute_loss)
    hook.remove()
    assert not forwards and flat[0] == 0.0 and all(not grad.any() for grad in flat[1].values())


def test_format_advantages_measure_an_answer_against_its_formats_answers():
    """Against the format's mean across prompts, a yes-no pair whose answers all say "yes" (right on one
    prompt, wrong on the other) gets + and - (over the format's spread, TRL's unbiased std), where each
    group's own mean gives 0; a format with one
    prompt keeps its group's baseline; an answer no reward scored gets 0; weights apply first."""
    import torch

    from distill.train.grpo import format_advantages

    nan = float("nan")
    rewards = torch.tensor([[1.0], [1.0], [0.0], [0.0], [1.0], [0.0], [nan], [0.0]])
    formats = ["yesno"] * 4 + ["gsm8k"] * 4
    adv = format_advantages(rewards, torch.tensor([1.0]), formats)
    yes = torch.tensor([1.0, 1.0, 0.0, 0.0])
    assert torch.allclose(adv[:4], (yes - 0.5) / yes.std(), atol=1e-3)
    gsm = torch.tensor([1.0, 0.0, 0.0]) - 1 / 3
    assert torch.allclose(adv[[4, 5, 7]], gsm / gsm.std(), atol=1e-3) and adv[6] == 0
    unscaled = format_advantages(torch.tensor([[1.0, nan], [0.0, 1.0]]), torch.tensor([2.0, 1.0]), [None, None],
                                 scale=False)
    assert torch.allclose(unscaled, torch.tensor([0.5, -0.5]))


@pytest.mark.parametrize("baseline", ["format", "group"])
def test_a_constant_answer_is_pulled_back_only_against_the_format(tmp_path, tiny_folder, monkeypatch, baseline):
    """Through TRL's own generate-and-score step (real rollouts, real rewards): a reward that pays what a
    policy saying "yes" to everything earns (1 on the "yes" prompt, 0 on the "no" prompt, every answer
    alike) gives each yes/no answer an advantage of + or - its format's spread against its format, and
    none against its group. Open formats keep their group's baseline either way: two short-answer
    prompts paid 1 and 0 for every answer (an easy and a hard prompt) teach nothing."""
    import torch

    from distill.curate.rows import rl_rows
    from distill.data.prompts import load_prompts
    from distill.model.resolve import load_model
    from distill.train.config import TrainConfig
    from distill.train.grpo import build_trainer

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "always_yes.py").write_text(
        "import json\n"
        "def paid(prompts, completions, question, **kw):\n"
        "    return [1.0 if json.loads(q).get('gold') or 'bone' in json.loads(q)['prompt'] else 0.0 for q in question]\n")
    pool = load_prompts(YESNO)
    facts = load_prompts(ROOT / "data" / "train" / "facts.jsonl")
    pair = [next(q for q in pool if q.gold), next(q for q in pool if not q.gold)]
    short = [next(q for q in facts if "bone" in q.prompt), next(q for q in facts if "Poland" in q.prompt)]
    cfg = TrainConfig(objective="grpo", reward="always_yes:paid", baseline=baseline,
                      grpo={"max_steps": 1, "num_generations": 4, "per_device_train_batch_size": 16,
                            "gradient_accumulation_steps": 1, "max_completion_length": 4})
    model, tok = load_model(tiny_folder)
    rows = rl_rows(pair + short, SUFFIX, 4)
    trainer = build_trainer(model, tok, rows, tmp_path, cfg, quiet=True)
    out = trainer._generate_and_score_completions([row for row in rows for _ in range(4)])
    questions = [json.loads(row["question"]) for row in rows for _ in range(4)]
    yesno = torch.tensor([q["format"] == "yesno" for q in questions])
    assert int(yesno.sum()) == 8
    paid = torch.tensor([1.0 if q.get("gold") else 0.0 for q in questions])[yesno]
    expected = (paid - 0.5) / paid.std() if baseline == "format" else torch.zeros(8)
    assert torch.allclose(out["advantages"][yesno], expected, atol=1e-3)
    assert torch.allclose(out["advantages"][~yesno], torch.zeros(8), atol=1e-3)


def test_the_answer_balance_pulls_a_drifting_yes_back_and_never_ranks_wrong_over_right():
    """On a yes-no pair's sixteen answers, fifteen saying "yes": the one "no" gains what the "yes"
    answers lose (the golds are half "no"); all alike, the term is the same for every answer (so the
    format baseline cancels it); a balanced mix gets nothing; unread answers and other formats get 0;
    at any weight below 1 a right answer's shaped reward stays above every wrong one's."""
    from itertools import product

    from distill.train.grpo import answer_balance

    formats, golds = ["yesno"] * 16, ["yes"] * 8 + ["no"] * 8
    terms = answer_balance(formats, ["yes"] * 15 + ["no"], golds, 0.5)
    assert terms[-1] > 0.2 and all(t < -0.2 for t in terms[:-1])
    assert len(set(answer_balance(formats, ["yes"] * 16, golds, 0.5))) == 1
    assert answer_balance(formats, ["yes", "no"] * 8, golds, 0.5) == [0.0] * 16
    assert answer_balance(formats + ["gsm8k"], [None] + ["no"] * 15 + ["4"], golds + [None], 0.5)[::16] == [0.0, 0.0]
    pair = ["yes", "yes", "no", "no"]
    for said in product(["yes", "no"], repeat=4):  # every mix of a pair's two answers each
        keys = list(said)
        shaped = [float(k == g) + t for k, g, t in zip(keys, pair, answer_balance(["yesno"] * 4, keys, pair, 0.9))]
        right = [v for v, k, g in zip(shaped, keys, pair) if k == g]
        wrong = [v for v, k, g in zip(shaped, keys, pair) if k != g]
        assert not right or not wrong or min(right) > max(wrong)
