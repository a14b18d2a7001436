"""Reading a raw mail: headers, the text (HTML made plain), the new part without quoted
history, attachments, and whether a machine wrote it (RFC 3834 and friends).

Pure functions of the bytes: no database, so they are tested on their own.
"""

import email
import email.parser
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

import html2text
from mailparser_reply import EmailReplyParser

# A Message-ID, In-Reply-To or References entry: "<local@domain>".
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Our reply token in a subject: "[#SD-3F9A2C7B1E]" (see services.reply_token_new).
REPLY_TOKEN = re.compile(r"\[#SD-([0-9A-Z]{10})\]")
SUBJECT_MAX_LENGTH = 998
# Precedence values that mark mail nobody wrote to us in person (RFC 2076, RFC 3834 §2).
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Headers some auto-responders set instead of Auto-Submitted.
_AUTO_REPLY_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-autoreply-from",
    "x-mail-autoreply",
)


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    subject: str
    sender: str  # normalised address, "" when missing or unreadable
    sender_name: str
    # The whole text (quoted history included) and the new part only.
    text: str
    text_new: str
    attachments: tuple[ParsedAttachment, ...] = ()
    # None for a person's mail; else MailMessage.Kind: "auto_reply", "bounce", "bulk".
    automatic: str | None = None

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, nearest first (In-Reply-To, then References
        from the newest)."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [mid for mid in reversed(self.references) if mid not in ids]
        return tuple(ids)

    @property
    def reply_token(self) -> str | None:
        match = REPLY_TOKEN.search(self.subject)
        return match.group(1) if match else None


def _ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot read
        return ""
    return " ".join(str(value or "").split())


def html_to_text(html: str) -> str:
    """Plain text from HTML: scripts, styles, images and markup gone, links as text.

    html2text writes Markdown; emphasis marks and wrapping are switched off, so what
    agents read is the text as the customer meant it. The result is plain text and is
    escaped like any other message wherever it is shown.
    """
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = False
    converter.protect_links = True
    converter.unicode_snob = True
    text = converter.handle(html)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def reply_part(text: str, *, languages: tuple[str, ...] = ("de", "en")) -> str:
    """The new part of a mail, without the quoted history below it (German and English
    mail clients' "On … wrote:" lines, Outlook's header blocks, "> " quotes)."""
    if not text.strip():
        return ""
    latest = EmailReplyParser(languages=list(languages)).parse_reply(text)
    latest = (latest or "").strip()
    # A mail that is all quote (a forward without a word): keep the text rather than nothing.
    return latest or text.strip()


def _automatic(message: EmailMessage, *, content_type: str) -> str | None:
    """RFC 3834 Auto-Submitted, Precedence, the auto-responders' own headers, list mail,
    and delivery reports (RFC 3464 multipart/report): none of it is answered."""
    if content_type == "multipart/report" or _header(message, "X-Failed-Recipients"):
        return "bounce"
    sender = parseaddr(_header(message, "From"))[1].lower()
    if sender.startswith(("mailer-daemon@", "postmaster@")) or not _header(message, "From"):
        return "bounce"
    if _header(message, "Return-Path") == "<>":
        return "bounce"
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    if any(_header(message, name) for name in _AUTO_REPLY_HEADERS):
        return "auto_reply"
    precedence = _header(message, "Precedence").lower()
    if precedence == "auto_reply":
        return "auto_reply"
    if precedence in _BULK_PRECEDENCE or _header(message, "List-Id"):
        return "bulk"
    if _header(message, "List-Unsubscribe"):
        return "bulk"
    return None


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        payload = body.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    if body.get_content_type() == "text/html":
        return html_to_text(content)
    return content.replace("\r\n", "\n").strip()


def _attachments(message: EmailMessage) -> list[ParsedAttachment]:
    found = []
    for part in message.iter_attachments():
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        found.append(
            ParsedAttachment(
                filename=(part.get_filename() or "attachment")[:255],
                content_type=part.get_content_type()[:100],
                payload=payload,
            )
        )
    return found


def header_message_id(raw: bytes) -> str:
    """The mail's Message-ID from its headers alone (cheap: a duplicate is known before
    the body is parsed); "" when it has none."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    found = _ids(_header(headers, "Message-ID"))
    return found[0] if found else ""


def mail_parse(raw: bytes) -> ParsedMail:
    """Everything Supportdesk reads from a raw mail (RFC 5322 bytes)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = parseaddr(_header(message, "From"))
    if "@" not in address:
        address = ""
    text = _text_of(message)
    content_type = message.get_content_type()
    automatic = _automatic(message, content_type=content_type)
    message_ids = _ids(_header(message, "Message-ID"))
    in_reply_to = _ids(_header(message, "In-Reply-To"))
    return ParsedMail(
        message_id=message_ids[0] if message_ids else "",
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=tuple(_ids(_header(message, "References"))),
        subject=_header(message, "Subject")[:SUBJECT_MAX_LENGTH],
        sender=address.strip().lower(),
        sender_name=name.strip()[:200],
        text=text,
        text_new=reply_part(text) if automatic is None else "",
        attachments=tuple(_attachments(message)) if automatic is None else (),
        automatic=automatic,
    )
