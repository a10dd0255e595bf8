"""The findings pipeline: scans new or changed stored items with the current policy and records alerts.

``run_pipeline(sessions, settings)`` scans whatever is pending (runs after every sync pass and from
``aiwatch pipeline run``); ``aiwatch rescan`` forces a rescan after rule or policy changes, in the foreground
or queued (``--background``, ``POST /api/rescans``) for a worker: ``aiwatch worker`` or the console's thread
(``aiwatch.pipeline.rescan`` and ``aiwatch.pipeline.worker``).
"""
