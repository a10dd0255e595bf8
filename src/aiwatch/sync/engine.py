"""One sync pass over every stream of an integration, with the error policy of the Compliance API.

- 401 / 403 on the stateful endpoints: the key cannot read the workspace. Every stream stops, the integration
  is marked Error with the admin action.
- 404 for the workspace: configuration error (wrong Workspace ID or host); every stream stops.
- 422: configuration error with the API's message; that stream stops, the others continue.
- Object 404 inside a stream: the object was deleted meanwhile and is skipped (handled by the streams).
- Transient errors (429, 5xx, resets, malformed JSON) are retried by the client; when retries run out the
  stream records the error and resumes from its saved cursor next time, the other streams continue.
- Later paths answering 404, and a log feed answering 403/404 while the stateful API works: the stream is
  marked unavailable, which is not an error of the integration.

Every stream records last_success_at / last_error / items_synced on its cursor row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiwatch.sync import persist
from aiwatch.sync.context import StopRequested, SyncContext
from aiwatch.sync.streams import default_streams
from aiwatch.sync.streams.base import Stream, StreamIncomplete, StreamUnsupported
from aiwatch.sync.streams.logs import LogFeedUnavailable

log = logging.getLogger(__name__)

OK, ERROR, UNAVAILABLE, STOPPED, SKIPPED = "ok", "error", "unavailable", "stopped", "skipped"


@dataclass
class StreamOutcome:
    stream: str
    status: str
    items: int = 0
    message: str | None = None


@dataclass
class SyncSummary:
    integration: str
    outcomes: list[StreamOutcome] = field(default_factory=list)
    integration_status: str = "connected"
    integration_message: str | None = None
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return self.integration_status == "connected" and all(
            o.status in (OK, UNAVAILABLE) for o in self.outcomes
        )

    def items(self, stream: str) -> int:
        return sum(o.items for o in self.outcomes if o.stream == stream)


class IntegrationHalted(Exception):
    """The integration itself cannot sync (key rejected, no access, unknown workspace)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def run_pass(ctx: SyncContext, integration_name: str, streams: list[Stream] | None = None) -> SyncSummary:
    """Run every stream once, in dependency order; record outcomes and the integration's status."""
    streams = streams if streams is not None else default_streams(ctx)
    summary = SyncSummary(integration=integration_name)
    config_errors: list[str] = []
    for position, stream in enumerate(streams):
        if ctx.stop.is_set():
            summary.stopped = True
            summary.outcomes.extend(StreamOutcome(s.name, STOPPED) for s in streams[position:])
            break
        try:
            outcome = _run_stream(ctx, stream)
        except IntegrationHalted as halted:
            summary.integration_status = "error"
            summary.integration_message = halted.message
            summary.outcomes.append(StreamOutcome(stream.name, ERROR, message=halted.message))
            summary.outcomes.extend(StreamOutcome(s.name, SKIPPED) for s in streams[position + 1 :])
            break
        summary.outcomes.append(outcome)
        if outcome.status == STOPPED:
            summary.stopped = True
        if outcome.status == ERROR and outcome.message and outcome.message.startswith("configuration error"):
            config_errors.append(f"{stream.name}: {outcome.message}")
    if summary.integration_status != "error" and config_errors:
        summary.integration_status = "error"
        summary.integration_message = "; ".join(config_errors)
    with ctx.sessions.begin() as session:
        persist.set_integration_status(
            session, ctx.integration_id, summary.integration_status, summary.integration_message
        )
    return summary


def _run_stream(ctx: SyncContext, stream: Stream) -> StreamOutcome:
    from aiwatch.sources.chatgpt import errors

    ctx.progress.start_stream(stream.name)
    before = ctx.progress_items(stream.name)
    status, message = OK, None
    try:
        stream.run(ctx)
    except StopRequested:
        status = STOPPED
    except StreamUnsupported as exc:
        status, message = UNAVAILABLE, str(exc)
    except LogFeedUnavailable as exc:
        status, message = UNAVAILABLE, str(exc)
    except (errors.KeyRejected, errors.AccessDenied, errors.WorkspaceNotFound) as exc:
        message = _halt_message(exc)
        _record(ctx, stream.name, ERROR, message)
        ctx.progress.finish_stream(stream.name, "error")
        raise IntegrationHalted(message) from exc
    except errors.InvalidRequest as exc:
        status = ERROR
        message = f"configuration error: {exc.api_message or exc.message}. {exc.admin_action}"
    except StreamIncomplete as exc:
        status, message = ERROR, str(exc)
    except errors.ComplianceError as exc:
        status, message = ERROR, str(exc)
    except Exception as exc:  # a bug or bad data must not stop the other streams
        # Only the type: database errors quote row values, which may be evidence (message text, files).
        log.error("stream %s failed with %s", stream.name, type(exc).__name__)
        log.debug("stream %s failure details", stream.name, exc_info=True)
        status, message = ERROR, f"internal error ({type(exc).__name__}); the stream resumes next pass"
    items = ctx.progress_items(stream.name) - before
    _record(ctx, stream.name, status, message)
    ctx.progress.finish_stream(stream.name, status if status != OK else "done")
    return StreamOutcome(stream.name, status, items, message)


def _halt_message(exc: Exception) -> str:
    from aiwatch.sources.chatgpt import errors

    if isinstance(exc, errors.KeyRejected):
        prefix = "key rejected"
    elif isinstance(exc, errors.AccessDenied):
        prefix = "access denied"
    else:
        prefix = "configuration error: workspace not found"
    return f"{prefix} (HTTP {getattr(exc, 'status', '?')}): {getattr(exc, 'admin_action', '')}".strip()


def _record(ctx: SyncContext, stream: str, status: str, message: str | None) -> None:
    with ctx.sessions.begin() as session:
        if status in (OK, UNAVAILABLE):
            persist.record_stream_success(session, ctx.integration_id, stream, note=message)
        elif status == ERROR:
            persist.record_stream_error(session, ctx.integration_id, stream, message or "error")
