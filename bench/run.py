"""Performance harness: `make bench` (or `.venv/bin/python bench/run.py --help`).

Prints one table per section and writes everything to bench/results/bench-<time>.json.
Sections: gen (student generation), round (one real round by phase, and its peak memory),
train (LoRA tokens/s), load (model load), teacher (OpenAI client overhead), serve (generation
through `transformers serve` vs in-process).
Numbers depend on the machine's load: the load average is recorded with each section.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import torch
from rich.console import Console
from rich.markup import escape
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from round import high_water_mb  # noqa: E402  (bench/ is scripts, not a package)

RESULTS = ROOT / "bench" / "results"
# how to measure the llama.cpp reference when this run could not: a ratio to a number no run here
# measured would be a number nobody measured
LLAMA_CPP_HOW = "pip install -e '.[llamacpp]' diskcache (about 7 minutes to compile), then make bench"
console = Console(width=max(120, Console().width))


def load_avg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def table(title: str, columns: list[str], rows: list[list[Any]], note: str = "") -> None:
    t = Table(title=f"{title}  (load avg {load_avg()})", caption=escape(note) if note else None)  # notes hold "[extras]"
    for c in columns:
        t.add_column(c, justify="left" if c == columns[0] else "right")
    for r in rows:
        t.add_row(*[f"{x:.2f}" if isinstance(x, float) else str(x) for x in r])
    console.print(t)


def prompts(n: int) -> list[str]:
    lines = (ROOT / "data" / "prompts.jsonl").read_text().splitlines()
    return [json.loads(line)["prompt"] for line in lines[:n]]


# -- 1. generation -----------------------------------------------------------------------


def plain_generate(student, chats: list[str], new_tokens: int, batch: int) -> tuple[list[str], int, float]:
    """``model.generate`` at a fixed batch, left padding, greedy: the baseline."""
    tok, model = student.tokenizer, student.model
    eos = student.eos_token_ids
    texts, count = [], 0
    t0 = time.perf_counter()
    for start in range(0, len(chats), batch):
        enc = [student.encode(c) for c in chats[start : start + batch]]
        width = max(map(len, enc))
        ids = torch.full((len(enc), width), tok.pad_token_id)
        mask = torch.zeros((len(enc), width), dtype=torch.long)
        for row, e in enumerate(enc):
            ids[row, width - len(e) :] = torch.tensor(e)
            mask[row, width - len(e) :] = 1
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new_tokens, do_sample=False,
                             pad_token_id=tok.pad_token_id, eos_token_id=sorted(eos), top_k=None)
        for row in out[:, width:].tolist():
            cut = next((k for k, t in enumerate(row) if t in eos), len(row))
            count += cut
            texts.append(tok.decode(row[:cut], skip_special_tokens=True).strip())
    return texts, count, time.perf_counter() - t0


LLAMA_CPP = """
import json, os, sys, time
from llama_cpp import Llama
from distill.model.resolve import embedded_gguf
chats, n = json.loads(sys.argv[1]), int(sys.argv[2])
llm = Llama(model_path=str(embedded_gguf("smollm2-135m-instruct")), n_ctx=512, n_threads=os.cpu_count(), verbose=False)
count, t0 = 0, time.perf_counter()
for c in chats:
    r = llm.create_chat_completion([{"role": "user", "content": c}], max_tokens=n, temperature=0.0)
    count += r["usage"]["completion_tokens"]
print(json.dumps([count, time.perf_counter() - t0]))
"""


def llama_cpp_stream(chats: list[str], new_tokens: int, limit: float = 900) -> tuple[int, float] | str | None:
    """llama.cpp one stream, in its own process with a time limit: a native build that crashes
    (one segfaults in decode on some CPUs) is a row saying so, not the end of the bench."""
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    try:
        out = subprocess.run([sys.executable, "-c", LLAMA_CPP, json.dumps(chats), str(new_tokens)], cwd=ROOT,
                             capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return f"no result within {limit:.0f}s"
    if out.returncode != 0:
        return f"crashed (exit {out.returncode}): {(out.stderr.strip().splitlines() or ['-'])[-1][:80]}"
    count, seconds = json.loads(out.stdout.strip().splitlines()[-1])
    return count, seconds


def llama_batched_bench(prompt_tokens: int, new_tokens: int, sequences: int, limit: float = 900) -> list[dict] | str | None:
    """llama.cpp's own C++ ``llama-batched-bench`` on the same GGUF, one sequence and ``sequences``
    at once, when the binary is found (``$LLAMA_BATCHED_BENCH`` or on PATH; it builds from the
    source inside the llama-cpp-python sdist). Rows as its JSONL output; a failure is a string."""
    import shutil

    from distill.model.resolve import embedded_gguf

    exe = os.environ.get("LLAMA_BATCHED_BENCH") or shutil.which("llama-batched-bench")
    if not exe:
        return None
    ctx = max(2048, sequences * (prompt_tokens + new_tokens) + 256)
    cmd = [exe, "-m", str(embedded_gguf("smollm2-135m-instruct")), "-c", str(ctx), "-npp", str(prompt_tokens),
           "-ntg", str(new_tokens), "-npl", f"1,{sequences}", "-t", str(os.cpu_count()), "--output-format", "jsonl"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return f"no result within {limit:.0f}s"
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not rows:
        return f"failed (exit {out.returncode}): {(out.stderr.strip().splitlines() or ['-'])[-1][:80]}"
    return rows


def bench_generation(args) -> dict:
    from distill.model.precision import bf16_native
    from distill.model.student import SamplingConfig, Student

    student = Student("smollm2-135m-instruct")
    chats = prompts(args.prompts)
    n = args.new_tokens
    student.generate(chats[:2], max_new_tokens=4)  # warm-up (first-call allocations)
    rows, out = [], {}

    def record(name: str, texts: list[str], count: int, seconds: float, batch: Any) -> None:
        out[name] = {"tokens": count, "seconds": seconds, "tok_s": count / seconds, "batch": batch, "load": load_avg()}
        rows.append([name, batch, count, seconds, count / seconds])

    texts_plain, c, s = plain_generate(student, chats, n, 8)
    record("plain model.generate", texts_plain, c, s, 8)
    bf16 = Student("smollm2-135m-instruct", model=student.model, tokenizer=student.tokenizer, precision="bf16") \
        if bf16_native() else None
    runs = [("Student.generate", 8, None, student), ("Student.generate (auto batch)", None, None, student)]
    if bf16 is not None:
        runs.append(("Student.generate (auto batch, bf16)", None, None, bf16))
    if args.threads_1:
        runs.append(("Student.generate (auto batch, 1 thread)", None, 1, student))
    texts_auto: list[str] = []
    texts_bf16: list[str] = []
    for name, batch, threads, who in runs:
        before = torch.get_num_threads()
        if threads:
            torch.set_num_threads(threads)
        try:
            who.generate(chats[:2], max_new_tokens=4)  # warm-up (the bf16 copy is made here)
            t0 = time.perf_counter()
            res = who.generate(chats, SamplingConfig(max_new_tokens=n, batch_size=batch))
            s = time.perf_counter() - t0
        finally:
            torch.set_num_threads(before)
        texts = [r.text for r in res]
        if batch is None and not threads:
            texts_auto, texts_bf16 = (texts, texts_bf16) if who is student else (texts_auto, texts)
        shown = min(len(chats), batch or who.auto_batch_size(max(len(who.encode(x)) for x in chats) + n))
        record(name, texts, sum(r.completion_tokens for r in res), s, shown)
    llama = None if args.skip_llama_cpp else llama_cpp_stream(chats, n)
    note = ""
    if isinstance(llama, tuple):
        record("llama.cpp (one stream, own process)", [], llama[0], llama[1], 1)
        ref = llama[0] / llama[1]
    else:
        ref = None
        note = (f"llama.cpp {llama}" if isinstance(llama, str) else "llama-cpp-python not installed") + \
            f": x llama.cpp not measured ({LLAMA_CPP_HOW})"
    prompt_len = round(statistics.mean(len(student.encode(c)) for c in chats))
    batched = None if args.skip_llama_cpp else llama_batched_bench(prompt_len, n, len(chats))
    if isinstance(batched, list):
        for row in batched:  # new tokens over prompt + generation time, as the rows above count them
            record(f"llama.cpp llama-batched-bench ({row['pl']} at once)", [], row["pl"] * row["tg"], row["t"], row["pl"])
            out[f"llama_batched_{row['pl']}"] = row
        note += ("; " if note else "") + "llama-batched-bench: " + ", ".join(
            f"{r['pl']} at once {r['speed_tg']:.0f} tok/s generating alone" for r in batched) + \
            f" ({prompt_len}-token prompts, the mean here)"
    elif isinstance(batched, str):
        note += ("; " if note else "") + f"llama-batched-bench {batched}"
    base = out["plain model.generate"]["tok_s"]
    for r in rows:
        r += [r[4] / base, "not measured" if ref is None else r[4] / ref]
    same = sum(a == b for a, b in zip(texts_plain, texts_auto))
    note = (note + "; " if note else "") + f"identical greedy answers, auto batch vs plain batch 8: {same}/{len(chats)}"
    if texts_bf16:
        note += f"; bf16 vs fp32: {sum(a == b for a, b in zip(texts_auto, texts_bf16))}/{len(chats)} identical"
    out["identical_answers"] = same
    if bf16 is not None:  # likelihood scoring (multiple choice, verdicts) in both precisions
        from distill.data.evalsets import load_eval_set

        items = load_eval_set(ROOT / "data" / "eval" / "choices.jsonl").items
        for name, who in (("fp32", student), ("bf16", bf16)):
            t0 = time.perf_counter()
            for it in items:
                who.continuation_logprobs(it.prompt, it.choices)
            out[f"scoring_{name}_items_s"] = len(items) / (time.perf_counter() - t0)
        note += (f"; multiple-choice scoring: fp32 {out['scoring_fp32_items_s']:.1f} items/s, "
                 f"bf16 {out['scoring_bf16_items_s']:.1f} items/s")
    out["threads"] = torch.get_num_threads()
    table(f"1. Generation: {len(chats)} prompts x {n} new tokens, greedy, {torch.get_num_threads()} threads",
          ["method", "batch", "new tokens", "seconds", "tok/s", "x plain b8", "x llama.cpp"], rows, note)
    return out


# -- 2 + 4. one round by phase, peak memory ----------------------------------------------


def bench_round(args) -> dict:
    from distill.model.precision import bf16_native

    out = {}
    for precision in (("fp32", "bf16") if bf16_native() else ("fp32",)):
        out[precision] = one_round(args, precision)
    return out


def one_round(args, precision: str) -> dict:
    cmd = [sys.executable, str(ROOT / "bench" / "round.py"), "--prompts", str(args.round_prompts), "--precision", precision]
    if args.round_eval_limit is not None:
        cmd += ["--eval-limit", str(args.round_eval_limit)]
    if args.round_chunk_size:
        cmd += ["--chunk-size", str(args.round_chunk_size)]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT)
        if proc.returncode:
            err.seek(0)
            raise RuntimeError(f"round failed:\n{err.read().decode(errors='replace')[-3000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    total = res["total"]
    peaks = res.get("phase_peak_rss_mb", {})
    rows = [[phase, secs, secs / total * 100, res["tokens"].get(phase, ""), peaks.get(phase, "")]
            for phase, secs in res["seconds"].items()]
    rows.append(["total", total, 100.0, "", res["peak_rss_mb"]])
    table(f"2 + 4. One round by phase, {precision} ({res['prompts']} prompts, chunk {res['chunk_size']}, eval limit "
          f"{res['eval_limit']}, self teacher), in its own process", ["phase", "seconds", "%", "new tokens", "peak RSS MB"], rows,
          "peak RSS per phase: the process's high-water mark while that phase ran (Linux VmHWM, reset between phases)")
    res["load"] = load_avg()
    return res


# -- 3. training ------------------------------------------------------------------------


def bench_train(args) -> dict:
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    from distill.data.instructions import load_instructions
    from distill.model.resolve import load_model
    from distill.train.common import training_dataset
    from distill.train.config import TrainConfig
    from distill.train.sft import build_trainer

    data = load_instructions(ROOT / "data" / "replay.jsonl").select(range(args.train_examples))
    cfg = TrainConfig(sft={"num_train_epochs": 1})  # the defaults a round trains with, one epoch
    per_step = cfg.setting("per_device_train_batch_size") * cfg.setting("gradient_accumulation_steps")
    rows, out = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        def ours(precision: str = "fp32"):
            model, tok = load_model("smollm2-135m-instruct")
            return build_trainer(model, tok, data, Path(tmp) / "ours", cfg, quiet=True, precision=precision)

        def plain():
            # TRL's defaults with the same hyperparameters (examples per optimizer step included);
            # bf16 off because its default (on) is about 11x slower on this CPU (DESIGN.md).
            model, tok = load_model("smollm2-135m-instruct")
            sft = SFTConfig(output_dir=str(Path(tmp) / "plain"), learning_rate=cfg.setting("learning_rate"),
                            num_train_epochs=1, per_device_train_batch_size=per_step, max_length=cfg.setting("max_length"),
                            bf16=False, seed=cfg.setting("seed"), report_to="none", save_strategy="no", disable_tqdm=True,
                            logging_steps=1)
            return SFTTrainer(model=model, args=sft, train_dataset=training_dataset(data), processing_class=tok,
                              peft_config=cfg.lora_config())

        from distill.model.precision import bf16_native

        makers = [("plain TRL SFTTrainer", plain), ("distill build_trainer", ours)]
        if bf16_native():
            makers.append(("distill build_trainer, bf16 autocast", lambda: ours("bf16")))
        for name, make in makers:
            trainer: Any = make()
            trainer.remove_callback(PrinterCallback)  # with tqdm off it prints every log line
            ds: Dataset = trainer.train_dataset
            tokens = sum(len(x) for x in ds["input_ids"])
            answer = sum(sum(m) for m in ds["completion_mask"]) if "completion_mask" in ds.column_names else None
            high_water_mb()
            metrics = trainer.train().metrics
            peak = high_water_mb()
            secs = metrics["train_runtime"]
            ckpt = getattr(trainer.args, "gradient_checkpointing", None)
            shape = f"{trainer.args.per_device_train_batch_size} x {trainer.args.gradient_accumulation_steps}"
            out[name] = {"tokens": tokens, "answer_tokens": answer, "seconds": secs, "tok_s": tokens / secs,
                         "gradient_checkpointing": ckpt, "batch_x_accumulation": shape, "peak_rss_mb": peak,
                         "train_loss": metrics["train_loss"], "load": load_avg()}
            rows.append([name, shape, str(ckpt), tokens, secs, tokens / secs, peak, metrics["train_loss"]])
            del trainer, ds
            gc.collect()  # the first trainer's model must not count in the second's peak
    base = rows[0][5]
    for r in rows:
        r.append(r[5] / base)
    table(f"3. LoRA training, {args.train_examples} examples, {per_step} per optimizer step, 1 epoch, fp32 weights",
          ["trainer", "batch x accum", "grad ckpt", "tokens", "seconds", "tokens/s", "peak RSS MB", "loss", "x plain"], rows,
          "tokens = prompt + answer tokens (no padding) actually fed; loss on answer tokens only in both; "
          "peak RSS: the process's high-water mark during train(), the other trainer freed")
    return out


# -- 5. model load ----------------------------------------------------------------------


def bench_load(args) -> dict:
    from distill.model import resolve as models

    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        old = os.environ.get("DISTILL_CACHE")
        os.environ["DISTILL_CACHE"] = tmp
        try:
            t0 = time.perf_counter()
            models.load_model("smollm2-135m-instruct")
            gguf = time.perf_counter() - t0
            cached = []
            for _ in range(3):
                t0 = time.perf_counter()
                models.load_model("smollm2-135m-instruct")
                cached.append(time.perf_counter() - t0)
        finally:
            if old is None:
                os.environ.pop("DISTILL_CACHE")
            else:
                os.environ["DISTILL_CACHE"] = old
    out = {"gguf_first_load_s": gguf, "cache_load_s": statistics.median(cached), "cache_loads": cached, "load": load_avg()}
    table("5. Model load (model + tokenizer)", ["from", "seconds"],
          [["GGUF (dequantize, convert, save to cache)", gguf], ["cache (median of 3)", out["cache_load_s"]]])
    return out


# -- 6. teacher overhead ----------------------------------------------------------------

REPLY = {"id": "stub", "object": "chat.completion", "created": 0, "model": "stub",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Fault: none."}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}}


class StubHandler(BaseHTTPRequestHandler):
    """A constant OpenAI chat-completions reply: isolates client cost from any model's."""

    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    disable_nagle_algorithm = True  # else headers and body in two writes meet delayed ACKs: +40 ms a request

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(REPLY).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def per_request(fn: Callable[[], Any], n: int) -> float:
    fn()  # warm-up: connection set-up
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1000


def bench_teacher(args) -> dict:
    import openai

    from distill.model.student import SamplingConfig
    from teachers.openai_api import OpenAITeacher, OpenAITeacherConfig

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    chat = [{"role": "user", "content": "Does this answer contradict itself? The sky is blue."}]
    cfg = SamplingConfig(max_new_tokens=32)
    n = args.requests
    try:
        client = openai.OpenAI(api_key="none", base_url=url, max_retries=0)
        bare = per_request(lambda: client.chat.completions.create(model="stub", messages=chat, max_tokens=32, temperature=0.0, seed=0), n)
        teacher = OpenAITeacher(OpenAITeacherConfig(base_url=url, model="stub", api_key_env=None, max_concurrency=1), sampling=cfg)
        one = per_request(lambda: teacher.complete([chat], cfg), n)
        batched_teacher = OpenAITeacher(OpenAITeacherConfig(base_url=url, model="stub", api_key_env=None, max_concurrency=4), sampling=cfg)
        batch = per_request(lambda: batched_teacher.complete([chat] * 16, cfg), max(1, n // 16)) / 16
    finally:
        httpd.shutdown()
        httpd.server_close()
    out = {"bare_ms": bare, "teacher_ms": one, "overhead_ms": one - bare, "teacher_batch16_ms_per_request": batch,
           "server": "in-process stub (constant reply, HTTP/1.1 keep-alive)", "requests": n, "load": load_avg()}
    table(f"6. OpenAI-compatible teacher vs bare openai client, {n} sequential requests", ["client", "ms / request", "overhead ms"],
          [["bare openai client", bare, ""], ["OpenAITeacher.complete, 1 chat", one, one - bare],
           ["OpenAITeacher.complete, 16 chats, 4 in flight", batch, ""]],
          "server: a stub on 127.0.0.1 replying a constant completion (no model), so only client cost is measured")
    return out


# -- 6. generation through a server ------------------------------------------------------


def bench_serve(args) -> dict:
    """The same prompts through `transformers serve` (the student_server path) and in process."""
    from distill.interface import SamplingConfig
    from distill.model.resolve import DEFAULT_STUDENT, resolve_folder
    from distill.model.serving import ServedStudent, StudentServer, StudentServerConfig
    from distill.model.student import Student

    exe = Path(sys.executable).with_name("transformers")
    folder = resolve_folder(DEFAULT_STUDENT)
    chats = list(itertools.islice(itertools.cycle(prompts(args.serve_prompts)), args.serve_prompts))
    cfg = SamplingConfig(max_new_tokens=args.new_tokens)
    student = Student(folder)
    rows, out = [], {}
    t0 = time.perf_counter()
    local = student.generate(chats, cfg)
    secs = time.perf_counter() - t0
    tokens = sum(c.completion_tokens for c in local)
    rows.append(["in-process Student.generate (batch from free memory)", "-", tokens, secs, tokens / secs])
    out["in_process"] = {"tokens": tokens, "seconds": secs}
    for label, extra, conc in (("transformers serve", "", 8), ("transformers serve --continuous-batching",
                                                                 " --continuous-batching", 32)):
        with tempfile.TemporaryDirectory() as tmp:
            server = StudentServer(StudentServerConfig(serve=f"{exe} serve {{model}} --host 127.0.0.1 --port {{port}}"
                                                             f"{extra}", max_concurrency=conc), folder, Path(tmp) / "log")
            try:
                served = ServedStudent(student, server)
                served.generate(chats[:2], SamplingConfig(max_new_tokens=2))  # warm up
                t0 = time.perf_counter()
                remote = served.generate(chats, cfg)
                secs = time.perf_counter() - t0
            finally:
                server.stop()
        tokens = sum(c.completion_tokens for c in remote)
        rows.append([label, conc, tokens, secs, tokens / secs])
        out[label] = {"tokens": tokens, "seconds": secs, "concurrency": conc}
    base = rows[0][4]
    for r in rows:
        r.append(r[4] / base)
    table(f"6. generation of {len(chats)} prompts x {args.new_tokens} new tokens: server vs in-process",
          ["path", "requests in flight", "tokens", "seconds", "tok/s", "x in-process"], rows,
          "same machine, same model, greedy; the server runs beside the benchmark process")
    return out


SECTIONS = {"gen": bench_generation, "round": bench_round, "train": bench_train, "load": bench_load,
            "teacher": bench_teacher, "serve": bench_serve}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, from {','.join(SECTIONS)}")
    ap.add_argument("--quick", action="store_true", help="small sizes everywhere (a few minutes)")
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--threads-1", action="store_true", help="also time the student with one thread")
    ap.add_argument("--skip-llama-cpp", action="store_true")
    ap.add_argument("--round-prompts", type=int, default=32, help="prompts in the benchmarked round (the default round: 32)")
    ap.add_argument("--round-eval-limit", type=int, default=None)
    ap.add_argument("--round-chunk-size", type=int, default=None)
    ap.add_argument("--train-examples", type=int, default=32)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--serve-prompts", type=int, default=256, help="prompts in the server section")
    args = ap.parse_args()
    if args.quick:
        args.prompts, args.round_prompts, args.round_eval_limit = min(args.prompts, 16), 8, 4
        args.train_examples, args.requests, args.serve_prompts = 8, 50, 16
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import datasets
    import transformers

    # library deprecation notices (TRL's own defaults trip them) and progress bars would
    # interleave with the tables
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*pin_memory.*")
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    from distill.model.precision import bf16_native, cpu_name

    machine = f"{cpu_name()}, {os.cpu_count()} cores, {torch.backends.cpu.get_cpu_capability()}, " \
              f"native bf16: {'yes' if bf16_native() else 'no'}"
    console.print(f"machine: {machine}")
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": machine, "cpus": os.cpu_count(),
                               "torch_threads": torch.get_num_threads(), "args": vars(args), "load_start": load_avg()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    for name in args.sections.split(","):
        t0 = time.perf_counter()
        results[name] = SECTIONS[name](args)
        results[name]["section_seconds"] = time.perf_counter() - t0
        path.write_text(json.dumps(results, indent=2, default=str))  # after each section: a killed run keeps the rest
    console.print(f"results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
