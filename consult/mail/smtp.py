"""What goes on the wire: each message's bytes (`OutboxEmail`), and the outbox sender's SMTP
connection, one per run, each exchange overlapping the sender's work (`SMTPPipeline`).

`SMTPPipeline.submit()` hands a serialised message to a thread that owns the connection and
returns at once, so the sender renders the next message while the server takes this one. The
thread speaks exactly what `smtplib.SMTP.sendmail` speaks (MAIL with SIZE, RCPT, DATA, the
dot-stuffed content), one command after the other; it does not use ESMTP PIPELINING.

The guarantee that a sender killed at any moment re-sends at most one message rests on this:
the thread sends message k+1's envelope (MAIL, RCPT, DATA) while the caller records message k
as sent, but sends k+1's content, which is what delivers it, only once the caller has released
it (`Exchange.release()`, after k's row is committed). So at most one message is ever accepted
by the server and not yet recorded. A server discards a transaction whose content never came
(the connection closes mid-envelope when the process dies, or `cancel()` closes it).
"""

from __future__ import annotations

import base64
import functools
import queue
import smtplib
import threading
import time
import uuid
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from flask_mail import Message


def one_line(text: str) -> str:
    """A header value on one line: no CR/LF from names or subjects can start a new header."""
    return " ".join(str(text).split())


class OutboxEmail(Message):
    """Flask-Mail's message, serialised directly: multipart/alternative with base64 parts.

    The email package's generic generator costs more than the SMTP exchange itself (header
    registry parsing, folding, quoted-printable in pure Python), which halves a digest's
    throughput. This writes the same structure straight away. Every header value is one line
    (`one_line`), non-ASCII ones are RFC 2047 encoded, and headers are never folded at 78
    characters, which would turn a long List-Unsubscribe URL into encoded words that mail
    programs do not recognise. Base64 keeps every body line short, whatever the text.
    """

    def __init__(
        self, *, subject: str, recipients: list[str], body: str, html: str, sender: str, extra_headers: Any = None
    ) -> None:
        # Not Message.__init__: it asks the resolver for this host's name (make_msgid calls
        # socket.getfqdn) for every message. The Message-ID takes the sender's domain instead.
        self.alts: dict[str, str] = {}  # where Message keeps `html`
        self.subject, self.recipients, self.body, self.html, self.sender = subject, recipients, body, html, sender
        self.extra_headers = extra_headers
        self.msgId = make_msgid(domain=_sender_domain(sender))
        self.reply_to, self.date, self.charset = None, None, None
        self.cc, self.bcc, self.attachments, self.mail_options, self.rcpt_options = [], [], [], [], []

    def as_bytes(self) -> bytes:
        if self.attachments or self.cc or self.bcc or self.reply_to:
            return super().as_bytes()  # not used by the outbox; the generic path handles them
        if self.date is None:
            self.date = time.time()
        boundary = f"=_consult_{uuid.uuid4().hex}"
        headers = [
            ("From", _sender_address(self.sender)),
            ("To", ", ".join(_address(a) for a in self.recipients)),
            ("Subject", _header_value(self.subject or "")),
            ("Date", formatdate(self.date, localtime=False)),
            ("Message-ID", self.msgId),
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
            *((name, _header_value(value)) for name, value in (self.extra_headers or {}).items()),
        ]
        lines = [f"{name}: {one_line(value)}" for name, value in headers]
        head = "\r\n".join(lines).encode("ascii")
        parts = [head, b"\r\n\r\n"]
        for subtype, text in (("plain", self.body or ""), ("html", self.html or "")):
            lines = text.splitlines()
            if text.isascii() and all(len(line) <= 998 for line in lines):
                encoding, payload = "7bit", "\r\n".join(lines).encode("ascii") + b"\r\n"
            else:  # base64 keeps every line short and any character intact
                encoding = "base64"
                payload = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
            parts += [
                f"--{boundary}\r\nContent-Type: text/{subtype}; charset=utf-8\r\n"
                f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode("ascii"),
                payload,
            ]
        parts.append(f"--{boundary}--\r\n".encode("ascii"))
        return b"".join(parts)

    def as_string(self) -> str:
        return self.as_bytes().decode("ascii")


def _address(value: str) -> str:
    """An address header: the display name RFC 2047 encoded only when it is not ASCII."""
    name, address = parseaddr(one_line(value))
    return formataddr((name, address))


@functools.lru_cache(maxsize=16)
def _sender_domain(sender: str) -> str | None:
    return parseaddr(sender)[1].rpartition("@")[2] or None


@functools.lru_cache(maxsize=16)
def _sender_address(value: str) -> str:
    """The From header: one sender for every message of a run."""
    return _address(value)


def _header_value(value: str) -> str:
    value = one_line(value)
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        return Header(value, "utf-8", maxlinelen=10_000).encode()
    return value


def dot_stuffed(data: bytes) -> bytes:
    """The DATA payload for `data`, as `smtplib.SMTP.data` sends it (terminator included)."""
    # smtplib's rule (`re.sub(rb"(?m)^\.", b"..", data)`): a line that starts with a dot gets
    # another one; the same bytes, without a regular expression over every character.
    quoted = (b"." + data if data.startswith(b".") else data).replace(b"\n.", b"\n..")
    if quoted[-2:] != b"\r\n":
        quoted += b"\r\n"
    return quoted + b".\r\n"


class Exchange:
    """One message on its way: sent by the pipeline's thread, awaited by the caller."""

    def __init__(self, sender: str, recipient: str, data: bytes) -> None:
        self.sender, self.recipient = sender, recipient
        self.size = len(data)
        self.payload = dot_stuffed(data)
        self._go = threading.Event()
        self._done = threading.Event()
        self.cancelled = False
        self.error: BaseException | None = None

    def release(self) -> None:
        """Let the content go out (the previous message's outcome is recorded)."""
        self._go.set()

    def cancel(self) -> None:
        """Never send the content: the thread closes the connection instead."""
        self.cancelled = True
        self._go.set()

    def result(self) -> None:
        """Wait until the server accepted the message; raise what the exchange raised."""
        self._done.wait()
        if self.error is not None:
            raise self.error


class SMTPPipeline:
    """Sends `Exchange`s one after the other over `host` (an smtplib.SMTP), in a thread."""

    def __init__(self, host: smtplib.SMTP) -> None:
        self.host = host
        self._queue: queue.SimpleQueue[Exchange | None] = queue.SimpleQueue()
        self._last: Exchange | None = None
        self._thread = threading.Thread(target=self._run, name="consult-smtp", daemon=True)
        self._thread.start()

    def submit(self, sender: str, recipient: str, data: bytes, *, released: bool) -> Exchange:
        exchange = Exchange(sender, recipient, data)
        if released:
            exchange.release()
        self._last = exchange
        self._queue.put(exchange)
        return exchange

    def close(self, *, quit_: bool = True) -> None:
        """Stop the thread after what was submitted, then end the session (QUIT) or drop it."""
        if self._last is not None and not self._last._go.is_set():
            self._last.cancel()  # never left waiting for a release that will not come
        self._queue.put(None)
        self._thread.join()
        try:
            if quit_ and self.host.sock is not None:
                self.host.quit()
            else:
                self.host.close()
        except (OSError, smtplib.SMTPException):
            self.host.close()

    def _run(self) -> None:
        while True:
            exchange = self._queue.get()
            if exchange is None:
                return
            try:
                self._send(exchange)
            except BaseException as exc:  # handed to the caller, who decides
                exchange.error = exc
            finally:
                exchange._done.set()

    def _send(self, exchange: Exchange) -> None:
        host = self.host
        host.ehlo_or_helo_if_needed()
        options = [f"size={exchange.size}"] if host.does_esmtp and host.has_extn("size") else []
        code, reply = host.mail(exchange.sender, options)
        if code != 250:
            self._reset(code)
            raise smtplib.SMTPSenderRefused(code, reply, exchange.sender)
        code, reply = host.rcpt(exchange.recipient)
        if code not in (250, 251):
            self._reset(code)
            raise smtplib.SMTPRecipientsRefused({exchange.recipient: (code, reply)})
        host.putcmd("data")
        code, reply = host.getreply()
        if code != 354:
            self._reset(code)
            raise smtplib.SMTPDataError(code, reply)
        exchange._go.wait()
        if exchange.cancelled:
            host.close()  # mid-DATA: only closing the connection abandons the transaction
            raise smtplib.SMTPServerDisconnected("cancelled before the content was sent")
        host.send(exchange.payload)
        code, reply = host.getreply()
        if code != 250:
            self._reset(code)
            raise smtplib.SMTPDataError(code, reply)

    def _reset(self, code: int) -> None:
        # As smtplib.sendmail does: 421 means the server is closing; otherwise reset the transaction.
        if code == 421:
            self.host.close()
        else:
            self.host._rset()


def open_pipeline(mail_state: Any) -> SMTPPipeline | None:
    """A pipeline over a new connection configured like Flask-Mail's (None: sending suppressed)."""
    from flask_mail import Connection

    if mail_state.suppress:
        return None
    return SMTPPipeline(Connection(mail_state).configure_host())
