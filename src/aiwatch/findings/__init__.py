"""Findings: alerts recorded from detections, grouped into findings, with policies, exclusions and triage.

Ingest API (stable): ``aiwatch.findings.types.AlertInput`` and ``aiwatch.findings.service.record_alerts``.
"""
