"""Privacy benchmarks: export a subject with 10,000 messages; purge 100,000 expired messages.

    .venv/bin/python benchmarks/privacy_bench.py [--messages 10000] [--purge 100000] [--services]

Runs on a fresh database of its own (SQLite by default; PostgreSQL with
--services, from SERVICES_DATABASE_URL). Targets: the export in under 10 s on
the embedded default, the purge in at most 60 s on PostgreSQL. The baseline in
the same run: writing the same messages (the cost of the data itself).
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.isolation import benchmark_database_prepare, isolated_environment  # noqa: E402


def _measure(messages: int, purge: int) -> None:
    import django

    django.setup()
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from bot.models import Conversation, Message
    from bot.services import conversation_start
    from privacy.services import data_export_archive, data_subject_identify, retention_purge

    def bulk_messages(conversation, count: int, text: str) -> None:
        batch = 2000
        for start in range(0, count, batch):
            Message.objects.bulk_create(
                Message(
                    conversation=conversation,
                    seq=start + n + 1,
                    sender="customer",
                    text=f"{text} {start + n}",
                    text_redacted=f"{text} {start + n}",
                )
                for n in range(min(batch, count - start))
            )
        Conversation.objects.filter(pk=conversation.pk).update(last_seq=count)

    subject = data_subject_identify(name="Bench Kunde", email="bench@example.org")
    conversation, _token = conversation_start()
    Conversation.objects.filter(pk=conversation.pk).update(subject=subject)
    started = time.perf_counter()
    with transaction.atomic():
        bulk_messages(conversation, messages, "Wo ist meine Bestellung Nummer")
    write_seconds = time.perf_counter() - started

    started = time.perf_counter()
    archive = data_export_archive(subject=subject, language="de")
    export_seconds = time.perf_counter() - started
    print(
        f"export of {messages} messages: {export_seconds:.2f} s ({len(archive) / 1e6:.1f} MB ZIP)"
        f"   baseline (writing them): {write_seconds:.2f} s"
        f"   ratio x{export_seconds / write_seconds:.2f}"
    )

    per_conversation = 500
    old = timezone.now() - timedelta(days=400)
    started = time.perf_counter()
    with transaction.atomic():
        for _ in range(purge // per_conversation):
            expired, _token = conversation_start()
            bulk_messages(expired, per_conversation, "alt")
        Conversation.objects.exclude(pk=conversation.pk).update(
            status="closed", resolved_at=old, closed_at=old
        )
    seed_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run = retention_purge()
    while run.more_pending:
        run = retention_purge()
    purge_seconds = time.perf_counter() - started
    left = Message.objects.exclude(conversation=conversation).count()
    print(
        f"purge of {purge} expired messages: {purge_seconds:.2f} s, {left} left"
        f"   baseline (writing them): {seed_seconds:.2f} s"
        f"   ratio x{purge_seconds / seed_seconds:.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--purge", type=int, default=100_000)
    parser.add_argument("--services", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _measure(args.messages, args.purge)
        return 0
    with tempfile.TemporaryDirectory(prefix="supportdesk-privacy-bench-") as tmp:
        env = isolated_environment(Path(tmp))
        print(benchmark_database_prepare(env, services=args.services))
        return subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--messages",
                str(args.messages),
                "--purge",
                str(args.purge),
            ],
            env={**env, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
