"""The login page is served and the home page needs a login."""

import pytest


@pytest.mark.django_db
def test_login_page_is_served_in_chinese(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


@pytest.mark.django_db
def test_home_requires_login_and_shows_roles(client, demo):
    assert client.get("/").status_code == 302
    client.post("/accounts/login/", {"username": "ny_head", "password": "Demo@2026"})
    response = client.get("/")
    assert response.status_code == 200
    assert "单位负责人 · 南岳区社会治理和网格信息化服务中心" in response.content.decode()
