"""One round's records: the student answers the round's prompts, the teacher critiques each answer
under a principle and revises the faulty ones, the filters keep or drop each sample, and every
record is appended to ``round-NN/samples.jsonl`` chunk by chunk.

On resume the prompts that already have a record are skipped, so nothing is redone or duplicated;
chunks are fixed index ranges, so a resumed run batches the same way. When the teacher checks
answers (``grounded:<spec>``, ``arithmetic``) and a prompt carries a reference, the answer is
checked against it by the evaluation's own rules before any critique (with ``answer.num_samples``
> 1, the first sampled answer that passes is the one reviewed: rejection sampling), and a revision
is kept only if it passes the same check.

An objective that trains on the round's prompts alone (online RL: ``"prompts"`` in its ``needs``, and not
``"targets"``) reads no critique, revision or kept target, so its rounds collect **answers only**: each answer checked
where a check exists (its verdict: the round's pass rate, for the summary and the report), no
teacher request, nothing kept.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import lru_cache, partial
from pathlib import Path

from distill.callbacks import LoopCallback
from distill.config import RunConfig
from distill.core import Completion, Critique, Generator, Item, Principle, Teacher
from distill.curate.filters import SampleFilter
from distill.data.principles import Stage
from distill.data.questions import Question, as_asked
from distill.errors import RunFailed, TeacherError
from distill.store.jsonl import append_records
from distill.store.records import Sample
from distill.train.objective import Draw

PHASES = ("answer", "critique", "revise")
UNJUDGED = "unjudged"  # the verdict of an answer nothing checked in an answers-only round


class Collector:
    """Writes round ``n``'s records (see the module docstring); ``callbacks`` see its progress."""

    def __init__(self, config: RunConfig, callbacks: LoopCallback) -> None:
        self.config, self.callbacks = config, callbacks
        self._plan(1)

    def _plan(self, n: int) -> None:
        """What round ``n``'s objective (:meth:`~distill.train.config.TrainConfig.for_round`) needs collected."""
        train = self.config.train.for_round(n)
        self.objective = train.objective_spec
        needs = train.needs
        self.answers_only = "prompts" in needs and "targets" not in needs
        self.phases = PHASES[:1] if self.answers_only else PHASES
        # answers to each prompt the objective's rows choose among
        self.draw = self.objective.draw_of(train) if self.answers_only else Draw()
        self.samples = max(self.config.answer.num_samples, self.draw.samples)

    def collect(self, n: int, stage: Stage, prompts: list[Question], path: Path, done: list[Sample],
                filt: SampleFilter, student: Generator, teacher: Teacher) -> list[Sample]:
        """Records for the prompts that have none yet in ``done`` (the round's records so far,
        extended in place); raises :class:`~distill.errors.RunFailed` after writing every finished
        record when some teacher requests failed after their retries."""
        cfg = self.config
        self._plan(n)
        finished = {s.index for s in done}
        todo = [i for i in range(len(prompts)) if i not in finished]
        if not todo:
            return done
        k = self.samples
        for phase, per in zip(self.phases, (k, 1, 1)):
            self.callbacks.phase_start(phase, len(prompts) * per, done=(len(prompts) - len(todo)) * per)
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
            records = [r if self.answers_only else filt.apply(r, prompts[r.index]) for r in records if not r.error]
            append_records(path, [r.to_json() for r in records])
            done.extend(records)
            if records:
                self.callbacks.sample(records[-1])
            self.callbacks.safe_point()
        for phase in self.phases:
            self.callbacks.phase_end(phase)
        if failed:
            raise RunFailed(
                f"round {n}: the teacher failed on {len(failed)} of {len(todo)} prompts after its retries "
                f"(first: {failed[0].error}). The {len(todo) - len(failed)} finished records are saved in "
                f"{path}; run the same command again to retry the rest."
            )
        return done

    def _answers(self, student: Generator, items: list[Question]) -> list[list[Completion]]:
        """:attr:`samples` answers per prompt (one batch for all of them)."""
        cfg = self.config.answer
        k = self.samples

        def progress(done: int, tokens: int) -> None:
            self.callbacks.phase_advance("answer", done, tokens)
            self.callbacks.safe_point()

        prompts = [q.prompt for q in items]
        if k > 1 and cfg.greedy:  # several greedy answers would be one answer k times
            if self.draw.sampling:  # the prompt screen (distill.curate.screen): answers sampled, and
                # prompts asked, as the objective's own rollouts are
                cfg = replace(cfg, **self.draw.sampling)
                prompts = [as_asked(q.prompt, q.format, self.config.eval.prompt_suffix) for q in items]
            else:
                cfg = replace(cfg, temperature=1.0)
        flat = student.generate([p for p in prompts for _ in range(k)], cfg, progress=progress)
        return [flat[i * k:(i + 1) * k] for i in range(len(items))]

    def _chunk(self, n: int, stage: Stage, principle: Principle, items: list[Question], idx: list[int],
               student: Generator, teacher: Teacher) -> list[Sample]:
        cfg = self.config
        candidates = self._answers(student, items)
        # With a reference check, the first answer that passes it is the one reviewed (rejection sampling).
        # Strict: what is trained on may not hedge across candidates (distill.checks.reference.hedged).
        # Cached: the answer is checked again for its record, and by the grounded teacher.
        # An answers-only round checks every answer that can be checked, whatever the teacher: the screen reads it.
        checks = [lru_cache(maxsize=None)(partial(q.check, strict=True)) if (teacher.grounded or self.answers_only)
                  and q.checkable else None for q in items]
        answers = [next((a for a in cands if check and check(a.text)), cands[0]) for cands, check in zip(candidates, checks)]
        crit_items = [Item(q.prompt, a.text, q.reference if teacher.grounded or self.answers_only else None, check)
                      for q, a, check in zip(items, answers, checks)]
        if self.answers_only:
            return [self._unreviewed(n, idx[k], stage, principle, item, answers[k], candidates[k], teacher.name)
                    for k, item in enumerate(crit_items)]
        try:
            critiques = teacher.critique(crit_items, principle, cfg.critique)
        except TeacherError as e:  # keep what finished; failed items are marked "error"
            critiques = e.results
            self.callbacks.warn(str(e))
        self.callbacks.phase_advance("critique", len(items), sum(c.completion.completion_tokens for c in critiques))
        faulty = [k for k, c in enumerate(critiques) if c.verdict == "fault"]
        revisions: dict[int, Completion] = {}
        if faulty:
            try:
                revs = teacher.revise([crit_items[k] for k in faulty], [critiques[k] for k in faulty], principle, cfg.revision)
            except TeacherError as e:
                revs = e.results
                self.callbacks.warn(str(e))
            revisions = dict(zip(faulty, revs))
        self.callbacks.phase_advance("revise", len(items), sum(r.completion_tokens for r in revisions.values()))
        return [record(n, idx[k], stage, principle, item, answers[k], candidates[k], critiques[k], revisions.get(k),
                       teacher.name)
                for k, item in enumerate(crit_items)]

    def _unreviewed(self, n: int, index: int, stage: Stage, principle: Principle, item: Item, a: Completion,
                    candidates: list[Completion], teacher: str) -> Sample:
        """An answers-only round's record: the answer and its check (``candidates_passed``: each sampled
        answer's), no critique or revision, not kept."""
        checked = None if item.check is None else item.check(a.text)
        verdict = UNJUDGED if checked is None else ("no_fault" if checked else "fault")
        sample = record(n, index, stage, principle, item, a, candidates,
                        Critique("", verdict, verdict_source="text" if checked is None else "reference"), None, teacher)
        sample.drop_reason = f"answers only: {self.objective.name} trains on the round's prompts"
        if item.check is not None:
            sample.extra["candidates_passed"] = [item.check(c.text) for c in candidates]
        return sample


def record(n: int, index: int, stage: Stage, principle: Principle, item: Item, a: Completion,
           candidates: list[Completion], c: Critique, rev: Completion | None, teacher: str) -> Sample:
    """The record of one prompt: what was asked, answered, critiqued and revised, what checked it,
    token usage and timings (the filters then decide whether it is kept)."""
    revision = rev.text if rev is not None and rev.error is None else None
    checked = item.check is not None
    return Sample(
        round=n, index=index, stage=stage.name, principle=principle.name, prompt=item.prompt,
        reference=item.reference, answer=a.text, answer_finish=a.finish_reason,
        critique=c.text, verdict=c.verdict, verdict_source=c.verdict_source,
        revision=revision, revision_finish=rev.finish_reason if rev is not None else None,
        error=(rev.error if rev is not None and rev.error else c.completion.error),
        teacher=teacher,
        # what decided: the reference check (a reviewer may then have found fault beside it), a verifier, or the teacher
        check={"review": "reference"}.get(c.verdict_source, c.verdict_source if c.verdict_source in ("reference", "verifier") else None),
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
