"""File contents: user uploads referenced by messages, and GPT/project knowledge files.

Chat uploads expire about 24 hours after upload, so this stream runs right after the conversation streams
on every pass. 410 → state ``expired`` (never retried); 404 → ``deleted``; success → ``fetched`` with its
SHA-256 and extracted text. A file that keeps failing transiently stays ``pending`` for the next pass.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiwatch.sync import persist
from aiwatch.sync.context import SyncContext
from aiwatch.sync.extraction import extract
from aiwatch.sync.streams.base import Stream, StreamIncomplete

BATCH = 50


class FilesStream(Stream):
    name = "files"

    def run(self, ctx: SyncContext) -> int:
        from aiwatch.sources.chatgpt import errors

        if not ctx.options.fetch_files:
            return 0
        total = 0
        failures: list[str] = []
        after_row_id = 0
        while True:
            with ctx.sessions() as session:
                pending = persist.pending_files(
                    session, ctx.integration_id, after_row_id=after_row_id, limit=BATCH
                )
            if not pending:
                break
            for file in pending:
                after_row_id = file["row_id"]
                try:
                    content = self._download(ctx, file)
                except errors.FileExpired:
                    update: dict[str, Any] = {"state": "expired", "extraction_error": "content expired"}
                except errors.ObjectNotFound:
                    update = {"state": "deleted", "extraction_error": "file no longer exists"}
                except errors.ContentTooLarge:
                    update = {"state": "error", "extraction_error": "larger than the download limit"}
                except (
                    errors.RateLimited,
                    errors.ServerError,
                    errors.NetworkError,
                    errors.MalformedResponse,
                ) as exc:
                    failures.append(f"{file['file_id']}: {type(exc).__name__}")
                    continue
                else:
                    extracted = extract(content, file.get("name"))
                    update = {
                        "state": "fetched",
                        "sha256": hashlib.sha256(content).hexdigest(),
                        "size": len(content),
                        "extracted_text": extracted.text,
                        "extraction_error": extracted.error,
                        "fetched_at": ctx.clock(),
                    }
                with ctx.page(self.name, {}, items=1) as session:
                    persist.update_file(session, ctx.integration_id, file["kind"], file["file_id"], update)
                total += 1
        if failures:
            shown = ", ".join(failures[:5])
            raise StreamIncomplete(f"{len(failures)} file(s) still pending after retries ({shown})")
        return total

    def _download(self, ctx: SyncContext, file: dict[str, Any]) -> bytes:
        kind, file_id = file["kind"], file["file_id"]
        if kind == "gpt":
            return _bytes(ctx.client.download_gpt_file(file_id))
        if kind == "project":
            return _bytes(ctx.client.download_project_file(file_id))
        return _bytes(
            ctx.client.download_user_file(
                file["owner_user_id"], file_id, conversation_id=file.get("conversation_id")
            )
        )


def _bytes(content: Any) -> bytes:
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    data = getattr(content, "content", None)
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    raise TypeError(f"download returned {type(content).__name__}, expected bytes")
