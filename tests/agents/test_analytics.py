"""The supervisors' analytics: figures worked out by hand from a seeded week
(tests/agents/analytics_seed.py), the page's filters and charts, the CSV export, and
that no customer's name or address reaches any of it."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.analytics import analytics_report, duration
from agents.models import AgentProfile
from agents.selectors import (
    analytics_escalation_reasons,
    analytics_first_response,
    analytics_resolution,
    analytics_satisfaction_per_agent,
    analytics_satisfaction_per_queue,
    analytics_top_intents,
    analytics_volume_by_channel,
    analytics_volume_by_hour,
)
from tests.agents.analytics_seed import CUSTOMER_EMAIL, CUSTOMER_NAME, analytics_seed
from tests.agents.conftest import client_for
from tests.factories import QueueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("knowledge_base")]


@pytest.fixture
def seeded(queue, agent):
    AgentProfile.objects.create(user=agent, display_name="Anna")
    return analytics_seed(agent=agent)


@pytest.fixture
def week():
    today = timezone.localdate()
    return {"since": today - timedelta(days=6), "until": today}


class TestFigures:
    def test_first_reply_and_resolution_times_are_measured_from_the_hand_over(self, seeded, week):
        first = analytics_first_response(**week)
        resolution = analytics_resolution(**week)

        # B: 3 min, C: 30 s; E got no reply yet and is not counted.
        assert (first.count, first.median) == (2, (180 + 30) / 2)
        assert first.buckets[:2] == [1, 1]
        # B: 24 min, C: 90 min.
        assert (resolution.count, resolution.median) == (2, (24 * 60 + 90 * 60) / 2)
        assert resolution.buckets[3:5] == [1, 1]

    def test_volume_by_channel_and_hour(self, seeded, week):
        channels = {code: count for code, _label, count in analytics_volume_by_channel(**week)}
        hours = analytics_volume_by_hour(**week)

        # Every channel is listed, the quiet ones with 0.
        assert channels == {
            "web": 4,
            "telegram": 1,
            "whatsapp": 1,
            "messenger": 0,
            "form": 0,
            "email": 0,
        }
        assert (hours[0], hours[9], hours[10], hours[14], sum(hours)) == (1, 1, 2, 2, 6)

    def test_escalation_reasons_and_satisfaction_per_agent_and_queue(self, seeded, week, queue):
        reasons = [(code, count) for code, _label, count in analytics_escalation_reasons(**week)]
        [per_agent] = analytics_satisfaction_per_agent(**week)
        [per_queue] = analytics_satisfaction_per_queue(**week)

        assert sorted(reasons) == [
            ("customer_request", 1),
            ("low_confidence", 1),
            ("negative_feedback", 1),
        ]
        assert (per_agent.name, per_agent.average, per_agent.ratings) == ("Anna", 3, 2)
        assert (per_queue.name, per_queue.average) == (queue.name, 3)

    def test_top_intents_carry_the_titles_of_the_pages_language(self, seeded, week):
        top = analytics_top_intents(**week, language="de")

        assert top[0] == ("order_change", "Bestellung ändern", 3)
        assert top[1][0] == "shipping_costs" and top[1][2] == 1

    def test_the_queue_filter_narrows_the_team_figures(self, seeded, week):
        other = QueueFactory(name="Elsewhere")

        report = analytics_report(**week, queue=other)

        assert report.first_response.count == 0 and report.reasons == []
        assert sum(report.hours) == 0
        # The bot's own figures cover every queue.
        assert report.totals["conversations"] == 6 and report.top_intents

    def test_automation_and_answer_precision_over_the_period(self, seeded, week):
        totals = analytics_report(**week).totals

        # A, D, F without a person out of six; two of three rated answers helpful.
        assert totals["automation_rate"] == 0.5
        assert totals["answer_precision"] == pytest.approx(2 / 3)
        assert totals["csat_average"] == 3


class TestPage:
    def test_the_charts_are_drawn_from_the_figures(self, seeded, supervisor):
        page = client_for(supervisor).get("/inbox/analytics/").content.decode()

        channels = re.search(r'id="chart-channels".*?</figure>', page, re.S).group(0)
        bars = dict(
            re.findall(
                r'<rect class="chart-bar"[^>]*data-label="([^"]+)" data-value="([^"]+)"', channels
            )
        )
        assert bars == {
            "Website chat": "4",
            "Telegram": "1",
            "WhatsApp": "1",
            "Facebook Messenger": "0",
            "Contact form": "0",
            "E-mail": "0",
        }
        daily = re.search(r'id="chart-daily".*?</figure>', page, re.S).group(0)
        assert daily.count("<polyline") == 3
        assert 'data-series="automation_rate"' in daily
        assert "<table>" in daily  # the table view of the same figures
        assert 'data-kpi="automation_rate">50%' in page

    def test_numbers_follow_the_pages_language(self, seeded, supervisor):
        german = client_for(supervisor, "de").get("/inbox/analytics/").content.decode()
        english = client_for(supervisor, "en").get("/inbox/analytics/").content.decode()

        assert 'data-kpi="answer_precision">67 %' in german
        assert 'data-kpi="answer_precision">67%' in english
        assert "3,0 von 5" in german and "3.0 of 5" in english
        # The day axis: short days in the page's order; the table: full dates.
        first = timezone.localdate() - timedelta(days=29)
        assert f'text-anchor="middle">{first.day}.{first.month}.</text>' in german
        assert f'text-anchor="middle">{first.month}/{first.day}</text>' in english
        assert f'<th scope="row">{first:%d.%m.%Y}</th>' in german

    def test_no_personal_data_reaches_the_page_or_the_export(self, seeded, supervisor):
        client = client_for(supervisor)
        page = client.get("/inbox/analytics/").content.decode()
        export = client.get("/inbox/analytics/export.csv").content.decode()

        for text in (page, export):
            assert CUSTOMER_NAME not in text and CUSTOMER_EMAIL not in text
            assert "Waltraud" not in text

    def test_bad_filters_are_explained_on_the_field_not_a_500(self, seeded, supervisor):
        client = client_for(supervisor)
        page = client.get("/inbox/analytics/", {"since": "2026-12-31", "until": "2026-01-01"})
        garbage = client.get("/inbox/analytics/", {"since": "yesterday", "queue": "x"})
        export = client.get("/inbox/analytics/export.csv", {"since": "yesterday"})

        assert page.status_code == garbage.status_code == 200
        html = page.content.decode()
        assert "The start must not be after the end." in html
        assert re.search(r'<input[^>]*name="since"[^>]*aria-invalid="true"', html)
        assert 'aria-describedby="id_since_error"' in html
        assert export.status_code == 400

    def test_agents_without_the_permission_get_no_export(self, agent):
        assert client_for(agent).get("/inbox/analytics/export.csv").status_code == 403


class TestExport:
    def test_the_csv_holds_every_figure_machine_readable(self, seeded, supervisor, queue):
        response = client_for(supervisor, "de").get(
            "/inbox/analytics/export.csv", {"queue": queue.pk}
        )

        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        values = {(figure, key): value for figure, key, value in rows[1:]}
        assert values[("period", "queue")] == queue.slug
        assert values[("first_response_seconds", "median")] == "105.0"
        assert values[("conversations_by_channel", "telegram")] == "1"
        assert values[("bot_answers_by_intent", "order_change")] == "3"
        assert values[("satisfaction_by_agent", "Anna")] == "3.0"

    def test_a_name_a_spreadsheet_would_run_is_quoted(self, seeded, supervisor, queue):
        queue.name = "=HYPERLINK(1)"
        queue.save()

        export = client_for(supervisor).get("/inbox/analytics/export.csv").content.decode()

        assert "'=HYPERLINK(1)" in export


def test_durations_read_like_speech():
    assert [duration(s) for s in (None, 30, 180, 5400, 2 * 86400 + 3600)] == [
        "—",
        "30 s",
        "3 min",
        "1 h 30 min",
        "2 d 1 h",
    ]
