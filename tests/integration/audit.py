"""What the audit log holds, read through the REST API as an admin would."""

from __future__ import annotations

import httpx

from tests.integration.conftest import AUTH

Entry = tuple[str, str, str, int]  # action, principal, target, status


async def audited(client: httpx.AsyncClient, *actions: str) -> list[Entry]:
    """The records of ``actions``, oldest first."""
    found: list[tuple[int, Entry]] = []
    for action in actions:
        response = await client.get(
            "/api/v1/audit", params={"action": action, "limit": 100}, headers=AUTH
        )
        assert response.status_code == 200, response.text
        found += [
            (e["id"], (e["action"], e["principal"], e["target"], e["status"]))
            for e in response.json()["items"]
        ]
    return [entry for _, entry in sorted(found)]
