"""The bootstrap loop: round after round, **collect** (answer, critique, revise, filter), **train**,
**evaluate**, **decide** — each a documented method of :class:`BootstrapLoop`.

Every step writes to the run folder before moving on, and every step first looks at what is
already there, so the same call on an existing run folder resumes it:

* ``round-NN/prompts.json``  the round's prompts (fixed once chosen)
* ``round-NN/samples.jsonl`` one record per prompt, appended chunk by chunk (:mod:`distill.loop.collect`)
* ``round-NN/pairs.jsonl``   the round's preference pairs, written once its records are complete
* ``round-NN/model/``        the merged model, written atomically; present means trained
* ``round-NN/eval.json``     the round's metrics, written atomically; present means evaluated
* ``manifest.json``          stage, rounds, status, the monitor's decision and the best round

What cuts across the loop — the display, trackers, model cards, Ctrl-C, kill points — are
:class:`~distill.callbacks.LoopCallback` objects called at fixed events; pass more as
``callbacks``.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from distill.callbacks import CallbackList, LoopCallback
from distill.config import RunConfig
from distill.core import Critique, Generator, Item, SamplingConfig, Teacher
from distill.curate.filters import SampleFilter
from distill.curate.pairs import pairs_from_samples, read_pairs, write_pairs
from distill.curate.targets import LeakCheck
from distill.data.dedupe import NearDuplicateIndex
from distill.data.evalsets import load_eval_set
from distill.data.principles import Stage, load_principles
from distill.data.prompts import load_prompts, sample_round
from distill.data.questions import Question
from distill.errors import ConfigError, DataError, DistillError, TeacherError
from distill.eval import cache
from distill.loop.collect import Collector
from distill.loop.display import Display, PlainDisplay, SafeDisplay
from distill.loop.interrupt import KillPoints, StopOnCtrlC
from distill.loop.monitor import Decision, Monitor
from distill.model.precision import choose as choose_precision
from distill.model.resolve import cache_root
from distill.model.serving import ServerPool
from distill.publish.model_card import ModelCards
from distill.publish.trackers import RoundLog
from distill.store.folder import RunFolder, read_json, write_json
from distill.store.records import Manifest, RoundSummary, Sample

if TYPE_CHECKING:
    from distill.model.student import Student
    from distill.train.objective import Judge


def load_teacher(spec: str, student: Generator, kwargs: dict) -> Teacher:
    """A teacher by spec, through the ``teachers`` package's loader (by name only: ``distill``
    never imports a concrete teacher class)."""
    from teachers import load_teacher as load

    return load(spec, student=student, **kwargs)


def rate_answers(teacher: Teacher, stage: Stage, questions: list[str], answers: list[str], k: int,
                 config: SamplingConfig) -> list[Critique | None]:
    """The judge's critique (its verdict, and its confidence where it gives one) of ``k`` held-out
    answers spread evenly (None elsewhere). The judge sees no reference here: approval is its own
    opinion, the number that can be gamed."""
    k = min(k, len(questions))
    picks = sorted({round(i * len(questions) / k) for i in range(k)}) if k else []
    items = [Item(questions[i], answers[i]) for i in picks]
    try:
        crits = teacher.critique(items, stage.principles[0], config)
    except TeacherError as e:
        crits = e.results
    out: list[Critique | None] = [None] * len(questions)
    for i, c in zip(picks, crits):
        out[i] = c
    return out


def judged_by(teacher: Teacher, student: Generator) -> bool:
    """Whether ``teacher``'s verdicts are the student's own reading: it works through the student and
    has no critic of its own (``critic:SPEC`` judges with a trained critic, revises with the student)."""
    return teacher.student is student and getattr(teacher, "critic", None) is None


def teacher_spec(teacher: Teacher) -> str:
    """The spec that names a teacher object's class (saved in the run's config)."""
    cls = type(teacher)
    return f"{cls.__module__}:{cls.__qualname__}"


class BootstrapLoop:
    """Runs (or resumes) one run described by a :class:`RunConfig`.

    ``teacher`` is a teacher object to use instead of building one from ``config.teacher``;
    it is used as given (a teacher built from a spec that takes ``student`` follows the
    student from round to round). ``callbacks`` are called at the loop's events after the
    display and the built-in ones (trackers, model cards, Ctrl-C, kill points)."""

    def __init__(self, config: RunConfig, display: Display | None = None, teacher: Teacher | None = None,
                 callbacks: Sequence[LoopCallback] = ()) -> None:
        self.folder = RunFolder(config.run_dir)
        self._raised_budget = False
        saved = self.folder.config_path
        if saved.exists():
            # Resuming: the run folder's own config wins, so a resumed run does what it started doing;
            # only a larger round budget is taken, to extend a run (see :meth:`_extend`).
            given, config = config, RunConfig.load(saved)
            if given.rounds is not None and config.rounds is not None and given.rounds > config.rounds:
                config = replace(config, rounds=given.rounds)
                self._raised_budget = True  # saved to the folder once the run's lock is held
        elif teacher is not None:
            config = replace(config, teacher=teacher_spec(teacher))
        self.config = config
        self.display = SafeDisplay(display or PlainDisplay())
        self.stages: list[Stage] = load_principles(config.principles)
        self.eval_sets = [load_eval_set(p) for p in config.eval_sets]
        self.guard_sets = [load_eval_set(p) for p in config.guard_sets]
        if config.eval.lm_eval is not None:
            from distill.eval.harness import check

            check(config.eval.lm_eval)  # an unknown task or a missing data file fails here, before any generation
        from distill.data.instructions import load_instructions  # datasets: only once the cheap checks passed

        self.heldout = list(load_instructions(config.replay_heldout)) if config.replay_heldout else []
        self.replay = load_instructions(config.replay) if config.replay else None
        self.pool = self._prompt_pool()
        config.train.validate()  # TRL checks the training settings now, not after a round of generation
        self._check_objective()
        self.monitor = Monitor(config.monitor, rounds=config.rounds, rounds_per_stage=config.max_rounds_per_stage)
        self._teacher = teacher
        self._fixed_teacher = teacher is not None
        self._teacher_student: Generator | None = None
        self.stop = StopOnCtrlC(self.display)
        self.precision: str = "fp32"  # the manifest's, once the run starts
        self.servers = ServerPool(config.student_server, self.folder.path)
        self.tracker = RoundLog(config.train.report_to, self.folder.path)
        self.tools: list[LoopCallback] = [KillPoints(), self.stop, self.tracker, ModelCards(self.folder, config),
                                          *callbacks]
        self.callbacks = CallbackList([self.display, *self.tools])
        self.collector = Collector(config, self.callbacks)
        # A round's results pass from collect to train to evaluate in memory; the disk is read to resume.
        self._prompts: dict[int, list[Question]] = {}
        self._records: dict[int, list[Sample]] = {}
        self._pairs: dict[int, list[dict]] = {}
        self._train_logs: dict[int, dict] = {}
        self._leak_check: tuple[tuple[str, ...], LeakCheck] | None = None

    # -- set-up -------------------------------------------------------------------------
    def _prompt_pool(self) -> list[Question]:
        """Training prompts, minus any that near-duplicate an eval question (no training on the test)."""
        index = NearDuplicateIndex(self.config.filters.near_duplicate_threshold)
        for es in self.eval_sets + self.guard_sets:
            for it in es.items:
                index.add(it.question)
        pool, dropped = [], 0
        for p in (q for source in self.config.prompt_files for q in load_prompts(source)):
            if index.is_duplicate(p.prompt)[0]:
                dropped += 1
            else:
                pool.append(p)
        if dropped:
            self.display.warn(f"{dropped} prompts near-duplicate an eval question and are not used for training")
        if not pool:
            raise DataError(f"{', '.join(self.config.prompt_files)}: no usable prompts")
        return pool

    def _check_objective(self) -> None:
        """Each objective's own check against the run's prompts, before any work (a reward that needs
        references, on prompts of which none has one, would train on nothing)."""
        for train in self.config.train.round_configs():
            check = train.objective_spec.check
            if check is None:
                continue
            try:
                check(train, self.pool, self.config.student)
            except DistillError:
                raise
            except ValueError as e:
                raise ConfigError(f"train.{e} (prompts: {', '.join(self.config.prompt_files)})") from None

    def teacher(self, student: Generator) -> Teacher:
        """The teacher for this student. One that works through the student (the self teacher, or a
        custom one that asked for it) is rebuilt when the student changes; others are kept."""
        current = self._teacher
        if self._fixed_teacher:
            return current
        follows_student = current is not None and current.student is self._teacher_student
        if current is None or (follows_student and self._teacher_student is not student):
            self._teacher = load_teacher(self.config.teacher, student, self.config.teacher_kwargs)
        self._teacher_student = student
        return self._teacher

    # -- the run ------------------------------------------------------------------------
    def run(self) -> Manifest:
        """Run the rounds until the monitor stops the run (or resume them), write the report, and
        push the recommended round when asked; returns the final manifest."""
        cfg, folder = self.config, self.folder
        with folder.lock() as took_over, self.stop:
            if took_over:
                self.display.info(took_over)
            if not folder.config_path.exists():
                cfg.save(folder.config_path)
            manifest = self._manifest()
            self.callbacks.start(str(folder.path), cfg.to_dict())
            if manifest.precision is None:  # chosen once; a resumed run keeps it, so rounds compare fairly
                choice = choose_precision(cfg.precision)
                manifest.precision, manifest.precision_reason = choice.name, choice.reason
            self.display.info(f"precision {manifest.precision}: {manifest.precision_reason}")
            self._extend(manifest)
            if manifest.finished:
                self.display.info(f"run already {manifest.status}: {manifest.reason}")
                self.callbacks.finish(manifest)
            else:
                try:
                    self._rounds(manifest)
                finally:
                    self.tracker.close()
                    self.servers.close()
                self._finish(manifest)
            self._push(manifest)
        return manifest

    def _extend(self, manifest: Manifest) -> None:
        """A run that stopped on its round budget, given a larger one: the monitor decides again after
        its last round under the new budget (go on, move to the next stage, or stop for another reason)."""
        rounds = self.config.rounds
        if self._raised_budget:
            self.config.save(self.folder.config_path)
        if (manifest.status != "finished" or (manifest.decision or {}).get("kind") != "budget" or rounds is None
                or len(manifest.rounds) >= rounds):
            return
        share, raised = manifest.replay_share, (manifest.decision or {}).get("replay_share")
        manifest.status = "running"
        self.decide(manifest)
        if raised is not None:  # the forgetting rule raised it after that round already
            manifest.replay_share = share
        self.folder.save_manifest(manifest)
        if not manifest.finished:
            self.display.info(f"round budget raised to {rounds}: going on after round {len(manifest.rounds)}")

    def _rounds(self, manifest: Manifest) -> None:
        from distill.model.student import Student

        cfg, folder = self.config, self.folder
        # A resumed run goes on from its latest round's model (loading the base one too was wasted).
        self.precision = manifest.precision
        student = Student(manifest.rounds[-1].model if manifest.rounds else cfg.student, precision=self.precision)
        served = self.servers.wrap(student, len(manifest.rounds))  # generation through a server, if configured
        self.teacher(served)  # a bad teacher spec fails here, before any work
        if not manifest.history:
            manifest.history.append(self.evaluate(0, student, served, self.stages[0]))
            folder.save_manifest(manifest)
            self.callbacks.round_recorded(0, manifest)
        while manifest.status == "running":
            self.callbacks.safe_point()
            n = len(manifest.rounds) + 1
            stage = self.stages[manifest.stage_index]
            self.callbacks.round_start(n, stage.name)
            prompts = self._round_prompts(n)  # the round's data, read once: passed between its phases
            summary = self.collect(n, stage, served, prompts)
            student, note = self.train(n, student, manifest.replay_share, stage, prompts)
            served = self.servers.wrap(student, n)
            metrics = self.evaluate(n, student, served, stage)
            summary = replace(summary, model=student.spec, train_note=note, **self._training(n, prompts))
            objective = self.config.train.for_round(n).objective_spec
            line = objective.line(summary.train_metrics) if objective.line else None
            if line:
                self.display.info(f"round {n}: {line}")
            manifest.rounds.append(summary)
            manifest.history.append(metrics)
            manifest.rounds_in_stage += 1
            self.decide(manifest)
            folder.save_manifest(manifest)
            self.callbacks.round_recorded(n, manifest)
            self.callbacks.round_end({k: manifest.table()[-1].get(k) for k in ROW})

    # -- collect ------------------------------------------------------------------------
    def _instructions(self, teacher: Teacher) -> list[str]:
        """The words the teacher is given around a request, under every principle of the run (a user's
        principles included), and those the objective shows the model in training (the context
        teacher's template): no answer should carry them (:mod:`distill.curate.targets`)."""
        told = [text for stage in self.stages for p in stage.principles for text in teacher.instructions(p)]
        return told + [text for spec in self.config.train.scheduled_specs for text in spec.instructions]

    def _leaks(self, teacher: Teacher) -> LeakCheck:
        """The leak check for what ``teacher`` is given, built once per set of instructions."""
        words = tuple(self._instructions(teacher))
        if self._leak_check is None or self._leak_check[0] != words:
            self._leak_check = (words, LeakCheck(words, self.config.filters.leak_min_words))
        return self._leak_check[1]

    def _samples(self, n: int) -> list[Sample]:
        """Round ``n``'s records: in memory once collected (or read, once, on resuming)."""
        if n not in self._records:
            self._records[n] = self.folder.samples(n)
        return self._records[n]

    def _round_prompts(self, n: int) -> list[Question]:
        """Round ``n``'s prompts, chosen once and saved (``prompts.json``), then kept in memory."""
        if n in self._prompts:
            return self._prompts[n]
        path = self.folder.round_dir(n) / "prompts.json"
        saved = read_json(path)
        if saved is None:
            used = {s.prompt for k in range(1, n) for s in self._samples(k)}
            count = self.config.prompts_per_round
            train = self.config.train.for_round(n)
            if "prompts" in train.needs:  # candidates, screened (distill.curate.screen)
                count = round(count * train.objective_spec.draw_of(train).candidates)
            items = sample_round(self.pool, count, n, self.config.seed, used, self.config.fresh_prompts_each_round)
            saved = [q.to_json() for q in items]
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json(path, saved)
        self._prompts[n] = [Question.from_json(p) for p in saved]
        return self._prompts[n]

    def collect(self, n: int, stage: Stage, student: Generator, prompts: list[Question]) -> RoundSummary:
        """Round ``n``'s records: the student answers the round's ``prompts``, the teacher critiques and
        revises, the filters keep or drop each sample (:class:`~distill.loop.collect.Collector`);
        then its preference pairs. Returns the round's counts."""
        done = self.folder.samples(n)  # a resumed round's finished records
        # The near-duplicate pool: prompts kept in earlier rounds, then this round's kept records in order.
        earlier = [s.prompt for k in range(1, n) for s in self._samples(k) if s.kept]
        teacher = self.teacher(student)
        filt = SampleFilter(self.config.filters, earlier + [s.prompt for s in done if s.kept], self._leaks(teacher))
        done = self.collector.collect(n, stage, prompts, self.folder.samples_path(n), done, filt, student, teacher)
        self._records[n] = done
        if self.folder.pairs_path(n).exists():  # written once, when the round's records were complete
            self._pairs[n] = read_pairs(self.folder.pairs_path(n))
        else:
            self._pairs[n] = pairs_from_samples(done)
            write_pairs(self.folder.pairs_path(n), self._pairs[n])
        return RoundSummary.of(n, stage.name, done, grounded=teacher.grounded, pairs=len(self._pairs[n]))

    # -- train --------------------------------------------------------------------------
    def train(self, n: int, student: "Student", replay_share: float, stage: Stage,
              prompts: list[Question]) -> tuple["Student", str | None]:
        """Train on what ``train.objective`` trains on (the round's kept records, its pairs, its prompts)
        (:mod:`distill.train`); the merged model is the new student. Returns it with a note when
        training was skipped or cut short (no pairs)."""
        from distill.model.student import Student
        from distill.store.atomic import is_complete
        from distill.train.objective import RoundInputs, round_data

        out = self.folder.round_dir(n)
        if is_complete(out / "model"):
            return Student(out / "model", precision=self.precision), self._train_note(n)
        records = self._samples(n)
        teacher = self._teacher
        data = round_data(RoundInputs(
            kept=[s for s in records if s.kept], records=records, prompts=prompts,
            pairs=self._pairs[n] if n in self._pairs else read_pairs(self.folder.pairs_path(n)),
            replay=self.replay, replay_share=replay_share, seed=self.config.seed + n,
            config=self.config.train.for_round(n), suffix=self.config.eval.prompt_suffix, teacher=teacher,
            principle=stage.principles[0], leaks=self._leaks(teacher), workdir=out / "train"))
        if data.metrics:
            (out / "train").mkdir(parents=True, exist_ok=True)
            write_json(out / "train" / "rows.json", data.metrics)
        for message in data.warnings:
            self.display.warn(f"round {n}: {message}")
        for message in data.info:
            self.display.info(f"round {n}: {message}")
        if data.config is None:
            self.display.warn(f"round {n}: {data.note}; the student is not trained this round")
            return student, data.note
        if data.note:
            self.display.warn(f"round {n}: {data.note}")
        self.servers.close()  # the student's server would hold the accelerator's memory while training
        student.release()  # the bf16 copy, if any: training changes the weights and needs the memory
        self.callbacks.phase_start("train", data.examples, "examples")
        if data.config.launcher:
            from distill.train.worker import launch

            self.display.info(f"round {n}: training under {data.config.launcher} (log: {out / 'train' / 'worker.log'})")
            launch(n, data, student.spec, out, self.precision)
            self.callbacks.phase_end("train")
            return Student(out / "model", precision=self.precision), data.note
        from distill.train.lora import train_lora

        trainer_callbacks = self.callbacks.trainer_callbacks()
        # Trained in place: the student's own weights become the merged model, so a round
        # holds one copy of the model rather than three (student, trainee, reloaded result).
        # Quiet: the display draws training progress (a quiet display draws none); TRL's bars would clash.
        result = train_lora(student.model, student.tokenizer, data.rows, out, data.config, callbacks=trainer_callbacks,
                            quiet=True, precision=self.precision, judge=self._judge(n, student, stage))
        self._train_logs[n] = {"config": {"objective": data.config.objective}, "log_history": result.log_history}
        if data.note:
            write_json(out / "train" / "note.json", {"note": data.note})
        self.callbacks.phase_end("train")
        return Student(out / "model", model=result.model, tokenizer=result.tokenizer, precision=self.precision), data.note

    def _train_note(self, n: int) -> str | None:
        return (read_json(self.folder.round_dir(n) / "train" / "note.json", {}) or {}).get("note")

    def _judge(self, n: int, student: Generator, stage: Stage) -> "Judge | None":
        """The run's teacher as a judge, for a round whose objective needs one."""
        from distill.train.objective import Judge

        if "judge" not in self.config.train.for_round(n).needs:
            return None
        return Judge(self.teacher(student), stage.principles[0], self.config.critique)

    def _training(self, n: int, prompts: list[Question]) -> dict:
        """What round ``n``'s training says: the last loss its log holds, what the objective reads from
        its log (``metrics``: an RL round's rewards, their spread, truncation, KL) and from its training
        folder (``summary``), how its rows were chosen (:attr:`RoundData.metrics`), and the objective
        trained."""
        train_dir = self.folder.round_dir(n) / "train"
        log = self._train_logs.pop(n, None) or read_json(train_dir / "log_history.json", {}) or {}
        entries = log.get("log_history", [])
        losses = [e["loss"] for e in entries if "loss" in e]
        # the objective trained, which the round's data may have changed (no preference pairs: that step skipped)
        train = self.config.train.for_round(n)
        used = (log.get("config") or {}).get("objective", train.objective)
        objective = train.objective_spec
        metrics = objective.metrics(entries) if objective.metrics is not None else {}
        if objective.summary is not None and log:
            metrics.update(objective.summary(train_dir, train, prompts))
        metrics.update(read_json(train_dir / "rows.json", {}) or {})  # how the rows were chosen (RoundData.metrics)
        return {"train_loss": losses[-1] if losses else None, "train_metrics": metrics, "objective": used}

    # -- evaluate -----------------------------------------------------------------------
    def evaluate(self, n: int, student: "Student", generator: Generator, stage: Stage) -> dict:
        """Round ``n``'s metrics (:func:`distill.eval.metrics.round_metrics`): gold accuracy on the
        eval sets (answers from ``generator``: the student, or its server), the judge's approval of
        held-out answers, and the in-process ``student``'s loss on held-out original data."""
        from distill.eval.gold import evaluate
        from distill.eval.heldout import answer_loss
        from distill.eval.metrics import round_metrics

        path = self.folder.eval_path(n)
        saved = read_json(path)
        if saved is not None:
            return saved["metrics"]
        path.parent.mkdir(parents=True, exist_ok=True)
        limit = self.config.eval.items_per_set

        def progress(done: int, tokens: int) -> None:
            self.callbacks.phase_advance("evaluate", done, tokens)
            self.callbacks.safe_point()

        # Round 0 depends on nothing of this run but the model, the eval and held-out files and the
        # settings: scored once, reused by any run that matches (the judge's approval is the run's own).
        key = self._round0_key(student) if n == 0 else None
        cached = cache.load(cache_root(), key) if key else None
        if cached is not None:
            self.display.info("round 0: gold evaluation and held-out loss reused from an earlier run with the same model, "
                              "eval files and settings")
            result, guard, harness, loss = cached["eval"], cached["guard"], cached["lm_eval"], cached["heldout_loss"]
        else:
            sets = self.eval_sets + self.guard_sets
            self.callbacks.phase_start("evaluate", sum(min(len(s.items), limit or len(s.items)) for s in sets))
            result = evaluate(generator, self.eval_sets, self.config.eval, progress=progress)
            guard = evaluate(generator, self.guard_sets, self.config.eval, progress=progress)
            harness = self._harness(student)
            loss = answer_loss(student.model, student.tokenizer, self.heldout) if self.heldout else None
            if key:
                cache.save(cache_root(), key, {"eval": result, "guard": guard, "lm_eval": harness, "heldout_loss": loss})
        teacher = self.teacher(generator)
        leaks = self._leaks(teacher)
        # a judge that is not the student (another model, an API, a trained critic): the student is measured
        # as judge too (would self-critique be trustworthy?)
        own = None if judged_by(teacher, generator) else load_teacher("self", generator, {})
        metrics = round_metrics(
            n, result, approve=lambda qs, ans: self._approve(teacher, stage, qs, ans),
            approve_student=None if own is None else (lambda qs, ans: self._approve(own, stage, qs, ans)),
            heldout_loss=loss,
            leaked=lambda question, answer: leaks.find(answer, question) is not None, guard=guard, lm_eval=harness,
        )
        for key, who in (("judge", teacher), ("student_judge", own)):
            if metrics.get(key) is not None:
                metrics[key]["source"] = who.name  # which critic: the self teacher, a trained critic, an API...
        if cached is None:
            self.callbacks.phase_end("evaluate")
        write_json(path, {"metrics": metrics, "eval": result, "guard": guard})
        return metrics

    def _harness(self, student: "Student") -> dict | None:
        """The lm-evaluation-harness tasks' scores for the in-process model, when ``eval.lm_eval`` asks."""
        lm = self.config.eval.lm_eval
        if lm is None:
            return None
        from distill.eval.harness import evaluate_tasks

        self.display.info(f"lm-eval: {', '.join(lm.tasks)}")
        return evaluate_tasks(student.model, student.tokenizer, lm)

    def _round0_key(self, student: "Student") -> str:
        from distill.model.resolve import resolve_folder

        cfg = self.config
        lm = cfg.eval.lm_eval
        task_files = sorted(str(p) for folder in (lm.include_paths if lm else []) for p in Path(folder).rglob("*")
                            if p.is_file())
        return cache.round0_key(resolve_folder(student.spec),
                                [es.path for es in self.eval_sets + self.guard_sets] + task_files, cfg.replay_heldout,
                                cfg.eval, self.precision, cfg.student_server is not None)

    def _approve(self, teacher: Teacher, stage: Stage, questions: list[str], answers: list[str]) -> list[Critique | None]:
        """The judge's verdict on held-out answers (:func:`rate_answers`)."""
        return rate_answers(teacher, stage, questions, answers, self.config.approval_items, self.config.critique)

    # -- decide -------------------------------------------------------------------------
    def decide(self, manifest: Manifest) -> Decision:
        """Ask the monitor (its rules and the round budget) what to do after the latest round, and
        record the answer in ``manifest``: stage, status, replay share, decision, best round."""
        last = manifest.rounds[-1]
        last_stage = manifest.stage_index + 1 == len(self.stages)
        decision = self.monitor.decide(
            manifest.history, fault_rate=last.fault_rate, rounds_in_stage=manifest.rounds_in_stage,
            last_stage=last_stage, replay_share=manifest.replay_share, stage=last.stage,
            training=[r.train_metrics for r in manifest.rounds], opinions=last.opinion_share,
            objectives=[r.objective or self.config.train.for_round(r.round).objective for r in manifest.rounds],
        )
        if decision.replay_share is not None:
            manifest.replay_share = decision.replay_share
        if decision.action == "next_stage":
            manifest.stage_index += 1
            manifest.rounds_in_stage = 0
            self.display.info(f"next stage {self.stages[manifest.stage_index].name!r}: {decision.reason}")
        elif decision.action == "stop":
            manifest.status = {"converged": "converged", "budget": "finished"}.get(decision.kind, "stopped")
        manifest.decision = decision.to_dict()
        manifest.best_round = decision.best_round
        if decision.kind in ("divergence", "forgetting"):
            self.display.warn(decision.reason)
        return decision

    # -- the end ------------------------------------------------------------------------
    def _manifest(self) -> Manifest:
        """The saved manifest; one that cannot be read (a disk that failed mid-replace, an edit) is
        moved aside and rebuilt: every round's records, model and metrics are on disk, so replaying
        the run from them gives the same manifest without redoing any work."""
        try:
            saved = self.folder.manifest()
        except DataError as e:
            aside = self.folder.manifest_path.with_name(f"manifest.json.unreadable-{int(time.time())}")
            shutil.move(self.folder.manifest_path, aside)
            self.display.warn(f"{e}; moved it to {aside.name} and rebuilding it from the round folders")
            saved = None
        return saved or Manifest(replay_share=self.config.replay_share)

    def _finish(self, manifest: Manifest) -> None:
        from distill.publish.report import write_report

        samples = {n: self._samples(n) for n in range(1, len(manifest.rounds) + 1)}
        path = write_report(self.folder.path, manifest.history, manifest.decision, samples, rounds=manifest.rounds)
        manifest.report = str(path)
        self.folder.save_manifest(manifest)
        self.callbacks.finish(manifest)

    def _push(self, manifest: Manifest) -> None:
        """With ``push_to_hub``, the recommended round to the Hub, once (a finished run run again
        retries a push that failed). A failed push raises after everything else is saved."""
        from distill.publish.hub import push_round

        cfg = self.config
        if not cfg.push_to_hub:
            return
        if manifest.best_round == 0:
            self.display.info("push_to_hub: the run recommends round 0, the untouched student; nothing pushed")
            return
        done = manifest.pushed or {}
        if (done.get("round"), done.get("repo_id")) == (manifest.best_round, cfg.hub_model_id):
            return
        pushed = push_round(self.folder, manifest, cfg.hub_model_id, private=cfg.hub_private_repo)
        self.display.info(f"pushed round {pushed.round} to {pushed.repo_id}: {pushed.commit_url}")


# The columns of a round's line (the display's round_end): its metrics and its summary's shown keys.
ROW = ("round", "stage", "fault_rate", "kept", "train_loss", "gold_accuracy", "approval_rate", "heldout_loss")


def run(config: RunConfig, display: Display | None = None, teacher: Teacher | None = None,
        callbacks: Sequence[LoopCallback] = ()) -> Manifest:
    """Run or resume the run described by ``config``; returns the final :class:`Manifest`.

    ``teacher`` is an optional teacher object used instead of ``config.teacher``; ``callbacks``
    are :class:`~distill.callbacks.LoopCallback` objects called at the loop's events."""
    return BootstrapLoop(config, display, teacher, callbacks).run()
