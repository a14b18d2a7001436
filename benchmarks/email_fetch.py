"""E-mail benchmark: 10,000 queued mails (Maildir) fetched, parsed, threaded and stored.

    .venv/bin/python benchmarks/email_fetch.py [--mails 10000] [--services]

Runs on a fresh database of its own (SQLite by default; PostgreSQL with --services,
from SERVICES_DATABASE_URL) and a Maildir in a temporary folder. The mails: threads of
four (a first mail, then three replies whose In-Reply-To and References name the
earlier ones, German and English, some HTML, quoted history below each reply), one in
ten with a small PDF, and one in twenty an auto-reply. Printed: the fetch's time and
mails per second, how many conversations and messages resulted (every thread must be
one conversation), a second fetch of 1,000 of the same mails (all duplicates), and the
baseline of parsing alone.
"""

import argparse
import cProfile
import mailbox as stdlib_mailbox
import pstats
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.isolation import benchmark_database_prepare, isolated_environment  # noqa: E402

THREAD_LENGTH = 4
PDF = b"%PDF-1.4\n" + b"0" * 20_000 + b"\n%%EOF\n"
TEXTS = {
    "de": "Hallo, meine Bestellung {n} ist noch nicht angekommen. Können Sie nachsehen?",
    "en": "Hello, my order {n} has not arrived yet. Could you please check?",
}


def _mail(thread: int, position: int, *, auto: bool) -> bytes:
    language = "de" if thread % 2 else "en"
    sender = f"kunde{thread}@example.net"
    message = EmailMessage()
    message["From"] = f"Kunde {thread} <{sender}>"
    message["To"] = "support@shop.example"
    message["Message-ID"] = f"<{'auto' if auto else 't'}{thread}.m{position}@example.net>"
    message["Subject"] = ("Re: " if position else "") + f"Bestellung {thread}"
    earlier = [f"<t{thread}.m{n}@example.net>" for n in range(position)]
    if earlier:
        message["In-Reply-To"] = earlier[-1]
        message["References"] = " ".join(earlier)
    if auto:
        message["Auto-Submitted"] = "auto-replied"
    text = TEXTS[language].format(n=thread)
    if position:
        text += (
            f"\n\nAm 01.12.2026 schrieb Support <support@shop.example>:\n> Ihre Anfrage {thread}\n"
        )
    message.set_content(text)
    if thread % 3 == 0:
        message.add_alternative(f"<p>{text}</p>", subtype="html")
    if (thread * THREAD_LENGTH + position) % 10 == 0:
        message.add_attachment(PDF, maintype="application", subtype="pdf", filename="beleg.pdf")
    return bytes(message)


def _measure(mails: int, maildir: Path, profile: bool) -> None:
    import django

    django.setup()
    from django.db import connection

    from agents.models import Queue
    from bot.models import Conversation, Message
    from email_channel.models import Attachment, Mailbox, MailMessage
    from email_channel.parsing import mail_parse
    from email_channel.services import mailbox_fetch

    queue = Queue.objects.create(name="Bench", slug="bench")
    box = Mailbox.objects.create(
        queue=queue, address="support@shop.example", source="maildir", maildir_path=str(maildir)
    )
    folder = stdlib_mailbox.Maildir(maildir, create=True)
    threads = mails // THREAD_LENGTH
    raws = []
    for thread in range(threads):
        for position in range(THREAD_LENGTH):
            # Every twentieth thread's last mail is an out-of-office reply instead.
            raws.append(_mail(thread, position, auto=position == 3 and thread % 5 == 0))
    started = time.perf_counter()
    for raw in raws:
        mail_parse(raw)
    parse_seconds = time.perf_counter() - started
    for raw in raws:
        folder.add(raw)

    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    totals = {"stored": 0, "duplicate": 0, "ignored": 0, "failed": 0}
    if profiler is not None:
        profiler.enable()
    # Per batch: mails taken, seconds, SQL statements. Whether the cost per mail grows as
    # conversations accumulate shows as a trend over the batches (issue 17).
    batches: list[tuple[int, float, int]] = []
    statements = [0]

    def count_statement(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    while any((maildir / "new").iterdir()):
        batch_started, statements[0] = time.perf_counter(), 0
        with connection.execute_wrapper(count_statement):
            counts = mailbox_fetch(mailbox_id=box.pk)
        batches.append((sum(counts.values()), time.perf_counter() - batch_started, statements[0]))
        for key, value in counts.items():
            totals[key] += value
    fetch_seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    conversations = Conversation.objects.filter(channel="email").count()
    per_thread = set(
        Conversation.objects.filter(channel="email")
        .annotate(n=django.db.models.Count("messages"))
        .values_list("n", flat=True)
    )
    print(
        f"fetched {len(raws)} mails in {fetch_seconds:.1f} s "
        f"({len(raws) / fetch_seconds:.0f} mails/s, {fetch_seconds / len(raws) * 1000:.1f} ms each)"
    )
    print(
        f"  stored {totals['stored']}, auto-replies ignored {totals['ignored']}, "
        f"failed {totals['failed']}; {conversations} conversations for {threads} threads, "
        f"messages per conversation {sorted(per_thread)}; "
        f"{Message.objects.count()} messages, {Attachment.objects.count()} attachments, "
        f"{MailMessage.objects.count()} mail records"
    )
    taken = [batch for batch in batches if batch[0]]
    print(
        "per batch of up to EMAIL_FETCH_BATCH_SIZE mails, in order: ms per mail "
        + " ".join(f"{seconds / mails * 1000:.0f}" for mails, seconds, _n in taken)
        + "; SQL statements per mail "
        + " ".join(f"{statements / mails:.1f}" for mails, _s, statements in taken)
    )
    for raw in raws[:1000]:
        folder.add(raw)
    started = time.perf_counter()
    again = mailbox_fetch(mailbox_id=box.pk, limit=1000)
    duplicate_seconds = time.perf_counter() - started
    print(
        f"the same 1000 mails again: {again['duplicate']} duplicates in {duplicate_seconds:.2f} s"
        f" ({1000 / duplicate_seconds:.0f} mails/s)"
    )
    print(
        f"baseline (parsing alone): {parse_seconds:.1f} s ({len(raws) / parse_seconds:.0f} mails/s)"
        f"   ratio x{fetch_seconds / parse_seconds:.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--services", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print where the fetch's time goes")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _measure(args.mails, Path(args.child), args.profile)
        return 0
    with tempfile.TemporaryDirectory(prefix="supportdesk-email-bench-") as tmp:
        env = isolated_environment(Path(tmp))
        print(benchmark_database_prepare(env, services=args.services))
        return subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(Path(tmp) / "Maildir"),
                "--mails",
                str(args.mails),
                *(["--profile"] if args.profile else []),
            ],
            env={**env, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
