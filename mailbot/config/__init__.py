"""Board configuration: one validated YAML file per board.

A board file says who is who (mailbox, Chair, sub-group chair, business
managers, admins, Ofsted, DfE, the National Panel), the agency directory,
which deadline regime and calendar apply, which form mappings read its forms
and how the mailbox and the sending server are reached. Everything that
differs between boards is here, never in code.

``load_board`` returns a :class:`Board`: the validated file plus what it
names (form mappings, calendar, deadline regime), loaded once and handed
around. ``check_config`` collects *every* problem in a file, or a folder of
files, as ``(file, key, reason)`` so an admin can fix them in one pass.
"""

from mailbot.config.loading import Board, check_config, load_board, load_boards
from mailbot.config.schema import (
    Agency,
    Alerts,
    Approvals,
    BoardConfig,
    Calendar,
    Deadlines,
    Digest,
    ExchangeMailbox,
    GraphCredential,
    GraphMailbox,
    GraphSending,
    ImapMailbox,
    MaildirMailbox,
    MaildirSending,
    OAuth,
    Person,
    Recipients,
    Scoping,
    SmtpSending,
    normalise_name,
)

__all__ = [
    "Agency", "Alerts", "Approvals", "Board", "BoardConfig", "Calendar", "Deadlines", "Digest",
    "ExchangeMailbox", "GraphCredential", "GraphMailbox", "GraphSending", "ImapMailbox", "MaildirMailbox", "MaildirSending", "OAuth", "Person",
    "Recipients", "Scoping", "SmtpSending", "check_config", "load_board", "load_boards", "normalise_name",
]
