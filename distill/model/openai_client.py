"""The one client for OpenAI-compatible endpoints (OpenAI, vLLM, llama.cpp, ``transformers serve``,
Ollama): the OpenAI teacher's backend and the student's server's (:mod:`distill.model.serving`).

Requests go out through the official ``openai`` client, at most ``max_concurrency`` at a
time (a thread pool: the client is synchronous and thread-safe). tenacity is the single
retry layer (the client's own retries are switched off): 429, 408/409, 5xx, timeouts and
dropped connections are retried with exponential backoff and jitter, waiting at least
what the server's ``Retry-After`` asks; other 4xx fail at once. An item that still fails
gets a ``Completion`` with ``error`` set, and the batch raises
:class:`~distill.errors.TeacherError` carrying every result.

The API key is read from a named environment variable when the client is built and
kept only inside the ``openai`` client object: it is not in the config, the repr, or any log line.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import openai
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from distill.core import Chat, Completion, SamplingConfig
from distill.errors import SpecError, TeacherError

log = logging.getLogger(__name__)

# Local servers ignore the key, but the client refuses to start without one.
NO_KEY = "not-needed"


@dataclass
class OpenAIClientConfig:
    """Settings of :class:`OpenAIClient`. Holds the *name* of the key's variable, never the key."""

    base_url: str | None = None  # None: the client's default (api.openai.com or OPENAI_BASE_URL)
    model: str = "gpt-4o-mini"
    api_key_env: str | None = "OPENAI_API_KEY"  # None: send no real key (local servers)
    max_concurrency: int = 4  # requests in flight at once
    timeout: float = 60.0  # seconds per attempt
    max_retries: int = 5  # retries after the first attempt
    backoff_initial: float = 1.0  # seconds; doubles per retry, plus jitter
    backoff_max: float = 60.0
    backoff_jitter: float = 1.0
    max_retry_after: float = 120.0  # longest Retry-After honoured; longer ones are capped
    extra_body: dict = field(default_factory=dict)  # server-specific request fields
    max_reply_chars: int = 20_000  # longer replies are refused as errors (raised to 50 chars per max_new_token)

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {self.max_concurrency}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be > 0, got {self.timeout}")


RETRY_STATUS = {408, 409, 429}


def is_retryable(exc: BaseException) -> bool:
    """429/408/409, any 5xx, timeouts and connection failures; not other 4xx."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError and dropped connections
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUS or exc.status_code >= 500
    return False


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's Retry-After (or retry-after-ms) for a failed response, in seconds."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    # Reuse openai's parser (seconds, milliseconds and HTTP dates); it is a static helper on
    # the client base class, so guard against it moving.
    parse = getattr(openai.OpenAI, "_parse_retry_after_header", None)
    if parse is not None:
        try:
            return parse(None, response.headers)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - fall back to the plain form below
            pass
    try:
        return float(response.headers.get("retry-after"))
    except (TypeError, ValueError):
        return None


class OpenAIClient:
    """Chat completions from an OpenAI-compatible endpoint, ``max_concurrency`` requests at a time,
    retried by tenacity (see the module docstring). ``on_retry`` is called once per retry (the
    OpenAI teacher counts them in its usage)."""

    def __init__(self, config: OpenAIClientConfig, on_retry: Callable[[], None] | None = None,
                 what: str = "the OpenAI-compatible client") -> None:
        self.settings = config
        self.on_retry = on_retry
        if config.api_key_env:
            key = os.environ.get(config.api_key_env)
            if not key:
                raise SpecError(
                    f"{what} reads its API key from the environment variable "
                    f"{config.api_key_env!r}, which is not set (for a local server that needs no key, pass api_key_env=None)"
                )
        else:
            key = NO_KEY
        # max_retries=0: tenacity below is the one retry layer, so attempts are counted once.
        self._client = openai.OpenAI(api_key=key, base_url=config.base_url, timeout=config.timeout, max_retries=0)
        del key
        self._backoff = wait_exponential_jitter(
            multiplier=config.backoff_initial, max=config.backoff_max, jitter=config.backoff_jitter
        )

    @classmethod
    def from_kwargs(cls, what: str, on_retry: Callable[[], None] | None = None, config_class: type | None = None,
                    **kwargs) -> tuple["OpenAIClient", Any]:
        """A client from keyword settings (fields of ``config_class``, default :class:`OpenAIClientConfig`),
        and the config built; an unknown or bad setting is a :class:`SpecError` naming ``what``."""
        config_class = config_class or OpenAIClientConfig
        known = [f.name for f in fields(config_class)]
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise SpecError(f"{what} takes no argument(s) {', '.join(unknown)}; it takes: {', '.join(known)}")
        try:
            config = config_class(**kwargs)
        except ValueError as e:
            raise SpecError(f"{what}: {e}") from None
        client_fields = {f.name for f in fields(OpenAIClientConfig)}
        base = OpenAIClientConfig(**{k: v for k, v in vars(config).items() if k in client_fields})
        return cls(base, on_retry, what), config

    def __repr__(self) -> str:
        s = self.settings
        return f"OpenAIClient(base_url={s.base_url!r}, model={s.model!r}, api_key_env={s.api_key_env!r})"

    # -- retries ---------------------------------------------------------------------------
    def _wait(self, state: RetryCallState) -> float:
        backoff = self._backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        after = retry_after_seconds(exc)
        if after is not None and after > 0:
            return max(backoff, min(after, self.settings.max_retry_after))
        return backoff

    def _before_sleep(self, state: RetryCallState) -> None:
        if self.on_retry is not None:
            self.on_retry()
        exc = state.outcome.exception() if state.outcome else None
        # The exception's class and status only: messages may echo request details.
        status = getattr(exc, "status_code", None)
        log.warning(
            "model %s: attempt %d failed (%s%s); retrying in %.2fs",
            self.settings.model, state.attempt_number, type(exc).__name__,
            f" {status}" if status else "", state.next_action.sleep if state.next_action else 0.0,
        )

    def _request(self, chat: Chat, cfg: SamplingConfig) -> Completion:
        body: dict = dict(model=self.settings.model, messages=chat, max_tokens=cfg.max_new_tokens)
        if cfg.greedy:
            body["temperature"] = 0.0
        else:
            body.update(temperature=cfg.temperature, top_p=cfg.top_p)
        if cfg.seed is not None:
            body["seed"] = cfg.seed
        if self.settings.extra_body:
            body["extra_body"] = self.settings.extra_body
        retrying = Retrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self.settings.max_retries + 1),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        t0 = time.perf_counter()

        def failed(error: str, status: int | None = None) -> Completion:
            attempts = retrying.statistics.get("attempt_number", 1)
            return Completion(text="", finish_reason="error", seconds=time.perf_counter() - t0,
                              error=f"{error} after {attempts} attempt(s)"[:400], raw={"status": status, "attempts": attempts})

        try:
            resp = retrying(self._client.chat.completions.create, **body)
        except openai.APIError as e:
            status = getattr(e, "status_code", None)
            return failed(f"{type(e).__name__}" + (f" (HTTP {status})" if status else "") + f": {str(e)[:300]};", status)
        except ValueError as e:  # a 200 whose body is not JSON (a broken proxy or server)
            return failed(f"unreadable reply ({type(e).__name__}: {str(e)[:100]});")
        choices = getattr(resp, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            return failed(f"a reply that is not a chat completion ({str(resp)[:100]!r});")
        choice = choices[0]
        text = choice.message.content or ""
        # A reply is at most max_new_tokens tokens; far more text means a server that ignores
        # max_tokens. It is refused rather than stored (one reply must not fill a run folder).
        limit = max(self.settings.max_reply_chars, 50 * cfg.max_new_tokens)
        if len(text) > limit:
            return failed(f"a reply of {len(text)} characters for max_new_tokens={cfg.max_new_tokens} "
                          f"(more than max_reply_chars={limit});")
        usage = resp.usage
        return Completion(
            text=text.strip(),
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            finish_reason=choice.finish_reason or "stop",
            seconds=time.perf_counter() - t0,
            raw={"id": resp.id, "model": resp.model, "attempts": retrying.statistics.get("attempt_number", 1)},
        )

    def complete(self, chats: list[Chat], config: SamplingConfig) -> list[Completion]:
        """Send every chat, ``max_concurrency`` at a time; results in the caller's order."""
        if not chats:
            return []
        workers = min(self.settings.max_concurrency, len(chats))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="teacher") as pool:
            results = list(pool.map(lambda c: self._request(c, config), chats))
        failed = [i for i, c in enumerate(results) if c.error is not None]
        if failed:
            first = results[failed[0]].error
            raise TeacherError(
                f"{len(failed)} of {len(chats)} requests to {self.settings.model!r} failed after retries "
                f"(first: {first}); the other {len(chats) - len(failed)} finished and are kept in .results",
                results, failed,
            )
        return results
