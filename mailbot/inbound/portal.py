"""Messages that are only a pointer: the answer sits in a portal or behind a link.

Agencies send safeguarding returns through encrypted-mail services (Egress,
Microsoft Purview Message Encryption with its ``message.html`` /
``message.rpmsg``, NHSmail's ``[secure]`` notices, Mimecast, Cisco, Zix,
Virtru…) or as a cloud-share link in place of the attachment. mailbot cannot
open those, but the agency did answer: this names what the message points
to, so a person can open it in the portal (or follow the link) and forward
the form, and the agency is not chased meanwhile.

Pure and bounded: the subject, attachment names and the first 16 KB of text.
"""

from __future__ import annotations

import re

_SCAN = 16 * 1024
_ENCRYPTED_FILES = {"message.rpmsg": "a Microsoft Purview encrypted message",
                    "message.html": "a Microsoft Purview encrypted message",
                    "securemessageatt.html": "a Cisco secure message",
                    "encrypted.html": "an encrypted message"}
_SERVICES = re.compile(
    r"(?i)\b(egress( protect| switch)?|switch\.egress\.com|microsoft purview message encryption|"
    r"office 365 message encryption|microsoft 365 message encryption|mimecast secure messaging|"
    r"cisco secure email|cisco registered envelope|zix(mail|encrypt)?|virtru|galaxkey|proofpoint encrypt(ion)?|"
    r"trend micro email encryption|cryptshare|tutanota|protonmail)\b")
_SECURE_NOTICE = re.compile(
    r"(?i)(you('ve| have) (been sent|received) (a|an) (secure|encrypted|protected) (e-?mail|message)|"
    r"(sent|sent you) (a|an) (secure|encrypted|protected) (e-?mail|message)|"
    r"(open|read|view) (the|this|your) (secure|encrypted|protected) (e-?mail|message)|"
    r"(secure|encrypted|protected) (e-?mail|message) (from|has been sent)|to view (the|this|your) message,? "
    r"(sign in|click|open)|this message (is|has been) encrypted)")
_SECURE_SUBJECT = re.compile(r"(?i)(\[secure\]|\[encrypt(ed)?\]|\(secure\)|\bsecure message\b|\bencrypted message\b)")
_SHARE_LINK = re.compile(
    r"(?i)https?://([a-z0-9-]{1,63}\.){0,10}(sharepoint\.com|onedrive\.live\.com|1drv\.ms|drive\.google\.com|"
    r"docs\.google\.com|dropbox\.com|db\.tt|box\.com|app\.box\.com|wetransfer\.com|we\.tl|"
    r"filesender\.[a-z.]+|icloud\.com/iclouddrive|sync\.com)/")
_SHARED = re.compile(r"(?i)(shared (a|the|this)? ?(file|folder|document|link)|has shared|"
                     r"(download|access|open) (the|your|our) (file|files|form|return|document)s?|"
                     r"link to (the|our) (form|return|document|file)|via (the )?link|click (here|the link))")


def portal_pointer(subject: str, text: str, attachment_names: list[str]) -> str | None:
    """What the message points to ("an Egress secure message", "a cloud-share link"…), or None."""
    names = [n.lower().rsplit("/", 1)[-1] for n in attachment_names]
    for name in names:
        if name in _ENCRYPTED_FILES:
            return _ENCRYPTED_FILES[name]
        if name.endswith((".rpmsg", ".switch")):
            return "an encrypted message" if name.endswith(".rpmsg") else "an Egress secure message"
    body = (text or "")[:_SCAN]
    service = _SERVICES.search(body) or _SERVICES.search(subject or "")
    notice = _SECURE_NOTICE.search(body)
    if service and (notice or _SECURE_SUBJECT.search(subject or "")):
        return f"a secure message sent through {service.group(0)}"
    if notice or (_SECURE_SUBJECT.search(subject or "") and re.search(r"(?i)https?://", body)):
        return "a secure (encrypted) message"
    if _SHARE_LINK.search(body) and (_SHARED.search(body) or not names):
        return "a cloud-share link"
    return None
