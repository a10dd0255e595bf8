"""The sync engine: pulls a ChatGPT Enterprise workspace through the Compliance API into the store.

One stream per API stream, each with its own cursor row (``sync_cursors``): users; the log feed, one stream
per event type; /conversations; GPTs and projects; file contents; memories; canvases; later paths. Each page's
rows and its cursor advance commit in one transaction, so a sync killed at any point resumes without loss or
duplicates (see ``context.SyncContext.page``). The error policy is in ``engine``.

Conversation text: the log feed's CONVERSATION_MESSAGE is preferred when reachable (it carries the model
name); /conversations supplies the structure (parent links, tool messages, GPT/project IDs, files) and is the
fallback when the log feed answers 403/404/422. Both merge into the same message rows by message ID; the
exact rule is in ``merge``.

Entry points: ``runner.sync_integration`` (one pass), ``loop.SyncLoop`` (``aiwatch sync``), ``demo.run_demo``
(``aiwatch demo``).
"""
