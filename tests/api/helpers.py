"""Constants and small helpers shared by the API tests: who reviews what, and how to drive it."""

import re
from datetime import datetime

from rest_framework.test import APIClient

PASSWORD = "Demo@2026"
EZ_PROJECT = "市综治中心专项工作经费"
NY_RELOCATION = "区综治中心搬迁、网络租赁及综治中心日常维护经费"
NY_GRID = "网格化管理工作经费"
SEED_NAMES = (EZ_PROJECT, NY_RELOCATION, NY_GRID)

STAGES = ("unit_head", "department", "finance", "performance")
ROLE_OF_STAGE = {
    "unit_head": "unit_head",
    "department": "department_reviewer",
    "finance": "finance_reviewer",
    "performance": "performance_reviewer",
}
ORGANISATION_OF_STAGE = {
    "ez": {
        "submission": "鄂州市综治中心（市网格化管理服务中心）",
        "unit_head": "鄂州市综治中心（市网格化管理服务中心）",
        "department": "中共鄂州市委政法委员会",
        "finance": "鄂州市财政局行政政法股",
        "performance": "鄂州市财政局监督绩效股",
    },
    "ny": {
        "submission": "南岳区社会治理和网格信息化服务中心",
        "unit_head": "南岳区社会治理和网格信息化服务中心",
        "department": "中共南岳区委政法委员会",
        "finance": "南岳区财政局行政政法股",
        "performance": "南岳区财政局监督绩效股",
    },
}
PREFIX_OF = {EZ_PROJECT: "ez", NY_RELOCATION: "ny", NY_GRID: "ny"}
ACCOUNT_OF_STAGE = {
    "submission": "preparer",
    "unit_head": "head",
    "department": "dept",
    "finance": "finance",
    "performance": "perf",
}

CHINESE = re.compile(r"[\u4e00-\u9fff]")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
PAGINATION_KEYS = {"count", "next", "previous", "results"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def account(prefix: str, stage: str) -> str:
    """The demo account that acts at a stage in a jurisdiction ("ny", "department" -> ny_dept)."""
    return f"{prefix}_{ACCOUNT_OF_STAGE[stage]}"


def token_client(username: str, *, address: str = "127.0.0.1", password: str = PASSWORD):
    """An APIClient that authenticates with a token obtained from POST /api/auth/token/."""
    client = APIClient(REMOTE_ADDR=address)
    response = client.post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, (username, response.status_code, response.content)
    token = response.json()["token"]
    assert token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def expect(response, status: int):
    """Assert the status code, showing the body when it differs; returns the JSON body."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: "
        f"{response.content.decode('utf-8', 'replace')[:2000]}"
    )
    if response.get("Content-Type", "").startswith("application/json"):
        return response.json()
    return None


def items(data):
    """The objects of a list response, paginated ({"results": [...]}) or not ([...])."""
    return data["results"] if isinstance(data, dict) else data


def all_pages(client, url: str, params: dict | None = None) -> list:
    """Every object of a paginated list, following `next`."""
    results = []
    data = expect(client.get(url, params or {}), 200)
    results.extend(items(data))
    while isinstance(data, dict) and data.get("next"):
        data = expect(client.get(data["next"]), 200)
        results.extend(items(data))
    return results


def open_task(client, declaration_id: int) -> dict:
    """The caller's one open task (assigned or claimable) for a declaration, from /api/tasks/."""
    tasks = [t for t in all_pages(client, "/api/tasks/") if t["declaration"] == declaration_id]
    assert len(tasks) == 1, tasks
    return tasks[0]


def chinese_messages(value) -> list[str]:
    """All strings inside an error value (string, list or nested dict)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [m for v in value.values() for m in chinese_messages(v)]
    if isinstance(value, list):
        return [m for v in value for m in chinese_messages(v)]
    return []


def assert_chinese(value) -> None:
    messages = chinese_messages(value)
    assert messages, value
    for message in messages:
        assert CHINESE.search(message), f"not a Chinese message: {message!r}"


def parse_at(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, value
    return parsed
