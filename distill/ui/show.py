"""Draw a run from its folder: ``distill show RUN_DIR``.

Works on a finished run and on one still running (another process writing the folder), so
everything here only *reads*: a half-written last JSONL line is skipped, never repaired, and
a manifest caught mid-replace is treated as not there yet.

The renderables (:func:`rounds_table`, :func:`sample_panel`) are shared with the live display
(:mod:`distill.ui.live`), so a run looks the same while it runs and afterwards.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from distill.errors import DataError
from distill.store.folder import RunFolder, read_json
from distill.store.records import FINAL, Manifest, Sample

# Column key, header, format. The same columns as the loop's round_end row.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("round", "round", "{}"),
    ("stage", "stage", "{}"),
    ("fault_rate", "fault rate", "{:.0%}"),
    ("kept", "kept", "{}"),
    ("train_loss", "train loss", "{:.3f}"),
    ("gold_accuracy", "gold acc", "{:.1%}"),
    ("approval_rate", "approval", "{:.0%}"),
    ("heldout_loss", "held-out loss", "{:.3f}"),
)


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):  # a value of an unexpected type is shown, not fatal
        return str(value)


def rounds_table(rows: Iterable[Mapping[str, Any]], best_round: int | None = None, max_rows: int | None = None,
                 title: str = "Rounds") -> Table:
    """A table of finished rounds (one row each; round 0 is the untouched student).

    ``max_rows`` keeps only the latest rows, so a long run still fits a terminal; the best
    round is marked with a star."""
    rows = list(rows)
    hidden = 0
    if max_rows is not None and len(rows) > max_rows:
        hidden = len(rows) - max_rows
        rows = rows[-max_rows:]
    table = Table(title=title, title_justify="left", expand=False, caption=f"{hidden} earlier rounds not shown" if hidden else None)
    for key, header, _ in COLUMNS:
        table.add_column(header, justify="left" if key == "stage" else "right", no_wrap=True)
    for row in rows:
        cells = [_cell(row.get(key), fmt) for key, _, fmt in COLUMNS]
        best = best_round is not None and row.get("round") == best_round
        if best:
            cells[0] = f"*{cells[0]}"
        table.add_row(*cells, style="bold green" if best else None)
    return table


def cut(text: Any, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis (model output can be long)."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"


def sample_panel(record: Sample | None, width: int = 100, lines: int = 2) -> Panel:
    """The latest sample: question, answer, critique with verdict, revision, kept or why dropped.

    Each field is cut to about ``lines`` lines of a ``width``-column terminal."""
    limit = max((width - 16) * lines, 20)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    if record is None:
        grid.add_row("", Text("no sample yet", style="dim"))
    else:
        verdict = record.verdict or "-"
        grid.add_row("question", cut(record.prompt, limit))
        if record.reference:
            grid.add_row("reference", cut(record.reference, limit))
        grid.add_row("answer", cut(record.answer, limit))
        decided = f" [checked: {'passed' if record.answer_passed else 'failed'}]" if record.answer_passed is not None else ""
        grid.add_row("critique", Text.assemble((f"[{verdict}]{decided} ", _verdict_style(verdict)), cut(record.critique, limit)))
        grid.add_row("revision", cut(record.revision, limit) if record.revision else Text("-", style="dim"))
        kept = Text("kept", style="green") if record.kept else Text(f"dropped: {record.drop_reason or '-'}", style="yellow")
        grid.add_row("pair", kept)
    where = f" (round {record.round}, {record.stage or '?'} / {record.principle or '?'})" if record else ""
    return Panel(grid, title=f"Latest sample{where}", title_align="left", border_style="blue")


def _verdict_style(verdict: str) -> str:
    return {"fault": "red", "no_fault": "green"}.get(verdict, "yellow")


def decision_text(manifest: Manifest) -> Text:
    """Status, stage and the monitor's last decision (warnings in colour)."""
    status = manifest.status
    out = Text.assemble(("status ", "bold"), (status, "green" if status in FINAL else "cyan"))
    decision = manifest.decision or {}
    if decision:
        kind = decision.get("kind") or ""
        style = "red" if kind in ("divergence", "forgetting") else "default"
        out.append(f"   decision {decision.get('action', '?')}", style="bold")
        out.append(f" ({kind})" if kind else "")
        out.append(f": {decision.get('reason', '')}", style=style)
        for w in manifest.warnings:
            out.append(f"\nwarning: {w}", style="yellow")
        out.append(f"\nbest round {manifest.best_round}", style="bold green")
    return out


# -- reading a run folder (read-only) -------------------------------------------------------
def load_run(run_dir: str | Path) -> dict:
    """What a run folder says about the run: manifest, config, latest sample, round in progress.
    Only reads (:class:`~distill.store.folder.RunFolder` without repairs): the run may be going on.

    Raises :class:`~distill.errors.DataError` when ``run_dir`` is not a run folder at all."""
    folder = RunFolder(run_dir)
    if not folder.config_path.exists() and not folder.manifest_path.exists():
        raise DataError(f"{folder.path}: not a run folder (no config.yaml or manifest.json)")
    try:
        config = yaml.safe_load(folder.config_path.read_text(encoding="utf-8")) or {}
    except (FileNotFoundError, yaml.YAMLError):
        config = {}
    manifest = folder.manifest(strict=False)
    latest, in_progress = None, None
    finished = len(manifest.rounds) if manifest else 0
    for n in reversed(folder.rounds()):
        records = folder.samples(n, repair=False)
        if n > finished and n > 0 and (manifest is None or manifest.status == "running"):
            prompts = read_json(folder.round_dir(n) / "prompts.json", strict=False) or []
            in_progress = {"round": n, "records": len(records), "prompts": len(prompts)}
        if records and latest is None:
            latest = records[-1]
        if latest is not None:
            break
    return {"path": str(folder.path), "config": config, "manifest": manifest, "latest": latest,
            "in_progress": in_progress}


def render_run(run_dir: str | Path, width: int = 100) -> RenderableType:
    """Everything ``distill show`` draws for one run folder."""
    run = load_run(run_dir)
    cfg, manifest = run["config"], run["manifest"]
    head = Text.assemble(("run ", "bold"), run["path"], "   ", ("student ", "bold"), str(cfg.get("student", "?")),
                         "   ", ("teacher ", "bold"), str(cfg.get("teacher", "?")))
    parts: list[RenderableType] = [head]
    if manifest:
        stage = manifest.rounds[-1].stage if manifest.rounds else None
        parts.append(Text.assemble(("stage ", "bold"), f"{stage or '-'} (index {manifest.stage_index})",
                                   "   ", ("rounds ", "bold"), f"{len(manifest.rounds)} of {cfg.get('rounds', '?')}"))
        parts.append(decision_text(manifest))
    else:
        parts.append(Text("no manifest yet: the run is evaluating the untouched student", style="cyan"))
    if run["in_progress"]:
        ip = run["in_progress"]
        parts.append(Text(f"round {ip['round']} in progress: {ip['records']}/{ip['prompts'] or '?'} samples written",
                          style="cyan"))
    parts.append(rounds_table(manifest.table() if manifest else [], best_round=manifest.best_round if manifest else None))
    parts.append(sample_panel(run["latest"], width=width))
    if manifest and manifest.report:
        parts.append(Text(f"report: {manifest.report}"))
    return Group(*parts)


def show(run_dir: str | Path, console: Console | None = None, follow: bool = False, interval: float = 2.0) -> int:
    """Print a run once; with ``follow``, redraw it live until the run reaches a final status."""
    # A pipe or file has no width of its own; rich's 80-column default would squeeze the table.
    console = console or Console(width=None if sys.stdout.isatty() else 120)
    if not follow:
        console.print(render_run(run_dir, width=console.width))
        return 0
    from rich.live import Live

    with Live(render_run(run_dir, width=console.width), console=console, refresh_per_second=1) as live:
        while True:
            manifest = load_run(run_dir)["manifest"]
            if manifest is not None and manifest.finished:
                break
            time.sleep(interval)
            live.update(render_run(run_dir, width=console.width))
        live.update(render_run(run_dir, width=console.width))
    return 0
