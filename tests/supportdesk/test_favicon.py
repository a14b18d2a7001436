"""Browsers ask every site for /favicon.ico: it answers, and every page links the icon."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_static_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg")


@pytest.mark.parametrize("path", ["/chat/", "/privacy/policy/", "/admin/login/"])
def test_pages_link_the_icon(client, policies, path):
    page = client.get(path).content.decode()

    assert '<link rel="icon" href="/static/favicon.svg"' in page
