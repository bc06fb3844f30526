"""The test suite's fake teachers, in one place. Each implements the one method a custom teacher
needs (``complete``); the loop loads them by spec (``fakes:FixerTeacher``) in child processes too,
since the tests put ``tests/`` on ``PYTHONPATH``."""

from __future__ import annotations

import time

from distill.interface import Completion, TeacherError
from teachers import Teacher

FIX_MARK = "The answer does not address the request."


class ScriptedTeacher(Teacher):
    """Replies with the next text of ``script`` (cycling) and records every chat it was sent;
    the item at index ``fail_at`` of each batch fails as if its retries ran out. A reply ending
    in "..." is reported as cut off at the token limit."""

    name = "scripted"

    def __init__(self, script: list[str], fail_at: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.script, self.fail_at = list(script), fail_at
        self.sent: list[list[dict]] = []

    @property
    def prompts(self) -> list[str]:
        """The last message of every chat sent, in order."""
        return [chat[-1]["content"] for chat in self.sent]

    def complete(self, chats, config):
        out = []
        for chat in chats:
            text = self.script[len(self.sent) % len(self.script)]
            self.sent.append(chat)
            out.append(Completion(text=text, prompt_tokens=10, completion_tokens=len(text.split()),
                                  finish_reason="length" if text.endswith("...") else "stop"))
        if self.fail_at is not None:
            out[self.fail_at] = Completion(text="", finish_reason="error", error="boom")
            raise TeacherError("1 failed", out, [self.fail_at])
        return out


class FixerTeacher(Teacher):
    """Finds a fault in every answer and writes a correction that depends only on the request,
    so batching cannot change it and every phase of a round (training included) has work."""

    name = "fixer"
    delay = 0.0  # seconds per call

    def __init__(self, delay: float | None = None) -> None:
        if delay is not None:
            self.delay = delay

    def complete(self, chats, config):
        time.sleep(self.delay)
        out = []
        for chat in chats:
            text = chat[-1]["content"]
            request = text.split("Request:", 1)[-1].split("Answer:", 1)[0].strip()
            if FIX_MARK in text:  # a revision request quotes the critique
                reply = f"A careful answer to '{request}': it depends on the details."
            else:
                reply = f"{FIX_MARK}\nVERDICT: FAULT"
            out.append(Completion(text=reply, prompt_tokens=len(text.split()), completion_tokens=len(reply.split())))
        return out


class SlowFixerTeacher(FixerTeacher):
    """A :class:`FixerTeacher` slow enough for a test to kill the run midway."""

    delay = 0.4


class GoldJudgeTeacher(FixerTeacher):
    """Judges the answers to an eval file's questions with the gold check in hand: ``oracle`` approves
    exactly the right ones (a judge that tells right from wrong: J = 1), otherwise every one (a judge
    whose verdict says nothing: J = 0). Any other prompt is critiqued as :class:`FixerTeacher` does."""

    name = "gold-judge"

    def __init__(self, eval_file: str, oracle: bool = True) -> None:
        from distill.data.evalsets import load_eval_set

        super().__init__()
        self.gold = {q.question: q for q in load_eval_set(eval_file).items}
        self.oracle = oracle

    def critique(self, items, principle, config=None):
        from distill.interface import Critique

        out = [None] * len(items)
        others = [i for i, it in enumerate(items) if it.prompt not in self.gold]
        for i, c in zip(others, super().critique([items[i] for i in others], principle, config)):
            out[i] = c
        for i, it in enumerate(items):
            if it.prompt in self.gold:
                right = self.gold[it.prompt].check(it.answer, strict=True) or not self.oracle
                text = "VERDICT: NO FAULT" if right else "The answer is wrong.\nVERDICT: FAULT"
                out[i] = Critique(text, "no_fault" if right else "fault", Completion(text))
        return out
