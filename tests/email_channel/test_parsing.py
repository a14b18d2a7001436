from email.message import EmailMessage

from email_channel.parsing import html_to_text, mail_parse, reply_part
from tests.email_channel.mails import PDF_BYTES, mail_bytes


def test_a_plain_mail_is_read_with_its_headers():
    raw = mail_bytes(
        message_id="<abc@example.net>",
        in_reply_to="<sd.1@shop.example>",
        references=["<first@example.net>", "<sd.1@shop.example>"],
    )
    parsed = mail_parse(raw)
    assert parsed.message_id == "<abc@example.net>"
    assert parsed.sender == "erika@example.net"
    assert parsed.sender_name == "Erika Mustermann"
    assert parsed.subject == "Wo bleibt meine Bestellung?"
    assert parsed.thread_ids == ("<sd.1@shop.example>", "<first@example.net>")
    assert parsed.automatic is None
    assert "Bestellung ist noch nicht da" in parsed.text_new


def test_html_becomes_plain_text_without_scripts_or_markup():
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Hallo <b>Team</b>,</p><p>mein <a href='https://example.net/o/1'>Auftrag</a>"
        "</p><img src='https://tracker.example/p.gif'></body></html>"
    )
    text = html_to_text(html)
    assert "Hallo Team," in text
    assert "Auftrag" in text
    assert "alert" not in text and "<" not in text.replace("<https://", "")
    assert "color:red" not in text
    assert "tracker.example" not in text


def test_an_html_only_mail_is_read_as_text():
    message = EmailMessage()
    message["From"] = "a@example.net"
    message["Message-ID"] = "<h@example.net>"
    message.set_content("<p>Nur <i>HTML</i> hier</p>", subtype="html")
    assert mail_parse(bytes(message)).text_new == "Nur HTML hier"


def test_the_plain_part_is_preferred_over_html():
    raw = mail_bytes(text="Plain text", html="<p>HTML text</p>")
    assert mail_parse(raw).text_new == "Plain text"


def test_quoted_history_is_trimmed_for_the_bot_but_kept():
    text = (
        "Danke, das hat geholfen.\n\nViele Grüße\nErika\n\n"
        "Am 05.12.2026 um 10:00 schrieb Support <support@shop.example>:\n"
        "> Ihre Bestellung ist unterwegs.\n"
    )
    parsed = mail_parse(mail_bytes(text=text))
    assert "Danke, das hat geholfen." in parsed.text_new
    assert "unterwegs" not in parsed.text_new
    assert "unterwegs" in parsed.text


def test_english_quotes_are_trimmed_too():
    text = "Thanks!\n\nOn Sat, Dec 5, 2026 at 10:00 AM Support <s@shop.example> wrote:\n> hello\n"
    assert reply_part(text) == "Thanks!"


def test_a_mail_that_is_all_quote_keeps_its_text():
    text = "> only a quote\n> nothing new\n"
    assert reply_part(text) != ""


def test_auto_replies_bounces_and_lists_are_recognised():
    cases = {
        "auto_reply": [
            {"Auto-Submitted": "auto-replied"},
            {"Auto-Submitted": "auto-generated"},
            {"X-Autoreply": "yes"},
            {"Precedence": "auto_reply"},
        ],
        "bulk": [
            {"Precedence": "bulk"},
            {"Precedence": "junk"},
            {"Precedence": "list"},
            {"List-Id": "<news.example.net>"},
        ],
    }
    for kind, header_sets in cases.items():
        for headers in header_sets:
            assert mail_parse(mail_bytes(headers=headers)).automatic == kind, headers
    assert mail_parse(mail_bytes(headers={"Auto-Submitted": "no"})).automatic is None
    daemon = mail_bytes(sender="MAILER-DAEMON@mx.example.net")
    assert mail_parse(daemon).automatic == "bounce"


def test_a_delivery_status_report_is_a_bounce():
    raw = (
        b"From: Mail Delivery System <mailer@mx.example.net>\r\n"
        b"Message-ID: <dsn@mx.example.net>\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    parsed = mail_parse(raw)
    assert parsed.automatic == "bounce"
    assert parsed.attachments == ()


def test_attachments_are_extracted_with_their_declared_type():
    raw = mail_bytes(attachments=[("Rechnung Erika.pdf", "application/pdf", PDF_BYTES)])
    (attachment,) = mail_parse(raw).attachments
    assert attachment.filename == "Rechnung Erika.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.payload == PDF_BYTES


def test_the_reply_token_is_found_in_the_subject():
    parsed = mail_parse(mail_bytes(subject="AW: Re: Bestellung [#SD-ABCDEFGH23]"))
    assert parsed.reply_token == "ABCDEFGH23"
    assert mail_parse(mail_bytes(subject="Bestellung")).reply_token is None


def test_a_broken_mail_parses_without_raising():
    parsed = mail_parse(b"\x00\xff not a mail at all")
    assert parsed.sender == ""
