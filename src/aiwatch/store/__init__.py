"""Persistence: SQLAlchemy models, engine and sessions, bulk upsert repositories, shipped migrations."""
