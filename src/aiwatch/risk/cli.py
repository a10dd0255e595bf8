"""``aiwatch risk top``: the riskiest users or agents with the terms of their score."""

from __future__ import annotations

import json

import typer

risk_app = typer.Typer(help="Risk scores of users and agents.", no_args_is_help=True)


@risk_app.command("top")
def top_command(
    kind: str = typer.Option("user", "--kind", help="user or agent."),
    limit: int = typer.Option(10, "--limit", min=1, max=1000, help="How many to show."),
    output: str = typer.Option("table", "--format", help="table or json."),
    recompute: bool = typer.Option(
        False, "--recompute", help="Recompute every score from the findings first."
    ),
) -> None:
    """List the highest risk scores, highest first, with each term's contribution."""
    from aiwatch.config import ConfigError, get_settings
    from aiwatch.risk.service import SUBJECT_KINDS, recompute_scores, top_risky
    from aiwatch.store.db import init_db, make_session_factory, transaction
    from aiwatch.store.models import Integration

    if kind not in SUBJECT_KINDS:
        typer.echo("Error: --kind must be user or agent", err=True)
        raise typer.Exit(2)
    if output not in ("table", "json"):
        typer.echo("Error: --format must be table or json", err=True)
        raise typer.Exit(2)
    try:
        sessions = make_session_factory(init_db(get_settings()))
    except ConfigError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    if recompute:
        from sqlalchemy import select

        with transaction(sessions) as session:
            for integration_id in session.scalars(select(Integration.id)).all():
                recompute_scores(session, integration_id)
    with sessions() as session:
        views = top_risky(session, kind, limit=limit)
    if output == "json":
        rows = [
            {
                "kind": v.kind,
                "subject": v.subject_id,
                "label": v.label,
                "score": round(v.score, 2),
                "findings": v.finding_count,
                "breakdown": v.breakdown,
                "computed_at": v.computed_at.isoformat(),
            }
            for v in views
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not views:
        typer.echo(f"No {kind} has a risk score yet (scores follow findings; try --recompute).")
        return
    for v in views:
        terms = ", ".join(f"{t['term']} {t['contribution']:.1f}" for t in v.breakdown)
        typer.echo(f"{v.score:6.1f}  {v.label or v.subject_id}  ({v.finding_count} findings: {terms})")


def register(app: typer.Typer) -> None:
    """Add ``aiwatch risk`` to the root app."""
    app.add_typer(risk_app, name="risk")
