"""Staff accounts in a real browser (Debian's Chromium through Playwright), against daphne:
the second factor before personal data, lock-out and release, single sign-on against a
real OpenID Connect provider (oidc-provider on Node, started here; `make oidc-provider`
installs it), and an admin ending a session closing that person's inbox socket.
Screenshots go to var/test-artifacts/."""

import json
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from agents.models import AgentProfile
from staff import roles
from tests.factories import AgentFactory, DataSubjectFactory, QueueFactory, UserFactory
from tests.processes import (
    ARTIFACTS,
    ManagedProcess,
    daphne_server,
    free_port,
    port_open,
)
from tests.staff.second_factor import recovery_codes_for, totp_code, totp_wait_for_fresh_step

PROVIDER_DIR = Path(settings.BASE_DIR) / "tests" / "staff" / "oidc_provider"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def outside_the_event_loop(function):
    """Playwright's sync API runs an event loop in this thread: the ORM goes to another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def new_page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    return context.new_page()


def password_sign_in(page, base_url, username, path="/inbox/login/", password="test-password"):
    page.goto(f"{base_url}{path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")


@pytest.fixture
def officer_and_subject(transactional_db):
    UserFactory(username="paula", role=roles.PRIVACY_OFFICER)
    return DataSubjectFactory()


def test_a_privacy_officer_reaches_personal_data_only_after_the_second_factor(
    officer_and_subject, tmp_path, browser
):
    from playwright.sync_api import expect

    subject = officer_and_subject
    subjects = "/admin/privacy/datasubject/"
    with daphne_server(tmp_path / "daphne.log") as base_url:
        page = new_page(browser)
        password_sign_in(page, base_url, "paula", path=f"/admin/login/?next={subjects}")

        # The password was right; the next page sets up the second factor, not the data.
        page.wait_for_url(re.compile(r"/staff/two-factor/setup/"))
        expect(page.locator("h1")).to_have_text("Set up a second factor")
        page.screenshot(path=ARTIFACTS / "staff-2fa-setup.png", full_page=True)
        for path in (subjects, f"{subjects}{subject.pk}/change/", "/privacy/dashboard/"):
            page.goto(base_url + path)
            assert "/staff/two-factor/" in page.url, path
            assert str(subject.public_id) not in page.content()

        # Enrol with the key the page shows, as an authenticator app would.
        secret = page.locator("#totp-secret").inner_text()
        totp_wait_for_fresh_step()
        page.locator("#id_code").fill(totp_code(secret))
        page.get_by_role("button", name="Turn on").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.screenshot(path=ARTIFACTS / "staff-2fa-recovery-codes.png", full_page=True)
        page.get_by_role("link", name="Continue").click()

        # Back where the last refused visit wanted to go; now every page opens.
        page.wait_for_url(f"{base_url}/privacy/dashboard/")
        page.goto(base_url + subjects)
        expect(page.locator("#result_list")).to_contain_text(str(subject.public_id))


@pytest.fixture
def anna(transactional_db):
    anna = AgentFactory(username="anna")
    AgentProfile.objects.create(user=anna, display_name="Anna", availability="online")
    QueueFactory(name="Kundenservice", members=[anna])
    return anna


def test_lock_out_after_failed_sign_ins_and_release_after_the_cool_down(anna, tmp_path, browser):
    from playwright.sync_api import expect

    cool_down = 4
    environment = {"STAFF_LOGIN_FAILURE_LIMIT": "3", "STAFF_LOGIN_COOLOFF_SECONDS": str(cool_down)}
    with daphne_server(tmp_path / "daphne.log", **environment) as base_url:
        page = new_page(browser)
        for _ in range(2):
            password_sign_in(page, base_url, "anna", password="wrong")
            expect(page.locator("#login-error")).to_be_visible()
        password_sign_in(page, base_url, "anna", password="wrong")
        expect(page.locator("#locked-out")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "staff-locked-out.png", full_page=True)

        # Locked out: the right password does not get in either.
        password_sign_in(page, base_url, "anna")
        expect(page.locator("#locked-out")).to_be_visible()
        assert not page.url.endswith("/inbox/")

        time.sleep(cool_down + 1)
        password_sign_in(page, base_url, "anna")
        page.wait_for_url(f"{base_url}/inbox/")


@pytest.fixture
def oidc_provider(tmp_path):
    """The provider's port and a function that starts it for a given redirect URI."""
    node = shutil.which("node")
    assert node, "Node.js is missing: the SSO test runs oidc-provider on it."
    assert (PROVIDER_DIR / "node_modules" / "oidc-provider").exists(), (
        "oidc-provider is missing: run `make oidc-provider`."
    )
    port = free_port()
    started: list[ManagedProcess] = []
    accounts = {
        "sam": {"email": "sam@example.org", "given_name": "Sam", "groups": ["support-agents"]},
        "otto": {"email": "otto@example.org", "given_name": "Otto", "groups": ["marketing"]},
    }

    def start(redirect_uri: str) -> str:
        command = [
            node,
            str(PROVIDER_DIR / "provider.mjs"),
            str(port),
            "supportdesk-test",
            "test-only-client-secret",
            redirect_uri,
            json.dumps(accounts),
        ]
        process = ManagedProcess(
            "oidc-provider",
            command,
            env={"PATH": "/usr/bin:/bin", "NODE_ENV": "development"},
            log_path=tmp_path / "oidc-provider.log",
            ready=lambda: port_open(port),
        )
        started.append(process.start())
        return f"http://127.0.0.1:{port}"

    yield port, start
    for process in started:
        process.stop()


def test_single_sign_on_maps_a_group_to_the_agent_role(
    transactional_db, tmp_path, oidc_provider, browser
):
    from playwright.sync_api import expect

    port, start_provider = oidc_provider
    issuer = f"http://127.0.0.1:{port}"
    environment = {
        "OIDC_RP_CLIENT_ID": "supportdesk-test",
        "OIDC_RP_CLIENT_SECRET": "test-only-client-secret",
        "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{issuer}/auth",
        "OIDC_OP_TOKEN_ENDPOINT": f"{issuer}/token",
        "OIDC_OP_USER_ENDPOINT": f"{issuer}/me",
        "OIDC_OP_JWKS_ENDPOINT": f"{issuer}/jwks",
        "OIDC_GROUP_ROLES": "support-agents=agent,dpo=privacy officer",
        "OIDC_PROVIDER_NAME": "Test IdP",
    }
    with daphne_server(tmp_path / "daphne.log", **environment) as base_url:
        start_provider(f"{base_url}/oidc/callback/")
        page = new_page(browser)
        page.goto(f"{base_url}/inbox/login/")
        page.get_by_role("link", name="Sign in with Test IdP").click()

        # The provider's own sign-in and consent pages.
        page.locator("input[name=login]").fill("sam")
        page.locator("input[name=password]").fill("any")
        page.locator("button[type=submit]").click()
        page.locator("button[type=submit]").click()  # consent: Continue

        page.wait_for_url(f"{base_url}/inbox/")
        expect(page.locator("#inbox-live")).to_contain_text("Live")
        page.screenshot(path=ARTIFACTS / "staff-sso-inbox.png", full_page=True)
        user = outside_the_event_loop(lambda: get_user_model().objects.get(email="sam@example.org"))
        role_names = outside_the_event_loop(lambda: set(user.groups.values_list("name", flat=True)))
        assert role_names == {roles.AGENT}
        assert not user.has_usable_password()

        # A person whose groups map to no role is sent back, signed out.
        other = new_page(browser)
        other.goto(f"{base_url}/inbox/login/")
        other.get_by_role("link", name="Sign in with Test IdP").click()
        other.locator("input[name=login]").fill("otto")
        other.locator("input[name=password]").fill("any")
        other.locator("button[type=submit]").click()
        other.locator("button[type=submit]").click()
        other.wait_for_url(re.compile(r"/inbox/login/\?sso=failed"))
        assert not outside_the_event_loop(
            lambda: get_user_model().objects.filter(email="otto@example.org").exists()
        )


@pytest.fixture
def ada_code(transactional_db):
    """Ada, a superuser, and a recovery code for her sign-in."""
    return recovery_codes_for(UserFactory(username="ada", is_superuser=True), count=1)[0]


def test_ending_a_session_closes_that_persons_inbox_socket(anna, ada_code, tmp_path, browser):
    from playwright.sync_api import expect

    code = ada_code
    with daphne_server(tmp_path / "daphne.log") as base_url:
        agent = new_page(browser)
        closed: list[float] = []
        agent.on(
            "websocket",
            lambda socket: socket.on("close", lambda _socket: closed.append(time.monotonic())),
        )
        password_sign_in(agent, base_url, "anna")
        agent.wait_for_url(f"{base_url}/inbox/")
        expect(agent.locator("#inbox-live")).to_contain_text("Live")

        admin = new_page(browser)
        password_sign_in(
            admin, base_url, "ada", path="/admin/login/?next=/admin/staff/staffsession/"
        )
        admin.wait_for_url(re.compile(r"/staff/two-factor/"))
        admin.locator("#id_code").fill(code)
        admin.locator("#id_code").press("Enter")
        admin.wait_for_url(f"{base_url}/admin/staff/staffsession/")
        row = admin.locator("#result_list tbody tr", has_text="anna")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("HeadlessChrome")
        admin.screenshot(path=ARTIFACTS / "staff-sessions-admin.png", full_page=True)

        row.locator("input[name=_selected_action]").check()
        admin.locator("select[name=action]").select_option("end_sessions")
        ended_at = time.monotonic()
        admin.locator("button[name=index]").click()
        expect(admin.locator(".messagelist")).to_contain_text("The sessions were ended")

        # Anna's open inbox loses its live socket within seconds, and the page its session.
        expect(agent.locator("#inbox-live")).not_to_contain_text("Live", timeout=5000)
        assert closed and closed[0] - ended_at < 5
        agent.screenshot(path=ARTIFACTS / "staff-session-ended-inbox.png", full_page=True)
        agent.reload()
        assert "/inbox/login/" in agent.url
