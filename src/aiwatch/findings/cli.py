"""``aiwatch findings``, ``aiwatch policies``, ``aiwatch rescan`` and ``aiwatch pipeline run``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

findings_app = typer.Typer(help="List, inspect and triage findings.", no_args_is_help=True)
policies_app = typer.Typer(help="Detection policy: rules, exclusions, ignore rules.", no_args_is_help=True)
rules_app = typer.Typer(
    help="Organisation rules (custom.<slug>): add as draft, replay, enable.", no_args_is_help=True
)
pipeline_app = typer.Typer(help="The findings pipeline.", no_args_is_help=True)
groups_app = typer.Typer(
    help="User groups (emails and email patterns) that policy and rule scopes can list.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(findings_app, name="findings")
    app.add_typer(policies_app, name="policies")
    policies_app.add_typer(rules_app, name="rules")
    app.add_typer(groups_app, name="groups")
    app.add_typer(pipeline_app, name="pipeline")
    app.command("rescan")(rescan_command)


def _sessions() -> Any:
    from aiwatch.config import get_settings
    from aiwatch.store.db import init_db, make_session_factory

    settings = get_settings()
    return settings, make_session_factory(init_db(settings))


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@findings_app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="open or resolved")] = None,
    severity: Annotated[list[str] | None, typer.Option(help="critical/high/medium/low (repeatable)")] = None,
    rule: Annotated[str | None, typer.Option(help="rule id or glob, e.g. 'secret.*'")] = None,
    policy: Annotated[str | None, typer.Option(help="policy id")] = None,
    user: Annotated[str | None, typer.Option(help="subject user id")] = None,
    agent: Annotated[str | None, typer.Option(help="agent (GPT/project) id")] = None,
    search: Annotated[str | None, typer.Option(help="text in rule, subject or masked evidence")] = None,
    sort: Annotated[str, typer.Option(help="last_seen, first_seen, severity, alert_count, id")] = "last_seen",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Findings, newest activity first."""
    from aiwatch.findings.queries import FindingFilter, finding_json, list_findings

    if output not in ("table", "json"):
        raise _fail("--format must be table or json")
    if status is not None and status not in ("open", "resolved"):
        raise _fail("--status must be open or resolved")
    bad = [s for s in severity or [] if s not in ("critical", "high", "medium", "low")]
    if bad:
        raise _fail(f"unknown severity {bad[0]!r}: use critical, high, medium or low")
    _, sessions = _sessions()
    query = FindingFilter(
        status=status,
        severity=list(severity or []),
        rule=rule,
        policy=policy,
        subject_kind="user" if user else ("agent" if agent and not user else None),
        subject_id=user or agent,
        text=search,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    try:
        with sessions() as session:
            rows, total = list_findings(session, query)
            data = [finding_json(f) for f in rows]
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if output == "json":
        _echo_json(data)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Findings ({len(data)} of {total})", title_justify="left")
    for column in ("id", "severity", "status", "rule", "subject", "alerts", "last seen", "evidence"):
        table.add_column(column, overflow="fold")
    for f in data:
        table.add_row(
            str(f["id"]),
            f["severity"],
            f["status"] + (f" ({f['resolution']})" if f["resolution"] else ""),
            f["rule"],
            f"{f['subject']['kind']}:{f['subject']['id']}",
            str(f["alert_count"]),
            f["last_seen"][:19],
            ", ".join(f["evidence_samples"][:2]),
        )
    Console().print(table)


@findings_app.command("show")
def show_command(
    finding_id: Annotated[int, typer.Argument(help="finding id")],
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """One finding with its alerts, subject and conversation context (evidence masked)."""
    from aiwatch.findings.queries import finding_detail

    _, sessions = _sessions()
    with sessions() as session:
        detail = finding_detail(session, finding_id)
    if detail is None:
        raise _fail(f"no finding with id {finding_id}; list them with `aiwatch findings list`", 1)
    if output == "json":
        _echo_json(detail)
        return
    typer.echo(f"Finding {detail['id']}: {detail['rule']} ({detail['severity']}, {detail['status']})")
    typer.echo(f"  policy {detail['policy']} / group {detail['group']}")
    typer.echo(f"  subject {detail['subject']['kind']} {detail['subject']['id']}")
    typer.echo(f"  {detail['alert_count']} alerts, {detail['first_seen']} .. {detail['last_seen']}")
    if detail["resolution"]:
        typer.echo(
            f"  resolved as {detail['resolution']} by {detail['resolved_by']}: {detail['resolution_reason']}"
        )
    for alert in detail["alerts"]:
        item = alert["item"]
        typer.echo(f"  - {item['kind']} {item['id']} [{item['field']}] {alert['evidence']}")


@findings_app.command("resolve")
def resolve_command(
    finding_ids: Annotated[list[int], typer.Argument(help="one or more finding ids (bulk triage)")],
    resolution: Annotated[str, typer.Option("--as", help="true-positive, benign or false-positive")],
    reason: Annotated[str, typer.Option("--reason", help="why (kept with the finding)")],
    by: Annotated[str | None, typer.Option("--by", help="who triaged")] = None,
) -> None:
    """Resolve findings."""
    from aiwatch.findings.service import FindingError, resolve

    _, sessions = _sessions()
    try:
        with sessions.begin() as session:
            done = resolve(session, finding_ids, resolution, reason=reason, by=by)
            count = len(done)
    except FindingError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Resolved {count} finding(s) as {resolution}.")


@findings_app.command("reopen")
def reopen_command(finding_id: Annotated[int, typer.Argument()]) -> None:
    """Reopen a resolved finding."""
    from aiwatch.findings.service import FindingError, reopen

    _, sessions = _sessions()
    try:
        with sessions.begin() as session:
            reopen(session, finding_id)
    except FindingError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Reopened finding {finding_id}.")


@policies_app.command("list")
def policies_list(output: Annotated[str, typer.Option("--format", help="table or json")] = "table") -> None:
    """Every rule with its policy and effective status, severity and sensitivity."""
    from aiwatch.findings.policy import PolicySnapshot, catalog_with

    _, sessions = _sessions()
    with sessions() as session:
        snapshot = PolicySnapshot.load(session)
    catalog = catalog_with(snapshot.org_rules)
    rows = []
    for rule in catalog:
        policy_id, group = snapshot.policy_and_group(rule.id)
        rows.append(
            {
                "rule": rule.id,
                "policy": policy_id,
                "group": group,
                "status": "enabled" if snapshot.enabled(rule.id) else "disabled",
                "severity": str(snapshot.severity(rule.id, rule.severity)),
                "sensitivity": str(snapshot.sensitivity(rule.id)),
            }
        )
    if output == "json":
        _echo_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['rule']:45} {row['policy']:24} {row['status']:9} {row['severity']:9} {row['sensitivity']}"
        )


@policies_app.command("set")
def policies_set(
    target: Annotated[str, typer.Argument(help="rule id, or policy id with --policy")],
    is_policy: Annotated[bool, typer.Option("--policy", help="target is a policy id")] = False,
    status: Annotated[str | None, typer.Option(help="enabled or disabled")] = None,
    severity: Annotated[str | None, typer.Option(help="override: critical/high/medium/low")] = None,
    sensitivity: Annotated[str | None, typer.Option(help="balanced or high")] = None,
    integration: Annotated[list[str] | None, typer.Option(help="scope: integration id (repeatable)")] = None,
    agent: Annotated[list[str] | None, typer.Option(help="scope: agent id (repeatable)")] = None,
    app_id: Annotated[list[str] | None, typer.Option("--app", help="scope: app id (repeatable)")] = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", help="scope: user group id or name (repeatable)")
    ] = None,
    everywhere: Annotated[bool, typer.Option("--everywhere", help="clear the scope")] = False,
) -> None:
    """Change a rule's or policy's setting (takes effect at the next pipeline run / rescan)."""
    from aiwatch.findings.manage import PolicyError, set_policy

    scope: dict[str, list[str]] | None = {} if everywhere else None
    _, sessions = _sessions()
    if integration or agent or app_id or group:
        with sessions() as session:
            groups = [_group_id(session, g) for g in group or []]
        scope = {
            "integrations": list(integration or []),
            "agents": list(agent or []),
            "apps": list(app_id or []),
            "groups": groups,
        }
    _, sessions = _sessions()
    try:
        with sessions.begin() as session:
            set_policy(
                session,
                "policy" if is_policy else "rule",
                target,
                status=status,
                severity=severity,
                sensitivity=sensitivity,
                scope=scope,
            )
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Updated {target}. Run `aiwatch rescan` to apply it to stored history.")


def _group_id(session: Any, ref: str) -> str:
    """A group given by id or by name (names are unique)."""
    from sqlalchemy import select

    from aiwatch.findings.models import UserGroup

    if ref.isdigit() and session.get(UserGroup, int(ref)) is not None:
        return ref
    found = session.scalar(select(UserGroup.id).where(UserGroup.name == ref))
    if found is None:
        raise _fail(f"no user group {ref!r}; see `aiwatch groups list`")
    return str(found)


@policies_app.command("exclude")
def policies_exclude(
    value: Annotated[str, typer.Argument(help="keyword, regex or exact value")],
    kind: Annotated[str, typer.Option("--kind", help="keyword, regex or value")] = "keyword",
    rule: Annotated[str | None, typer.Option("--rule", help="only for this rule (glob)")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="only for this policy")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Never alert on this keyword / regex / value (an exact value is stored only as a keyed hash)."""
    from aiwatch.findings.manage import PolicyError, add_exclusion
    from aiwatch.pipeline.runner import value_hasher

    settings, sessions = _sessions()
    scope_kind, scope_id = (
        ("rule", rule) if rule else (("policy", policy) if policy else ("everywhere", None))
    )
    try:
        with sessions.begin() as session:
            row = add_exclusion(
                session,
                kind,
                value,
                hasher=value_hasher(settings),
                scope_kind=scope_kind,
                scope_id=scope_id,
                note=note,
            )
            row_id = row.id
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Exclusion {row_id} added ({kind}, {scope_kind}{' ' + scope_id if scope_id else ''}).")


@policies_app.command("ignore")
def policies_ignore(
    rule: Annotated[str, typer.Argument(help="rule id or glob")],
    agent: Annotated[str | None, typer.Option("--agent", help="only on this GPT/project")] = None,
    app_id: Annotated[str | None, typer.Option("--app", help="only on this app")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Ignore a rule on an agent, an app, or everywhere."""
    from aiwatch.findings.manage import PolicyError, add_ignore

    target_kind, target_id = (
        ("agent", agent) if agent else (("app", app_id) if app_id else ("everywhere", None))
    )
    _, sessions = _sessions()
    try:
        with sessions.begin() as session:
            row_id = add_ignore(session, rule, target_kind, target_id, note=note).id
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Ignore rule {row_id} added ({rule} on {target_kind}{' ' + target_id if target_id else ''}).")


@rules_app.command("add")
def rules_add(
    slug: Annotated[str, typer.Argument(help="the rule becomes custom.<slug>")],
    pattern: Annotated[list[str], typer.Option("--pattern", help="regex or keyword (repeatable)")],
    kind: Annotated[str, typer.Option("--kind", help="regex or keyword")] = "keyword",
    name: Annotated[str | None, typer.Option("--name")] = None,
    severity: Annotated[str, typer.Option("--severity")] = "medium",
) -> None:
    """Add an organisation rule as a draft (replay it, then enable it)."""
    from aiwatch.findings.manage import PolicyError, add_org_rule

    _, sessions = _sessions()
    try:
        with sessions.begin() as session:
            rule_id = add_org_rule(session, slug, name or slug, kind, pattern, severity=severity).rule_id
    except (PolicyError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Draft rule {rule_id} added. Try it: `aiwatch policies rules replay {rule_id}`.")


@rules_app.command("replay")
def rules_replay(
    rule_id: Annotated[str, typer.Argument()],
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """What the rule would have found in stored history (creates no alerts)."""
    from aiwatch.findings.manage import PolicyError, replay
    from aiwatch.pipeline.runner import value_hasher

    settings, sessions = _sessions()
    try:
        with sessions() as session:
            report = replay(session, rule_id, value_hasher(settings))
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    if output == "json":
        _echo_json(report.to_json())
        return
    typer.echo(f"{rule_id}: {report.matches} matches in {report.items_scanned} stored items")
    for subject, count in report.per_subject.most_common(20):
        typer.echo(f"  {subject}: {count}")
    for sample in report.samples:
        typer.echo(f"  e.g. {sample['item_kind']} {sample['item_id']}: {sample['evidence']}")


@rules_app.command("enable")
def rules_enable(rule_id: Annotated[str, typer.Argument()]) -> None:
    """Enable an organisation rule (the next pipeline run rescans stored items with it)."""
    from aiwatch.findings.manage import PolicyError, set_org_rule_status

    _, sessions = _sessions()
    try:
        with sessions.begin() as session:
            set_org_rule_status(session, rule_id, "enabled")
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Enabled {rule_id}. Run `aiwatch pipeline run` (or wait for the next sync) to apply it.")


@rules_app.command("disable")
def rules_disable(rule_id: Annotated[str, typer.Argument()]) -> None:
    """Disable an organisation rule (its open findings are closed by the next pipeline run)."""
    from aiwatch.findings.manage import PolicyError, set_org_rule_status

    _, sessions = _sessions()
    try:
        with sessions.begin() as session:
            set_org_rule_status(session, rule_id, "disabled")
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Disabled {rule_id}.")


@groups_app.command("add")
def groups_add(
    name: Annotated[str, typer.Argument(help="group name, e.g. 'Finance'")],
    member: Annotated[
        list[str], typer.Option("--member", help="email or pattern like *@finance.example.com (repeatable)")
    ],
    description: Annotated[str | None, typer.Option("--description")] = None,
) -> None:
    """Create a user group; scope a rule to it with `aiwatch policies set RULE --group NAME`."""
    from aiwatch.findings.groups import GroupError, create_group

    _, sessions = _sessions()
    try:
        with sessions.begin() as session:
            group = create_group(session, name, member, description=description, by="cli")
            group_id, emails, patterns = group.id, len(group.emails), len(group.patterns)
    except GroupError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Group {group_id} {name!r} added ({emails} emails, {patterns} patterns).")


@groups_app.command("list")
def groups_list(output: Annotated[str, typer.Option("--format", help="table or json")] = "table") -> None:
    """Every group with its members, how many synced users it resolves to, and the scopes listing it."""
    from dataclasses import asdict

    from aiwatch.findings.groups import list_groups

    if output not in ("table", "json"):
        raise _fail("--format must be table or json")
    _, sessions = _sessions()
    with sessions() as session:
        infos = list_groups(session)
    if output == "json":
        _echo_json([asdict(info) for info in infos])
        return
    if not infos:
        typer.echo("No user groups. Add one: aiwatch groups add Finance --member '*@finance.example.com'")
    for info in infos:
        members = ", ".join([*info.emails, *info.patterns])
        used = f"; scopes: {', '.join(info.used_by)}" if info.used_by else ""
        typer.echo(f"{info.id:>4}  {info.name:24} {info.members:>5} users  {members}{used}")


@groups_app.command("remove")
def groups_remove(ref: Annotated[str, typer.Argument(help="group id or name")]) -> None:
    """Delete a group; scopes that listed it stop doing so (a scope left empty means every user)."""
    from aiwatch.findings.groups import GroupError, delete_group

    _, sessions = _sessions()
    try:
        with sessions.begin() as session:
            cleaned = delete_group(session, int(_group_id(session, ref)))
    except GroupError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Removed group {ref}." + (f" Taken out of: {', '.join(cleaned)}." if cleaned else ""))


@pipeline_app.command("run")
def pipeline_run() -> None:
    """Scan every stored item that is new, changed, or was scanned under another policy."""
    from aiwatch.pipeline.runner import run_pipeline

    settings, sessions = _sessions()
    result = run_pipeline(sessions, settings)
    typer.echo(
        f"Scanned {result.items} items: {result.recorded.created} new alerts, {result.recorded.suppressed} "
        f"suppressed, {len(result.recorded.findings_touched)} findings updated, "
        f"{result.closed_by_policy} closed by policy."
    )


def rescan_command(
    job_id: Annotated[int | None, typer.Argument(help="with --status: the job to show")] = None,
    rule: Annotated[
        str | None, typer.Option("--rule", help="rescan with the rules matching this glob only")
    ] = None,
    all_rules: Annotated[
        bool, typer.Option("--all", help="rescan everything with every enabled rule")
    ] = False,
    background: Annotated[
        bool, typer.Option("--background", help="queue it for a worker (aiwatch worker / the console)")
    ] = False,
    status: Annotated[bool, typer.Option("--status", help="show rescan jobs and their progress")] = False,
) -> None:
    """Rescan stored history after rule or policy changes (resumable: rerun to continue)."""
    from aiwatch.pipeline import rescan as jobs

    settings, sessions = _sessions()
    if status:
        _show_rescans(sessions, job_id)
        return
    if job_id is not None:
        raise _fail("a job id goes with --status")
    if bool(rule) == all_rules:
        raise _fail("give either --rule GLOB or --all")
    if background:
        try:
            with sessions.begin() as session:
                job, created = jobs.enqueue(session, rule, requested_by=_os_user())
                queued_id = job.id
        except jobs.RescanError as exc:
            raise _fail(str(exc)) from None
        typer.echo(
            f"Rescan {queued_id} {'queued' if created else 'already queued'}; a worker (`aiwatch worker` or "
            f"the console) runs it. Progress: `aiwatch rescan --status {queued_id}`."
        )
        return
    _rescan_here(sessions, settings, rule)


def _os_user() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _rescan_here(sessions: Any, settings: Any, rule: str | None) -> None:
    from rich.progress import Progress

    from aiwatch.pipeline import rescan as jobs

    with Progress(transient=True) as bar:
        task = bar.add_task("Rescanning", total=None)

        def show(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            job, result = jobs.run_rescan(sessions, settings, rules_glob=rule, progress=show)
        except jobs.RescanError as exc:
            raise _fail(str(exc), 1) from None
        except KeyboardInterrupt:  # the batch in flight rolled back; the job waits at its position
            with sessions() as session:
                pending = jobs.start_or_resume(session, rule).id
            jobs.hand_back(sessions, pending, jobs.cli_worker_id())
            message = f"interrupted: rerun the command (or start a worker) to resume rescan {pending}"
            raise _fail(message, 130) from None
    typer.echo(
        f"Rescan {job.id} {job.status}: {job.done} items, {result.recorded.created} new alerts, "
        f"{result.closed_by_policy} findings closed by policy."
    )


def _show_rescans(sessions: Any, job_id: int | None) -> None:
    from aiwatch.pipeline import rescan as jobs

    with sessions() as session:
        if job_id is None:
            rows, total = jobs.list_jobs(session, limit=10, offset=0)
        else:
            found = session.get(jobs.RescanJob, job_id)
            if found is None:
                raise _fail(f"no rescan job with id {job_id}", 1)
            rows, total = [found], 1
    if not rows:
        typer.echo("No rescans yet. Start one with `aiwatch rescan --all --background`.")
        return
    for job in rows:
        p = jobs.job_progress(job)
        line = (
            f"{job.id:>5}  {job.status:9}  {job.rules_glob or 'all rules':24}  "
            f"{p['done']}/{p['total']} ({p['percent']}%)"
        )
        if p["rate"]:
            line += f"  {p['rate']} items/s"
        if p["eta_seconds"] is not None:
            line += f"  ETA {p['eta_seconds']} s"
        if job.status == "running":
            line += f"  worker {job.claimed_by}" + (
                "  (lease expired: resumes on the next claim)" if p["stale"] else ""
            )
        if job.message:
            line += f"  {job.message}"
        typer.echo(line)
    if job_id is None and total > len(rows):
        typer.echo(f"({total - len(rows)} older jobs not shown)")
