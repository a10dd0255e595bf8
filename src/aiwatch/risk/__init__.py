"""Explainable risk scores per user and per agent (formula: docs/risk-score.md)."""
