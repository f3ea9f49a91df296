"""Password reset by e-mail: the link on the login page, the mail, the new password
(issue 22, item 7). The test settings send mail to the locmem outbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "новый-длинный-пароль-2026"


def reset_link(body: str) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/reset/[^\s]+/)", body)
    assert found, body
    return found.group(1)


def test_the_login_page_links_to_password_reset(client: Client) -> None:
    html = client.get(reverse("accounts:login")).content.decode()

    assert f'href="{reverse("accounts:password_reset")}"' in html
    assert "Забыли пароль?" in html


def test_a_learner_resets_a_forgotten_password_by_e_mail(client: Client) -> None:
    learner = UserFactory.create(username="ученица", email="learner@example.org")
    learner.set_password("старый-пароль-2026")
    learner.save()

    response = client.post(reverse("accounts:password_reset"), {"email": "learner@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["learner@example.org"]
    assert message.subject == "Сброс пароля на Zachet"
    assert "Здравствуйте, ученица." in message.body
    link = reset_link(str(message.body))

    # The link redirects to a URL without the token (Django's guard against leaking it).
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Выберите новый пароль" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert "Пароль изменён" in client.get(done["Location"]).content.decode()

    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    assert client.login(username="ученица", password=NEW_PASSWORD)
    # Used once: the same link no longer works.
    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert "Ссылка больше не действует" in again


def test_the_mail_and_pages_are_in_english_for_an_english_reader(client: Client) -> None:
    UserFactory.create(username="learner", email="learner@example.org")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(reverse("accounts:password_reset")).content.decode()
    assert "Reset your password" in page
    client.post(reverse("accounts:password_reset"), {"email": "learner@example.org"})

    message = mail.outbox[0]
    assert message.subject == "Password reset on Zachet"
    assert "Hello, learner." in message.body
    assert "/accounts/reset/" in message.body
    done = client.get(reverse("accounts:password_reset_done")).content.decode()
    assert "Check your e-mail" in done


def test_an_unknown_address_sends_nothing_and_says_the_same(client: Client) -> None:
    """No account enumeration: the page does not tell whether the address has an account."""
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_a_bad_address_is_named_and_nothing_is_sent(client: Client) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "not-an-address"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field field--invalid"' in html
    assert "Введите правильный адрес электронной почты." in html
    assert mail.outbox == []


def test_mismatched_new_passwords_change_nothing(client: Client) -> None:
    learner = UserFactory.create(email="learner@example.org")
    learner.set_password("старый-пароль-2026")
    learner.save()
    client.post(reverse("accounts:password_reset"), {"email": "learner@example.org"})
    form_page = client.get(reset_link(str(mail.outbox[0].body)), follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
    )

    assert response.status_code == 200
    assert "field--invalid" in response.content.decode()
    learner.refresh_from_db()
    assert learner.check_password("старый-пароль-2026")
    assert User.objects.count() == 1


# --- the rate limit (issue 22, item 7): reset e-mails are not a way to flood a mailbox ---------

LIMITED_RU = "Слишком много запросов на сброс пароля"


def ask(client: Client, email: str, address: str = "203.0.113.5", **headers: str) -> Any:
    extra: dict[str, Any] = {"REMOTE_ADDR": address, **headers}
    return client.post(reverse("accounts:password_reset"), {"email": email}, **extra)


def test_an_e_mail_address_gets_a_few_resets_an_hour_then_a_clear_message(
    client: Client, settings: Any
) -> None:
    settings.ACCOUNTS_PASSWORD_RESETS_PER_EMAIL = 2
    UserFactory.create(email="learner@example.org")

    # Different client addresses, the same mailbox (in any letter case).
    assert ask(client, "learner@example.org", "203.0.113.1").status_code == 302
    assert ask(client, "Learner@Example.org", "203.0.113.2").status_code == 302
    limited = ask(client, "learner@example.org", "203.0.113.3")

    assert limited.status_code == 429
    html = limited.content.decode()
    assert LIMITED_RU in html
    assert 'role="alert"' in html
    assert len(mail.outbox) == 2
    # Another mailbox is not held back.
    UserFactory.create(email="other@example.org")
    assert ask(client, "other@example.org", "203.0.113.3").status_code == 302
    assert len(mail.outbox) == 3


def test_a_client_address_gets_a_few_resets_an_hour_for_any_mailboxes(
    client: Client, settings: Any
) -> None:
    settings.ACCOUNTS_PASSWORD_RESETS_PER_ADDRESS = 3
    for n in range(3):
        assert ask(client, f"nobody{n}@example.org").status_code == 302
    UserFactory.create(email="learner@example.org")

    limited = ask(client, "learner@example.org")

    assert limited.status_code == 429
    assert mail.outbox == []  # (the unknown ones sent nothing; the limited one neither)
    assert ask(client, "learner@example.org", "198.51.100.7").status_code == 302
    assert len(mail.outbox) == 1


def test_the_limit_message_is_in_english_for_an_english_reader(
    client: Client, settings: Any
) -> None:
    settings.ACCOUNTS_PASSWORD_RESETS_PER_EMAIL = 0
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = ask(client, "learner@example.org").content.decode()

    assert "Too many password reset requests for this address." in html


def test_behind_the_proxy_the_address_it_forwarded_is_counted(
    client: Client, settings: Any
) -> None:
    """Every request comes from the proxy's address: counted by it, one client would use up
    everyone's resets. The client's own X-Forwarded-For entries are not believed."""
    settings.ACCOUNTS_PASSWORD_RESETS_PER_ADDRESS = 1
    settings.FORWARDED_ALLOW_IPS = "127.0.0.1"
    proxied = {"REMOTE_ADDR": "127.0.0.1"}

    first = ask(client, "a@example.org", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxied)
    other_client = ask(client, "b@example.org", HTTP_X_FORWARDED_FOR="198.51.100.2", **proxied)
    # The first client again, pretending to be someone else in the header's first entry.
    again = ask(client, "c@example.org", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.9", **proxied)
    # Not from the proxy: the header is the client's own and is ignored.
    direct = ask(client, "d@example.org", "203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.50")

    assert (first.status_code, other_client.status_code) == (302, 302)
    assert again.status_code == 429
    assert direct.status_code == 429
