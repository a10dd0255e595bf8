"""`aiwatch scan`: the detection engine on files and streams (contract in aiwatch.detection.batch)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer


class InputFormat(StrEnum):
    JSONL = "jsonl"
    CHATGPT_LOGS = "chatgpt-logs"
    TEXT = "text"


class OutputFormat(StrEnum):
    JSONL = "jsonl"


class SensitivityChoice(StrEnum):
    BALANCED = "balanced"
    HIGH = "high"


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root app."""
    app.command("scan")(scan_command)


def scan_command(
    input_path: str = typer.Option(
        ..., "--input", help="A file, '-' for stdin, or a directory (text format)."
    ),
    output_format: OutputFormat = typer.Option(OutputFormat.JSONL, "--format", help="Output format."),
    rules: list[str] = typer.Option(
        None, "--rules", help="Rule id glob(s), e.g. 'pii.*' or 'secret.*,financial.*'. Default: all."
    ),
    sensitivity: SensitivityChoice = typer.Option(
        SensitivityChoice.BALANCED, "--sensitivity", help="balanced favours precision, high favours recall."
    ),
    workers: int = typer.Option(1, "--workers", min=1, max=256, help="Worker processes (0 is not allowed)."),
    input_format: InputFormat = typer.Option(
        InputFormat.JSONL, "--input-format", help="How to read --input."
    ),
    max_record_bytes: int = typer.Option(
        32 * 1024 * 1024, "--max-record-bytes", min=1024, help="Larger records are reported and skipped."
    ),
    organisation_rules: Path | None = typer.Option(
        None, "--organisation-rules", help="YAML file or directory of the organisation's own rules."
    ),
) -> None:
    """Scan records and print one JSON line of detections per record, in input order.

    Evidence is masked; value hashes are not printed. Bad records are reported on stderr as 'line N: reason'
    and produce an output line with an "error" field; the exit code stays 0.
    """
    import sys

    from aiwatch.detection import batch
    from aiwatch.detection.catalog import CatalogError

    del output_format  # jsonl is the only format today; the option is part of the stable contract
    globs = tuple(g.strip() for value in rules or [] for g in value.split(",") if g.strip()) or None
    options = batch.ScanOptions(
        rules=globs,
        sensitivity=str(sensitivity),
        organisation_rules=str(organisation_rules) if organisation_rules else None,
    )
    try:  # validate the rule selection and the organisation's rules once, before reading any input
        engine = batch._engine_for(options)
    except (CatalogError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if globs and not engine.rules:
        typer.echo(f"error: no rule matches {', '.join(globs)} at sensitivity {sensitivity}", err=True)
        raise typer.Exit(2)

    warn = batch.stderr_warn
    if input_format is InputFormat.TEXT:
        if input_path == "-":
            typer.echo("error: --input-format text needs a file or directory, not stdin", err=True)
            raise typer.Exit(2)
        root = Path(input_path)
        if not root.exists():
            typer.echo(f"error: {root} does not exist", err=True)
            raise typer.Exit(2)
        records = batch.text_file_records(root, max_record_bytes, warn)
        _run(batch, records, options, workers)
        return
    if input_path == "-":
        stream = sys.stdin.buffer
    else:
        path = Path(input_path)
        if not path.is_file():
            typer.echo(f"error: {path} is not a readable file", err=True)
            raise typer.Exit(2)
        stream = path.open("rb")
    try:
        lines = batch.raw_lines(stream, max_record_bytes, warn, str(input_format))
        _run(batch, lines, options, workers)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _run(batch, records, options, workers: int) -> None:
    import sys

    out = sys.stdout
    write = out.write

    def write_line(line: str) -> None:
        write(line)
        write("\n")

    try:
        batch.run(records, options, workers, write_line)
        out.flush()
    except BrokenPipeError:  # `aiwatch scan … | head` is normal use
        sys.stderr.close()
