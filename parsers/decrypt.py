"""Opening password-protected Office files with the board's and case's passwords.

Agencies protect forms with a password they send separately; the board
configures the passwords it issues.  We try each in turn and never log
them.  A file none of them opens is refused with a reason a person can
act on ("send the password or an unprotected copy").
"""

from __future__ import annotations

import io
import logging
from typing import Sequence

import msoffcrypto
from msoffcrypto.exceptions import DecryptionError, InvalidKeyError

from mailbot.errors import ParseError

log = logging.getLogger("mailbot.parsers")


def decrypt_office(data: bytes, passwords: Sequence[str]) -> bytes:
    """The decrypted file, trying each configured password in order."""
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        encrypted = office.is_encrypted()
    except Exception as err:  # noqa: BLE001 - msoffcrypto and olefile raise assorted errors
        # (FileFormatError, ExpatError from the EncryptionInfo XML, struct.error…) on damaged input
        raise ParseError("the attachment is a damaged or unsupported protected Office file",
                         "damaged") from err
    if not encrypted:
        raise ParseError("the attachment is an Office container this bot cannot read; "
                         "please send .docx or PDF", "unsupported_type")
    if not passwords:
        raise ParseError("the attachment is password-protected and no password is "
                         "configured; please send the password or an unprotected copy",
                         "encrypted")
    for n, password in enumerate(p for p in passwords if p):
        out = io.BytesIO()
        try:
            fresh = msoffcrypto.OfficeFile(io.BytesIO(data))
            fresh.load_key(password=password, verify_password=True)
            fresh.decrypt(out)
        except (InvalidKeyError, DecryptionError):
            log.debug("configured password %d did not open the attachment", n + 1)
            continue
        except Exception as err:  # msoffcrypto raises assorted errors on bad input
            raise ParseError("the attachment is a damaged protected Office file",
                             "damaged") from err
        return out.getvalue()
    raise ParseError("the attachment is password-protected and none of the configured "
                     "passwords opens it; please send the password or an unprotected copy",
                     "encrypted")
