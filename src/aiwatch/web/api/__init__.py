"""JSON routes under /api/: every one declares ``require(...)`` (see ``aiwatch.web.auth``)."""
