"""``/api/rescans``: the console's own worker runs queued rescans; roles, validation, paging, cancel and
audit."""

from __future__ import annotations

import time

import httpx
import pytest
from web_live import Console

from aiwatch.findings.models import RescanJob


def _bearer(console: Console, username: str, scope: str) -> httpx.Client:
    _info, token = console.app.state.accounts.create_token(username, f"{username}-{scope}-rescans", [scope])
    return httpx.Client(base_url=console.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _wait_for(client: httpx.Client, rescan_id: int, status: str, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        job = client.get(f"/api/rescans/{rescan_id}").json()
        if job["status"] == status or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_the_consoles_worker_runs_a_queued_rescan(console: Console) -> None:
    # Runs first in its module: the console's worker thread is still on.
    with console.client("admin") as admin:
        started = admin.post("/api/rescans", json={"rules_glob": "secret.*"})
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["status"] in ("pending", "running", "done") and job["rules_glob"] == "secret.*"
        finished = _wait_for(admin, job["id"], "done")
    assert finished["status"] == "done" and finished["attempts"] == 1
    assert finished["claimed_by"] is None and finished["finished_at"] and finished["percent"] == 100.0
    assert finished["requested_by"] == "admin"


@pytest.fixture
def queue_only(console: Console) -> Console:
    """The module's console with its worker stopped, so queued jobs stay pending."""
    console.app.state.rescans.shutdown()
    return console


def test_roles_and_anonymous(queue_only: Console) -> None:
    with httpx.Client(base_url=queue_only.base_url, timeout=60) as anonymous:
        assert anonymous.get("/api/rescans").status_code == 401
        assert anonymous.post("/api/rescans", json={}).status_code == 401
    with _bearer(queue_only, "viewer", "read") as viewer, _bearer(queue_only, "analyst", "act") as analyst:
        assert viewer.get("/api/rescans").status_code == 200
        assert viewer.post("/api/rescans", json={}).status_code == 403
        assert analyst.post("/api/rescans", json={"rules_glob": "pii.*"}).status_code == 403
        assert analyst.post("/api/rescans/1/cancel").status_code == 403
    with queue_only.client("analyst") as session_analyst:
        assert session_analyst.post("/api/rescans", json={}).status_code == 403


def test_validation(queue_only: Console) -> None:
    with _bearer(queue_only, "admin", "admin") as admin:
        unknown = admin.post("/api/rescans", json={"rules_glob": "nothing.matches.*"})
        assert unknown.status_code == 422 and "no rule matches" in unknown.json()["detail"]
        empty = admin.post("/api/rescans", json={"rules_glob": "  "})
        assert empty.status_code == 422 and "empty" in empty.json()["detail"]
        assert admin.post("/api/rescans", json={"rules_glob": 5}).status_code == 422
        assert admin.get("/api/rescans", params={"limit": 0}).status_code == 422
        assert admin.get("/api/rescans", params={"offset": -1}).status_code == 422
        assert admin.get("/api/rescans/987654").status_code == 404
        assert admin.post("/api/rescans/987654/cancel").status_code == 404
        assert admin.get("/api/rescans/not-a-number").status_code == 422


def test_queue_page_cancel_and_audit(queue_only: Console) -> None:
    with _bearer(queue_only, "admin", "admin") as admin, _bearer(queue_only, "viewer", "read") as viewer:
        first = admin.post("/api/rescans", json={"rules_glob": "code.*"}).json()
        again = admin.post("/api/rescans", json={"rules_glob": "code.*"}).json()
        assert again["id"] == first["id"] and first["status"] == "pending"  # one queue entry per rules
        everything = admin.post("/api/rescans", json={"rules_glob": None}).json()
        assert everything["rules_glob"] is None

        page = viewer.get("/api/rescans", params={"limit": 1, "offset": 0}).json()
        total = page["total"]
        assert total >= 2 and page["limit"] == 1
        assert page["items"][0]["id"] == everything["id"]  # newest first
        second = viewer.get("/api/rescans", params={"limit": 1, "offset": 1}).json()
        assert second["items"][0]["id"] == first["id"]
        assert viewer.get("/api/rescans", params={"offset": total}).json()["items"] == []
        shown = viewer.get(f"/api/rescans/{first['id']}").json()
        assert {"done", "total", "percent", "rate", "eta_seconds", "stale"} <= set(shown)

        cancelled = admin.post(f"/api/rescans/{first['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        twice = admin.post(f"/api/rescans/{first['id']}/cancel")
        assert twice.status_code == 409 and "already cancelled" in twice.json()["detail"]
        audit = admin.get("/api/audit", params={"limit": 100}).text
    assert "rescan.start" in audit and "rescan.cancel" in audit
    with queue_only.app.state.sessions() as session:
        assert session.get(RescanJob, everything["id"]).status == "pending"  # nobody runs it: worker off
