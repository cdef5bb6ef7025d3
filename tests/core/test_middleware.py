"""URLs carrying NUL are refused with 400 before any view or query runs."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/clusters/prod/objects/?namespace=%00", "/audit/?actor=a%00b",
                                 "/clusters/prod/objects/%00/trafficsplits/x/", "/api/objects/?name=%00"])
def test_nul_in_a_url_is_a_bad_request(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_ordinary_urls_pass(admin_client):
    assert admin_client.get("/audit/?actor=a%2500b").status_code == 200  # an escaped percent sign is no NUL
