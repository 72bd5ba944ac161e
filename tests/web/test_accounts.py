"""Signing out and passwords: Django's views at viewflow's old paths, on our own pages."""

import re

import pytest
from django.core import mail

from tests.declarations.helpers import PASSWORD

NEW_PASSWORD = "Kx7#budget-2027"


def assert_our_page(response, heading: str) -> None:
    """The page is ours (the site's stylesheet and header), in Chinese, not viewflow's."""
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in html
    assert "approvals/app" in html
    assert "viewflow" not in html


@pytest.mark.django_db
def test_password_change_changes_the_password(client, demo):
    assert client.login(username="ez_preparer", password=PASSWORD)
    home = client.get("/").content.decode()
    assert 'href="/accounts/password_change/"' in home
    assert_our_page(client.get("/accounts/password_change/"), "修改密码")

    wrong = client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "旧密码不正确" in wrong.content.decode()

    done = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/accounts/password_change/done/"
    assert_our_page(done, "密码已修改")
    client.logout()
    assert client.login(username="ez_preparer", password=NEW_PASSWORD)


@pytest.mark.django_db
def test_password_reset_mails_a_link_that_sets_a_new_password(client, demo):
    assert_our_page(client.get("/accounts/password_reset/"), "找回密码")
    sent = client.post(
        "/accounts/password_reset/", {"email": "ny_head@example.gov.cn"}, follow=True
    )
    assert_our_page(sent, "邮件已发送")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "重设预算绩效目标审批系统的密码"
    assert "申请重设预算绩效目标审批系统中账号 ny_head 的密码" in message.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)
    assert_our_page(form, "设置新密码")
    complete = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert complete.redirect_chain[-1][0] == "/accounts/reset/done/"
    assert_our_page(complete, "密码已重设")
    assert client.login(username="ny_head", password=NEW_PASSWORD)


@pytest.mark.django_db
def test_a_used_reset_link_says_so(client, demo):
    page = client.get("/accounts/reset/MQ/not-a-token/")
    assert_our_page(page, "设置新密码")
    assert "重设链接无效或已使用过" in page.content.decode()


@pytest.mark.django_db
def test_signing_out_returns_to_the_login_page(client, demo):
    assert client.login(username="auditor", password=PASSWORD)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302
