"""The pages a newcomer meets first: login, the overview, and what anonymous users get."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_renders_a_form_with_csrf_protection(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'name="password"' in body
    assert "csrfmiddlewaretoken" in body


def test_overview_sends_anonymous_users_to_login(client):
    response = client.get(reverse("web:overview"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_logging_in_reaches_the_overview_with_an_empty_state(client, django_user_model):
    django_user_model.objects.create_user("operator", password="a-long-test-password")
    response = client.post(
        reverse("login"), {"username": "operator", "password": "a-long-test-password"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("web:overview")
    assert "No clusters connected yet" in response.content.decode()


def test_wrong_password_is_refused_with_a_message(client, django_user_model):
    django_user_model.objects.create_user("operator", password="a-long-test-password")
    response = client.post(reverse("login"), {"username": "operator", "password": "wrong"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_requires_post(client, django_user_model):
    user = django_user_model.objects.create_user("operator", password="a-long-test-password")
    client.force_login(user)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
