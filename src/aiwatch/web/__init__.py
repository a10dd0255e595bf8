"""The web console: access control, the REST API under /api/ and the server-rendered (htmx) pages."""
