"""The student's generation through an OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp,
``transformers serve``), for students and prompt counts that in-process generation cannot carry.

Two ways, set in the run config's ``student_server`` section:

* ``serve``: a command template (``vllm serve {model} --port {port}``, ``transformers serve {model}
  --host 127.0.0.1 --port {port}``) that the loop starts for each round's model folder, waits for
  (``/health`` or ``/v1/models``), uses for the round's answers and its evaluation's generated
  answers, and stops when the model changes, when the run ends or fails, and when the loop itself
  is killed (a small guard process, :mod:`distill.model.server_guard`, watches the loop and ends the
  server's whole process group, with SIGKILL after ``stop_timeout``). Its output goes to
  ``round-NN/server.log``.
* ``base_url`` (+ ``model``, ``api_key_env``): a server the user runs, which must serve the run's
  current model under ``model`` (for vLLM with ``--enable-lora``, load each round's ``adapter/``
  with ``POST /v1/load_lora_adapter``).

Requests go through the toolkit's one OpenAI-compatible client (:mod:`distill.model.openai_client`:
bounded concurrency, retries with backoff), the one the OpenAI teacher uses. Likelihood scoring
(multiple choice, verdicts read from likelihoods, held-out loss) and training stay in-process.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from distill.core import ChatLike, Completion, Generator, SamplingConfig, as_chat
from distill.errors import ResourceError, TeacherError

if TYPE_CHECKING:
    from distill.model.openai_client import OpenAIClient
    from distill.model.student import Student


@dataclass
class StudentServerConfig:
    """Where the student's generation goes (see the module docstring). Set ``serve`` or ``base_url``."""

    serve: str | None = None  # command template with {model} and {port}
    base_url: str | None = None  # a running server's .../v1
    model: str | None = None  # the name to request; default: the served model folder
    api_key_env: str | None = None  # name of the variable holding the server's key, if it needs one
    host: str = "127.0.0.1"
    startup_timeout: float = 300.0  # seconds to wait for a started server to answer
    stop_timeout: float = 10.0  # seconds a stopped server gets to finish before SIGKILL
    max_concurrency: int = 8
    timeout: float = 300.0  # seconds per request
    max_retries: int = 3
    chunk: int = 32  # requests per progress report

    def __post_init__(self) -> None:
        if bool(self.serve) == bool(self.base_url):
            raise ValueError("student_server needs exactly one of serve (a command template) or base_url")
        if self.serve and "{model}" not in self.serve:
            raise ValueError(f"student_server.serve must contain {{model}} (and {{port}}), got {self.serve!r}")


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


class StudentServer:
    """One server for one model folder (``serve``), or the user's server (``base_url``)."""

    def __init__(self, config: StudentServerConfig, folder: str, log_path: Path) -> None:
        self.config, self.folder, self.log_path = config, folder, Path(log_path)
        self.process: subprocess.Popen | None = None
        if config.base_url:
            self.base_url = config.base_url.rstrip("/")
            root = self.base_url.removesuffix("/v1")
            if not (_answers(f"{root}/health") or _answers(f"{self.base_url}/models")):
                raise ResourceError(f"student_server.base_url {config.base_url}: no server answers there "
                                         "(/health and /v1/models both failed)")
            self.model = config.model or folder
            return
        port = _free_port(config.host)
        command = config.serve.format(model=shlex.quote(folder), port=port, host=config.host)
        self.base_url = f"http://{config.host}:{port}/v1"
        self.model = config.model or folder
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        guard = [sys.executable, str(Path(__file__).with_name("server_guard.py")), str(os.getpid()),
                 str(config.stop_timeout), "--"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(guard + shlex.split(command), stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        self._wait(command)

    def _wait(self, command: str) -> None:
        deadline = time.monotonic() + self.config.startup_timeout
        root = self.base_url.removesuffix("/v1")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail(f"exited with status {self.process.returncode} before answering", command)
            if _answers(f"{root}/health") or _answers(f"{self.base_url}/models"):
                return
            time.sleep(0.5)
        self._fail(f"did not answer within {self.config.startup_timeout:.0f}s", command)

    def _fail(self, what: str, command: str) -> None:
        tail = self.log_path.read_text(errors="replace").strip().splitlines()[-3:] if self.log_path.exists() else []
        self.stop()
        raise ResourceError(f"student server `{command}` {what}; its last lines: {' | '.join(tail) or '(none)'} "
                                 f"(log: {self.log_path})")

    def client(self) -> "OpenAIClient":
        """An OpenAI-compatible client for this server."""
        from distill.model.openai_client import OpenAIClient  # imports openai: only when a server is used

        cfg = self.config
        client, _ = OpenAIClient.from_kwargs("student_server", base_url=self.base_url, model=self.model,
                                             api_key_env=cfg.api_key_env, max_concurrency=cfg.max_concurrency,
                                             timeout=cfg.timeout, max_retries=cfg.max_retries)
        return client

    def stop(self) -> None:
        """Stop a started server: SIGTERM, then SIGKILL after ``stop_timeout`` (its guard does both)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        self.process = None


class ServedStudent:
    """A :class:`~distill.core.Generator` whose ``generate`` goes to a server, beside the in-process
    :class:`~distill.model.student.Student` that scores likelihoods (multiple choice, verdicts) and is
    trained (the loop keeps that one for training and held-out loss)."""

    def __init__(self, student: "Student", server: StudentServer) -> None:
        self.student, self.server = student, server
        self.spec = student.spec
        self._client = server.client()

    def continuation_logprobs(self, chat: ChatLike, continuations: Sequence[str], *, prefill: str = "",
                              normalize: bool = False) -> list[float]:
        """Scored in process (a chat-completions server does not give these)."""
        return self.student.continuation_logprobs(chat, continuations, prefill=prefill, normalize=normalize)

    def continuation_logprobs_many(self, chats: Sequence[ChatLike], continuations: Sequence[str], *,
                                   prefills: Sequence[str] | None = None, normalize: bool = False) -> list[list[float]]:
        """Scored in process, in batches (:meth:`Student.continuation_logprobs_many`)."""
        return self.student.continuation_logprobs_many(chats, continuations, prefills=prefills, normalize=normalize)

    def generate(self, chats: Sequence[ChatLike], config: SamplingConfig | None = None, *,
                 progress: Callable[[int, int], None] | None = None, **overrides) -> list[Completion]:
        """Answer each chat through the server, in order; ``progress`` as the in-process student's."""

        cfg = config or SamplingConfig()
        if overrides:
            cfg = SamplingConfig(**{**cfg.__dict__, **overrides})
        out: list[Completion] = []
        chats = [as_chat(c) for c in chats]
        for start in range(0, len(chats), self.server.config.chunk):
            part = chats[start:start + self.server.config.chunk]
            try:
                done = self._client.complete(part, cfg)
            except TeacherError as e:
                first = next(c.error for c in e.results if c.error)
                raise ResourceError(f"the student's server at {self.server.base_url} failed on "
                                         f"{len(e.failed)} of {len(part)} requests after its retries: {first}") from None
            out += done
            if progress is not None:
                progress(len(part), sum(c.completion_tokens for c in done))
        return out


class ServerPool:
    """The loop's student servers: one per model folder at a time, stopped when replaced or closed."""

    def __init__(self, config: StudentServerConfig | None, run_dir: Path) -> None:
        self.config, self.run_dir = config, Path(run_dir)
        self.current: StudentServer | None = None

    def wrap(self, student: "Student", round_number: int) -> Generator:
        """``student`` itself without a server config; else a :class:`ServedStudent` on a server for its folder."""
        if self.config is None:
            return student
        from distill.model.resolve import resolve_folder

        folder = resolve_folder(student.spec)
        if self.current is None or self.current.folder != folder:
            self.close()
            log = self.run_dir / f"round-{round_number:02d}" / "server.log"
            self.current = StudentServer(self.config, folder, log)
        return ServedStudent(student, self.current)

    def close(self) -> None:
        if self.current is not None:
            self.current.stop()
            self.current = None
