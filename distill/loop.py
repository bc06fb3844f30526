"""The bootstrap loop: answer, critique, revise, filter, train, evaluate, decide — round after round.

Every step writes to the run folder before moving on, and every step first looks at what is
already there, so the same call on an existing run folder resumes it:

* ``round-NN/prompts.json``  the round's prompts (fixed once chosen)
* ``round-NN/samples.jsonl`` one record per prompt, appended chunk by chunk; on resume the
  prompts that already have a record are skipped, so nothing is redone or duplicated
* ``round-NN/model/``        the merged model, written atomically; present means trained
* ``round-NN/eval.json``     the round's metrics, written atomically; present means evaluated
* ``manifest.json``          stage, rounds, status, the monitor's decision and the best round

When the teacher checks answers (``grounded:<spec>``, ``arithmetic``) and a prompt carries a
reference, the answer is checked against it by the evaluation's own rules before any critique,
a revision is kept only if it passes the same check, and a verified answer may itself be
trained on (``filters.keep_verified``), as STaR and ReST-EM do.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from distill import killpoints
from distill.config import RunConfig
from distill.dedupe import NearDuplicateIndex
from distill.display import Display, PlainDisplay, SafeDisplay
from distill.evaluate import load_eval_set
from distill.filters import PairFilter
from distill.interface import Completion, Critique, DistillError, Item, Principle, TeacherError
from distill.interrupt import StopOnCtrlC
from distill.monitor import Monitor
from distill.pairs import pairs_from_samples, read_pairs, write_pairs
from distill.precision import choose as choose_precision
from distill.principles import Stage, load_principles
from distill.prompts import PromptDataError, load_prompts, sample_round
from distill.questions import Question
from distill.records import Manifest, Sample
from distill.round_data import round_data
from distill.serving import ServerPool
from distill.trackers import RoundLog
from distill.runfolder import RunFolder, RunFolderError, append_records, read_json, write_json

if TYPE_CHECKING:
    from distill.student import Student


class TeacherFailed(DistillError):
    """Some teacher requests failed after their retries; the finished records are saved."""

    exit_status = 1


def load_teacher(spec: str, student: "Student", kwargs: dict[str, Any]):
    """A teacher by spec, through the ``teachers`` package (imported here, by name only:
    ``distill`` never imports a concrete teacher class)."""
    from teachers import load_teacher as load

    return load(spec, student=student, **kwargs)


def teacher_spec(teacher: Any) -> str:
    """The spec that names a teacher object's class (saved in the run's config)."""
    cls = type(teacher)
    return f"{cls.__module__}:{cls.__qualname__}"


class BootstrapLoop:
    """Runs (or resumes) one run described by a :class:`RunConfig`.

    ``teacher`` is a teacher object to use instead of building one from ``config.teacher``;
    it is used as given (a teacher built from a spec that takes ``student`` follows the
    student from round to round)."""

    def __init__(self, config: RunConfig, display: Display | None = None, teacher: Any = None) -> None:
        self.folder = RunFolder(config.run_dir)
        saved = self.folder.config_path
        if saved.exists():
            # Resuming: the run folder's own config wins, so a resumed run does what it started doing.
            config = RunConfig.load(saved)
        elif teacher is not None:
            config = replace(config, teacher=teacher_spec(teacher))
        self.config = config
        self.display = SafeDisplay(display or PlainDisplay())
        self.stages: list[Stage] = load_principles(config.principles)
        self.eval_sets = [load_eval_set(p) for p in config.eval_sets]
        from distill.data import load_instructions  # datasets: only once the cheap checks passed

        self.heldout = list(load_instructions(config.replay_heldout)) if config.replay_heldout else []
        self.replay = load_instructions(config.replay) if config.replay else None
        self.pool = self._prompt_pool()
        config.train.validate()  # TRL checks the training settings now, not after a round of generation
        self.monitor = Monitor(config.monitor)
        self._teacher = teacher
        self._fixed_teacher = teacher is not None
        self._teacher_student: Student | None = None
        self.stop = StopOnCtrlC(self.display)
        self.precision: str = "fp32"  # the manifest's, once the run starts
        self.tracker = RoundLog(config.train.report_to, self.folder.path)
        self.servers = ServerPool(config.student_server, self.folder.path)

    # -- set-up -------------------------------------------------------------------------
    def _prompt_pool(self) -> list[Question]:
        """Training prompts, minus any that near-duplicate an eval question (no training on the test)."""
        index = NearDuplicateIndex(self.config.filters.near_duplicate_threshold)
        for es in self.eval_sets:
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
            raise PromptDataError(f"{', '.join(self.config.prompt_files)}: no usable prompts")
        return pool

    def teacher(self, student: "Student"):
        """The teacher for this student. One that works through the student (the self teacher, or a
        custom one that asked for it) is rebuilt when the student changes; others are kept."""
        current = self._teacher
        if self._fixed_teacher:
            return current
        follows_student = current is not None and getattr(current, "student", None) is self._teacher_student
        if current is None or (follows_student and self._teacher_student is not student):
            self._teacher = load_teacher(self.config.teacher, student, self.config.teacher_kwargs)
        self._teacher_student = student
        return self._teacher

    # -- the run ------------------------------------------------------------------------
    def run(self) -> Manifest:
        cfg, folder = self.config, self.folder
        with folder.lock() as took_over, self.stop:
            if took_over:
                self.display.info(took_over)
            if not folder.config_path.exists():
                cfg.save(folder.config_path)
            manifest = self._manifest()
            self.display.start(str(folder.path), cfg.to_dict())
            if manifest.precision is None:  # chosen once; a resumed run keeps it, so rounds compare fairly
                choice = choose_precision(cfg.precision)
                manifest.precision, manifest.precision_reason = choice.name, choice.reason
            self.display.info(f"precision {manifest.precision}: {manifest.precision_reason}")
            if manifest.finished:
                self.display.info(f"run already {manifest.status}: {manifest.reason}")
                self.display.finish(manifest)
            else:
                try:
                    self._rounds(manifest)
                finally:
                    self.tracker.close()
                    self.servers.close()
                self._finish(manifest)
            self._push(manifest)
        return manifest

    def _push(self, manifest: Manifest) -> None:
        """With ``push_to_hub``, the recommended round to the Hub, once (a finished run run again
        retries a push that failed). A failed push raises after everything else is saved."""
        from distill.hub import push_round

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

    def _manifest(self) -> Manifest:
        """The saved manifest; one that cannot be read (a disk that failed mid-replace, an edit) is
        moved aside and rebuilt: every round's records, model and metrics are on disk, so replaying
        the run from them gives the same manifest without redoing any work."""
        try:
            saved = self.folder.manifest()
        except RunFolderError as e:
            aside = self.folder.manifest_path.with_name(f"manifest.json.unreadable-{int(time.time())}")
            shutil.move(self.folder.manifest_path, aside)
            self.display.warn(f"{e}; moved it to {aside.name} and rebuilding it from the round folders")
            saved = None
        return saved or Manifest(replay_share=self.config.replay_share)

    def _rounds(self, manifest: Manifest) -> None:
        from distill.student import Student

        cfg, folder = self.config, self.folder
        # A resumed run goes on from its latest round's model (loading the base one too was wasted).
        self.precision = manifest.precision
        student = Student(manifest.rounds[-1]["model"] if manifest.rounds else cfg.student, precision=self.precision)
        served = self.servers.wrap(student, len(manifest.rounds))  # generation through a server, if configured
        self.teacher(served)  # a bad teacher spec fails here, before any work
        if not manifest.history:
            manifest.history.append(self._evaluate(0, served, self.stages[0]))
            folder.save_manifest(manifest)
            self.tracker.log(0, manifest.history[0], None, None)
        while manifest.status == "running":
            self.stop.check()
            n = len(manifest.rounds) + 1
            stage = self.stages[manifest.stage_index]
            self.display.round_start(n, stage.name)
            summary = self._collect(n, stage, served)
            student, note = self._train(n, student, manifest.replay_share)
            served = self.servers.wrap(student, n)
            metrics = self._evaluate(n, served, stage)
            summary.update(model=student.spec, train_loss=self._train_loss(n), objective=self.config.train.objective,
                           train_note=note)
            manifest.rounds.append(summary)
            manifest.history.append({**metrics, **{k: summary[k] for k in ("fault_rate", "kept", "train_loss", "stage")}})
            manifest.rounds_in_stage += 1
            self._decide(manifest)
            folder.save_manifest(manifest)
            self._publish(n, manifest)
            self.display.round_end(_row(manifest.history[-1]))

    def _publish(self, n: int, manifest: Manifest) -> None:
        """The round's model card (when it trained a model) and its metrics to the trackers."""
        from distill.atomic import is_complete
        from distill.model_card import write_model_card

        model = self.folder.round_dir(n) / "model"
        if is_complete(model):
            write_model_card(model, run_dir=self.folder.path, round_number=n, config=self.config.to_dict(),
                             summary=manifest.rounds[-1], history=manifest.history, decision=manifest.decision,
                             best_round=manifest.best_round)
        self.tracker.log(n, manifest.history[-1], manifest.rounds[-1], manifest.decision)

    def _advance(self, phase: str, done: int, tokens: int = 0) -> None:
        """Progress to the display, and a safe point to stop at."""
        self.display.phase_advance(phase, done, tokens)
        killpoints.point(phase)
        self.stop.check()

    # -- one round: records -------------------------------------------------------------
    def _round_prompts(self, n: int) -> list[Question]:
        path = self.folder.round_dir(n) / "prompts.json"
        saved = read_json(path)
        if saved is None:
            used = {s.prompt for k in range(1, n) for s in self.folder.samples(k)}
            items = sample_round(self.pool, self.config.prompts_per_round, n, self.config.seed, used,
                                 self.config.fresh_prompts_each_round)
            saved = [q.to_json() for q in items]
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json(path, saved)
        return [Question.from_json(p) for p in saved]

    def _collect(self, n: int, stage: Stage, student: "Student") -> dict:
        """Answer, critique, revise and filter the round's prompts, appending records chunk by chunk."""
        cfg = self.config
        prompts = self._round_prompts(n)
        path = self.folder.samples_path(n)
        done = self.folder.samples(n)
        # The near-duplicate pool: prompts kept in earlier rounds, then this round's kept records in order.
        earlier = [s.prompt for k in range(1, n) for s in self.folder.samples(k) if s.kept]
        filt = PairFilter(cfg.filters, earlier + [s.prompt for s in done if s.kept])
        finished = {s.index for s in done}
        todo = [i for i in range(len(prompts)) if i not in finished]
        teacher = self.teacher(student)
        if todo:
            k = cfg.answer.num_samples
            for phase, per in (("answer", k), ("critique", 1), ("revise", 1)):
                self.display.phase_start(phase, len(prompts) * per)
                self.display.phase_advance(phase, (len(prompts) - len(todo)) * per)
            chunks: dict[int, list[int]] = {}
            for i in todo:  # chunks are fixed index ranges, so a resumed run batches the same way
                chunks.setdefault(i // cfg.chunk_size, []).append(i)
            failed: list[Sample] = []
            for c, idx in chunks.items():
                principle = stage.principles[(c + n) % len(stage.principles)]
                records = self._chunk(n, stage, principle, [prompts[i] for i in idx], idx, student, teacher)
                # A record whose teacher request failed after its retries is not finished work: it is
                # not written, so the next run of the same command asks again.
                failed += [r for r in records if r.error]
                records = [filt.apply(r) for r in records if not r.error]
                append_records(path, [r.to_json() for r in records])
                done.extend(records)
                if records:
                    self.display.sample(records[-1])
                self.stop.check()
            for phase in ("answer", "critique", "revise"):
                self.display.phase_end(phase)
            if failed:
                raise TeacherFailed(
                    f"round {n}: the teacher failed on {len(failed)} of {len(todo)} prompts after its retries "
                    f"(first: {failed[0].error}). The {len(todo) - len(failed)} finished records are saved in "
                    f"{path}; run the same command again to retry the rest."
                )
        if not self.folder.pairs_path(n).exists():  # written once, when the round's records are complete
            write_pairs(self.folder.pairs_path(n), pairs_from_samples(done))
        summary = _summary(n, stage.name, done, grounded=bool(getattr(teacher, "grounded", False)))
        summary["pairs"] = len(read_pairs(self.folder.pairs_path(n)))
        return summary

    def _answers(self, student: "Student", items: list[Question]) -> list[list[Completion]]:
        """``answer.num_samples`` answers per prompt (one batch for all of them)."""
        cfg = self.config.answer
        k = cfg.num_samples
        flat = student.generate([q.prompt for q in items for _ in range(k)], cfg,
                                progress=lambda done, tokens: self._advance("answer", done, tokens))
        return [flat[i * k:(i + 1) * k] for i in range(len(items))]

    def _chunk(self, n: int, stage: Stage, principle: Principle, items: list[Question], idx: list[int],
               student: "Student", teacher) -> list[Sample]:
        cfg = self.config
        grounded = bool(getattr(teacher, "grounded", False))
        candidates = self._answers(student, items)
        # With a reference check, the first answer that passes it is the one reviewed (rejection sampling).
        checks = [q.check if grounded and q.checkable else None for q in items]
        answers = [next((a for a in cands if check and check(a.text)), cands[0]) for cands, check in zip(candidates, checks)]
        crit_items = [Item(q.prompt, a.text, q.reference if grounded else None, check)
                      for q, a, check in zip(items, answers, checks)]
        try:
            critiques = teacher.critique(crit_items, principle, cfg.critique)
        except TeacherError as e:  # keep what finished; failed items are marked "error"
            critiques = e.results
            self.display.warn(str(e))
        self.display.phase_advance("critique", len(items), sum(c.completion.completion_tokens for c in critiques))
        killpoints.point("critique")
        faulty = [k for k, c in enumerate(critiques) if c.verdict == "fault"]
        revisions: dict[int, Completion] = {}
        if faulty:
            try:
                revs = teacher.revise([crit_items[k] for k in faulty], [critiques[k] for k in faulty], principle, cfg.revision)
            except TeacherError as e:
                revs = e.results
                self.display.warn(str(e))
            revisions = dict(zip(faulty, revs))
        self.display.phase_advance("revise", len(items), sum(r.completion_tokens for r in revisions.values()))
        killpoints.point("revise")
        return [self._record(n, idx[k], stage, principle, item, answers[k], candidates[k], critiques[k],
                             revisions.get(k), teacher.name)
                for k, item in enumerate(crit_items)]

    @staticmethod
    def _record(n: int, index: int, stage: Stage, principle: Principle, item: Item, a: Completion,
                candidates: list[Completion], c: Critique, rev: Completion | None, teacher: str) -> Sample:
        revision = rev.text if rev is not None and rev.error is None else None
        checked = item.check is not None
        return Sample(
            round=n, index=index, stage=stage.name, principle=principle.name, prompt=item.prompt,
            reference=item.reference, answer=a.text, answer_finish=a.finish_reason,
            critique=c.text, verdict=c.verdict, verdict_source=c.verdict_source,
            revision=revision, revision_finish=rev.finish_reason if rev is not None else None,
            error=(rev.error if rev is not None and rev.error else c.completion.error),
            teacher=teacher,
            check=c.verdict_source if c.verdict_source in ("reference", "verifier") else None,
            answer_passed=item.check(a.text) if checked else None,
            revision_passed=item.check(revision) if checked and revision is not None else None,
            candidates=[x.text for x in candidates] if len(candidates) > 1 else [],
            usage={
                "answer": {"prompt": sum(x.prompt_tokens for x in candidates),
                           "completion": sum(x.completion_tokens for x in candidates)},
                "critique": {"prompt": c.completion.prompt_tokens, "completion": c.completion.completion_tokens},
                "revision": {"prompt": rev.prompt_tokens, "completion": rev.completion_tokens} if rev else None,
            },
            seconds={"answer": a.seconds, "critique": c.completion.seconds, "revision": rev.seconds if rev else None},
            time=time.time(),
        )

    # -- one round: training ------------------------------------------------------------
    def _train(self, n: int, student: "Student", replay_share: float) -> tuple["Student", str | None]:
        """Train on the round's kept records by ``train.objective``; the merged model is the new
        student. Returns it with a note when training was skipped or cut short (no pairs)."""
        from distill.atomic import is_complete
        from distill.student import Student

        out = self.folder.round_dir(n)
        if is_complete(out / "model"):
            return Student(out / "model", precision=self.precision), self._train_note(n)
        kept = [s for s in self.folder.samples(n) if s.kept]
        data = round_data(kept, read_pairs(self.folder.pairs_path(n)), self.replay, replay_share,
                          self.config.seed + n, self.config.train)
        if data.config is None:
            self.display.warn(f"round {n}: {data.note}; the student is not trained this round")
            return student, data.note
        if data.note:
            self.display.warn(f"round {n}: {data.note}")
        self.servers.close()  # the student's server would hold the accelerator's memory while training
        student.release()  # the bf16 copy, if any: training changes the weights and needs the memory
        if data.config.launcher:
            self.display.phase_start("train", data.examples, "examples")
            from distill.train_worker import launch

            self.display.info(f"round {n}: training under {data.config.launcher} (log: {out / 'train' / 'worker.log'})")
            launch(n, data, student.spec, out, self.precision)
            self.display.phase_end("train")
            return Student(out / "model", precision=self.precision), data.note
        from distill.train import train_lora

        self.display.phase_start("train", data.examples, "examples")
        callback = self.display.trainer_callback()
        callbacks = [c for c in (callback, _stop_callback(self.stop)) if c is not None]
        # Trained in place: the student's own weights become the merged model, so a round
        # holds one copy of the model rather than three (student, trainee, reloaded result).
        result = train_lora(student.model, student.tokenizer, data.sft, out, data.config, callbacks=callbacks,
                            quiet=callback is not None,  # the display draws progress; the trainer's bars would clash
                            preferences=data.preferences, precision=self.precision)
        if data.note:
            write_json(out / "train" / "note.json", {"note": data.note})
        self.display.phase_end("train")
        return Student(out / "model", model=result.model, tokenizer=result.tokenizer, precision=self.precision), data.note

    def _train_note(self, n: int) -> str | None:
        return (read_json(self.folder.round_dir(n) / "train" / "note.json", {}) or {}).get("note")

    def _train_loss(self, n: int) -> float | None:
        log = read_json(self.folder.round_dir(n) / "train" / "log_history.json", {}) or {}
        losses = [e["loss"] for e in log.get("log_history", []) if "loss" in e]
        return losses[-1] if losses else None

    # -- one round: evaluation and decision ----------------------------------------------
    def _evaluate(self, n: int, student: "Student", stage: Stage) -> dict:
        from distill.evaluate import evaluate, round_metrics
        from distill.train import answer_loss

        path = self.folder.eval_path(n)
        saved = read_json(path)
        if saved is not None:
            return saved["metrics"]
        path.parent.mkdir(parents=True, exist_ok=True)
        limit = self.config.eval.limit
        self.display.phase_start("evaluate", sum(min(len(s.items), limit or len(s.items)) for s in self.eval_sets))
        result = evaluate(student, self.eval_sets, self.config.eval,
                          progress=lambda done, tokens: self._advance("evaluate", done, tokens))
        teacher = self.teacher(student)
        metrics = round_metrics(
            n, result,
            approve=lambda qs, ans: self._approve(teacher, stage, qs, ans),
            heldout_loss=(lambda: answer_loss(student.model, student.tokenizer, self.heldout)) if self.heldout else None,
        )
        self.display.phase_end("evaluate")
        write_json(path, {"metrics": metrics, "eval": result})
        return metrics

    def _approve(self, teacher, stage: Stage, questions: list[str], answers: list[str]) -> list[bool | None]:
        """The judge's verdict on held-out answers, on an evenly spread subset (None elsewhere).
        The judge sees no reference here: approval is its own opinion, the number that can be gamed."""
        k = min(self.config.approval_items, len(questions))
        picks = sorted({round(i * len(questions) / k) for i in range(k)}) if k else []
        items = [Item(questions[i], answers[i]) for i in picks]
        try:
            crits = teacher.critique(items, stage.principles[0], self.config.critique)
        except TeacherError as e:
            crits = e.results
        out: list[bool | None] = [None] * len(questions)
        for i, c in zip(picks, crits):
            out[i] = {"no_fault": True, "fault": False}.get(c.verdict)
        return out

    def _decide(self, manifest: Manifest) -> None:
        """Ask the monitor, then apply the loop's own limits (rounds per stage, total rounds)."""
        cfg = self.config
        last = manifest.rounds[-1]
        last_stage = manifest.stage_index + 1 == len(self.stages)
        decision = self.monitor.decide(
            manifest.history, fault_rate=last["fault_rate"], rounds_in_stage=manifest.rounds_in_stage,
            last_stage=last_stage, replay_share=manifest.replay_share,
        )
        keeping = self.monitor.keeping(manifest.history)
        if decision.action == "continue" and manifest.rounds_in_stage >= cfg.max_rounds_per_stage:
            why = f"{cfg.max_rounds_per_stage} rounds in stage {last['stage']!r}"
            decision = (replace(decision, action="next_stage", reason=f"{why}; moving to the next stage") if not last_stage
                        else replace(decision, action="stop", kind="budget", reason=f"{why}, the last stage; {keeping}"))
        if decision.action in ("continue", "next_stage") and len(manifest.rounds) >= cfg.rounds:
            decision = replace(decision, action="stop", kind="budget", reason=f"round budget of {cfg.rounds} used; {keeping}")
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

    def _finish(self, manifest: Manifest) -> None:
        from distill.report import write_report

        samples = {n: self.folder.samples(n) for n in range(1, len(manifest.rounds) + 1)}
        path = write_report(self.folder.path, manifest.history, manifest.decision, samples, rounds=manifest.rounds)
        manifest.report = str(path)
        self.folder.save_manifest(manifest)
        self.display.finish(manifest)


def _stop_callback(stop: StopOnCtrlC):
    """A TrainerCallback that makes every training step end a safe point to stop at: model/ is
    written only after training, so a round stopped mid-training is trained again on resume."""
    from transformers import TrainerCallback

    class StopCallback(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            killpoints.point("train_step")
            stop.check()

    return StopCallback()


def _summary(n: int, stage: str, done: list[Sample], grounded: bool) -> dict:
    """One round's counts for the manifest: faults, kept pairs, checks, drop reasons; with a
    grounded teacher, how many prompts had no reference (critiqued without one)."""
    judged = [s for s in done if s.verdict in ("fault", "no_fault")]
    faults = sum(s.verdict == "fault" for s in judged)
    checked = [s for s in done if s.answer_passed is not None]
    return {
        "round": n, "stage": stage, "prompts": len(done), "faults": faults,
        "fault_rate": faults / len(judged) if judged else None,
        "unparseable": sum(s.verdict == "unparseable" for s in done),
        "kept": sum(s.kept for s in done),
        "kept_verified": sum(s.kept and s.verdict == "no_fault" for s in done),
        "checked": len(checked),
        "answers_passed": sum(bool(s.answer_passed) for s in checked),
        "ungrounded": sum(s.reference is None for s in done) if grounded else None,
        "dropped": {reason: sum(s.drop_reason == reason for s in done)
                    for reason in sorted({s.drop_reason for s in done if s.drop_reason})},
    }


def _row(metrics: dict) -> dict:
    keys = ("round", "stage", "fault_rate", "kept", "train_loss", "gold_accuracy", "approval_rate", "heldout_loss")
    return {k: metrics.get(k) for k in keys}


def run(config: RunConfig, display: Display | None = None, teacher: Any = None) -> Manifest:
    """Run or resume the run described by ``config``; returns the final :class:`Manifest`.

    ``teacher`` is an optional teacher object used instead of ``config.teacher``."""
    return BootstrapLoop(config, display, teacher).run()
