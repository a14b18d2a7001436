"""Two agents claiming at once on PostgreSQL: exactly one wins, the other is told who.

Real concurrency needs a real server (SQLite serialises writers), so this runs
in `make test-services`.
"""

import threading

import pytest
from django.db import connection

from agents import services
from agents.models import Assignment
from privacy.models import AuditEvent

ROUNDS = 20


def _claim_at_once(conversation, agents) -> list[str]:
    barrier = threading.Barrier(len(agents))
    outcomes: list[str] = []

    def claim(agent):
        try:
            barrier.wait(timeout=10)
            services.conversation_claim(conversation=conversation, agent=agent)
            outcomes.append(f"won:{agent.pk}")
        except services.InboxError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_agents_claiming_at_once_exactly_one_wins(escalate, agent, colleague):
    assert connection.vendor == "postgresql"
    for _round in range(ROUNDS):
        conversation = escalate()

        outcomes = _claim_at_once(conversation, [agent, colleague])

        winners = [o for o in outcomes if o.startswith("won:")]
        assert len(winners) == 1 and outcomes.count("already_claimed") == 1, outcomes
        holder = Assignment.objects.get(conversation=conversation).agent_id
        assert winners == [f"won:{holder}"]
    assert AuditEvent.objects.filter(action="conversation.claimed").count() == ROUNDS
