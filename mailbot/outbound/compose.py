"""Turning a template and a context into a finished email.

Templates are plain files by purpose (``templates/email/scoping/request.txt``):
the first line is ``Subject: …``, then a blank line, then the body, all
Jinja2. A board may replace any of them by pointing ``templates:`` in its
config at a folder with the same layout. Every email mailbot writes is
built here, so every one carries the same headers: the board mailbox as
From, the case reference in the subject, a Message-ID of ours, threading
headers, and ``Auto-Submitted: auto-generated`` (RFC 3834).
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import re
import secrets
import threading
import zipfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any, Iterable

import jinja2

from mailbot.config import Board, Person
from mailbot.outbound.composed import ComposedEmail
from mailbot.outbound.mime import POLICY, header, write
from mailbot.resources import templates_dir

__all__ = ["POLICY", "ComposedEmail", "Composer", "OutgoingAttachment", "document_template", "recipients_of"]


@dataclass(frozen=True)
class OutgoingAttachment:
    filename: str
    data: bytes
    content_type: str | None = None


def _british(value: dt.date | dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def _long_date(value: dt.date | dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return f"{value.strftime('%A')} {value.day} {value.strftime('%B %Y')}"


class Composer:
    """Renders a board's templates into emails."""

    def __init__(self, board: Board) -> None:
        self.board = board
        folders = []
        if board.config.templates:
            folders.append(str(board.resolve_path(board.config.templates)))
        folders.append(str(templates_dir()))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folders),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["british"] = _british
        self.env.filters["long_date"] = _long_date
        domain = board.config.mailbox_address.email.rsplit("@", 1)[1]
        self.domain = domain

    def base_context(self) -> dict[str, Any]:
        cfg = self.board.config
        vocab = getattr(self.board.regime, "vocabulary", None) or {}
        return {"board": cfg, "vocab": vocab}

    def render(self, purpose: str, context: dict[str, Any]) -> tuple[str, str, str | None]:
        """(subject, text body, html body or None) of a template."""
        ctx = {**self.base_context(), **context}
        text = self.env.get_template(f"email/{purpose}.txt").render(ctx)
        first, _, body = text.partition("\n")
        if not first.startswith("Subject:"):
            raise jinja2.TemplateError(f"template email/{purpose}.txt must start with 'Subject:'")
        html = None
        try:
            html = self.env.get_template(f"email/{purpose}.html").render(ctx)
        except jinja2.TemplateNotFound:
            pass
        return " ".join(first.removeprefix("Subject:").split()), body.strip() + "\n", html

    def new_message_id(self, kind: str, case_reference: str | None, now: dt.datetime) -> str:
        stamp = now.strftime("%Y%m%d%H%M%S")
        tail = f".{case_reference.lower()}" if case_reference else ""
        return f"<{stamp}.{kind}.{secrets.token_hex(4)}{tail}@{self.domain}>"

    def build(
        self,
        purpose: str,
        *,
        kind: str,
        to: Iterable[Person | str],
        now: dt.datetime,
        context: dict[str, Any] | None = None,
        cc: Iterable[Person | str] = (),
        case_reference: str | None = None,
        in_reply_to: str | None = None,
        references: Iterable[str] = (),
        attachments: Iterable[OutgoingAttachment] = (),
        reply_to: str | None = None,
    ) -> ComposedEmail:
        """The email, written once in wire form (``mime.write``): what the outbox stores and sends."""
        subject, text, html = self.render(purpose, {"case_reference": case_reference, **(context or {})})
        if case_reference and f"[{case_reference}]" not in subject:
            subject = f"{subject} [{case_reference}]"
        mailbox = self.board.config.mailbox_address
        fields = [("From", formataddr((mailbox.name, mailbox.email))), ("To", ", ".join(_addr(p) for p in to))]
        cc_list = [_addr(p) for p in cc]
        if cc_list:
            fields.append(("Cc", ", ".join(cc_list)))
        if reply_to:
            fields.append(("Reply-To", reply_to))
        fields += [("Subject", subject),
                   ("Date", format_datetime(now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc))),
                   ("Message-ID", self.new_message_id(kind, case_reference, now))]
        refs = [r for r in references if r]
        if in_reply_to:
            fields.append(("In-Reply-To", in_reply_to))
            if in_reply_to not in refs:
                refs.append(in_reply_to)
        if refs:
            fields.append(("References", " ".join(refs)))
        fields += [("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "OOF, AutoReply"),
                   ("X-Mailbot-Kind", kind)]
        folded = [header(name, value) for name, value in fields]
        files = [(att.data, att.content_type or mimetypes.guess_type(att.filename)[0] or "application/octet-stream",
                  att.filename) for att in attachments]
        raw = write([line for line, _ in folded], text, html, files)
        return ComposedEmail(raw, [(name, value) for (name, _), (_, value) in zip(fields, folded)])


def _addr(p: Person | str) -> str:
    return p.formatted() if isinstance(p, Person) else p


def recipients_of(msg: EmailMessage | ComposedEmail) -> list[str]:
    from email.utils import getaddresses

    values = [str(v) for h in ("To", "Cc", "Bcc") for v in msg.get_all(h, [])]
    seen: list[str] = []
    for _name, addr in getaddresses(values):
        if addr and addr.lower() not in seen:
            seen.append(addr.lower())
    return seen


def template_root() -> Path:
    return templates_dir()


# --------------------------------------------------------------- Word documents

_JINJA = ("{{", "{%", "{#")
_LISTING = ("\t", "\a", "\n", "\f")  # what docxtpl's resolve_listing turns into Word markup
_TEXT_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")  # docxtpl's
_W_BODY = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}body"
_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"


class DocumentTemplate:
    """A Word template with docxtpl tags, prepared once and filled in many times.

    docxtpl reads and rewrites the whole package on every render; with a
    board's styles (hundreds of KB of XML) that is ~40 ms a document, and a
    referral sends eight. Only the body carries tags, so here the tag
    clean-up and the Jinja compile happen once, every other part is kept as
    docxtpl wrote it the first time, and a render fills in the body alone
    with docxtpl's own steps (its ``resolve_listing`` only when the body
    holds a tab or a break for it to turn into Word markup). The first
    render is docxtpl's and checks the fast path gives the same body; a
    template with tags outside the body (headers, footers, footnotes,
    properties), or one that fails the check, is always rendered by
    docxtpl itself.
    """

    def __init__(self, data: bytes, *, autoescape: bool = False) -> None:
        self._data = data
        self._autoescape = autoescape
        self._lock = threading.Lock()
        self._prepared = False
        self._fast: tuple[jinja2.Template, bytes, bytes, str] | None = None

    def render(self, context: dict[str, Any]) -> bytes:
        if not self._prepared:
            with self._lock:
                if not self._prepared:
                    rendered = self._prepare(context)  # a context that fails leaves it to the next one
                    self._prepared = True
                    return rendered
        if self._fast is None:
            return self._docxtpl(context)
        return self._render_fast(context)

    def _docxtpl(self, context: dict[str, Any]) -> bytes:
        from docxtpl import DocxTemplate

        tpl = DocxTemplate(io.BytesIO(self._data))
        tpl.render(context, autoescape=self._autoescape)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()

    def _prepare(self, context: dict[str, Any]) -> bytes:
        """docxtpl's render of ``context``; keeps what later renders reuse when that is safe."""
        from docxtpl import DocxTemplate

        tpl = DocxTemplate(io.BytesIO(self._data))
        tpl.init_docx()
        elsewhere = [tpl.patch_xml(tpl.get_part_xml(p)) for uri in (tpl.HEADER_URI, tpl.FOOTER_URI)
                     for _, p in tpl.get_headers_footers(uri)]
        elsewhere += [p.blob.decode("utf-8", "replace") for p in tpl.docx.part.package.parts
                      if p.content_type.endswith(".footnotes+xml")]
        elsewhere += [getattr(tpl.docx.core_properties, name) or "" for name in _TEXT_PROPERTIES]
        body = re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(tpl.get_xml()))
        main = str(tpl.docx.part.partname).lstrip("/")
        tpl.render(context, autoescape=self._autoescape)
        out = io.BytesIO()
        tpl.save(out)
        rendered = out.getvalue()
        if any(tag in text for text in elsewhere for tag in _JINJA):
            return rendered
        from lxml import etree

        template = jinja2.Environment(autoescape=self._autoescape).from_string(body)
        with zipfile.ZipFile(io.BytesIO(rendered)) as src:
            shell = etree.fromstring(src.read(main))
            expected = src.read(main)
            prefix = io.BytesIO()
            with zipfile.ZipFile(prefix, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in src.infolist():
                    if info.filename != main:
                        dst.writestr(info, src.read(info.filename))
        for child in shell:
            if child.tag == _W_BODY:
                shell.replace(child, etree.Element("placeholder"))
                break
        fast = (template, etree.tostring(shell), prefix.getvalue(), main)
        if self._document_xml(fast, context) == expected:
            self._fast = fast
        return rendered

    @staticmethod
    def _document_xml(fast: tuple[jinja2.Template, bytes, bytes, str], context: dict[str, Any]) -> bytes:
        """The main part as docxtpl would write it (its own post-render steps, in its order)."""
        from docxtpl import DocxTemplate
        from lxml import etree

        template, shell, _, _ = fast
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", template.render(context))
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        # These two docxtpl methods never touch ``self``: called unbound, no package kept in memory.
        # resolve_listing rewrites only tabs, line and page breaks (\t \a \n \f) inside <w:t>:
        # with none anywhere it gives back its input, so its regex passes are skipped.
        if any(ch in xml for ch in _LISTING):
            xml = DocxTemplate.resolve_listing(None, xml)  # type: ignore[arg-type]
        tree = DocxTemplate.fix_tables(None, xml)  # type: ignore[arg-type]
        for n, elt in enumerate(tree.iter(_DOCPR), start=1001):
            elt.attrib["id"] = str(n)
        root = etree.fromstring(shell)
        root.replace(root.find("placeholder"), tree)
        return etree.tostring(root, encoding="UTF-8", standalone=True)

    def _render_fast(self, context: dict[str, Any]) -> bytes:
        assert self._fast is not None
        xml = self._document_xml(self._fast, context)
        out = io.BytesIO(self._fast[2])
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as package:
            package.writestr(self._fast[3], xml)  # stamped now, as python-docx's save does
        return out.getvalue()


_documents: dict[tuple[str, int, int, bool], DocumentTemplate] = {}
_documents_lock = threading.Lock()


def document_template(path: Path, *, autoescape: bool = False) -> DocumentTemplate:
    """The prepared template of a .docx file; a changed file is prepared again."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, autoescape)
    with _documents_lock:
        found = _documents.get(key)
        if found is None:
            for old in [k for k in _documents if k[0] == key[0] and k[3] == autoescape]:
                del _documents[old]
            found = _documents[key] = DocumentTemplate(path.read_bytes(), autoescape=autoescape)
    return found
