import pytest

from platform_core import health
from platform_core.health import HealthResult, health_check_register, health_problems


@pytest.fixture
def registered_checks():
    saved = dict(health._CHECKS)
    yield
    health._CHECKS.clear()
    health._CHECKS.update(saved)


@pytest.mark.django_db
def test_health_answers_200_when_every_check_passes(client):
    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {"name": "database", "ok": True}.items() <= body["checks"][0].items()


@pytest.mark.django_db
def test_health_answers_503_naming_the_failed_check(client, registered_checks):
    health_check_register(
        "example", lambda: HealthResult(name="example", ok=False, summary="Example is down.")
    )

    response = client.get("/health/")

    assert response.status_code == 503
    failed = [c for c in response.json()["checks"] if not c["ok"]]
    assert failed == [
        {"name": "example", "ok": False, "summary": "Example is down.", "details": {}}
    ]


@pytest.mark.django_db
def test_a_check_that_raises_is_reported_as_failed_not_a_500(client, registered_checks):
    def broken():
        raise RuntimeError("boom")

    health_check_register("broken", broken)

    response = client.get("/health/")

    assert response.status_code == 503
    assert any(c["name"] == "broken" and not c["ok"] for c in response.json()["checks"])


@pytest.mark.django_db
def test_health_problems_lists_only_failed_checks(registered_checks):
    health_check_register("fine", lambda: HealthResult(name="fine", ok=True, summary="Fine."))
    health_check_register("bad", lambda: [HealthResult(name="bad.de", ok=False, summary="Bad.")])

    problems = health_problems(fresh=True)

    assert [p.name for p in problems] == ["bad.de"]
