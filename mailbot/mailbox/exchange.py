"""The board mailbox on an on-premises Exchange server, over EWS with exchangelib.

Same contract as the IMAP mailbox: oldest first, never marked read (we ask
for the MIME content, which does not touch IsRead), handled mail moved to
subfolders of the Inbox that are created when missing. EWS item ids are the
UIDs; they survive moves within a folder's life, and there is no UIDVALIDITY.
``wait`` polls: streaming notifications are not wired in yet.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from mailbot.errors import MailboxAuthError, MailboxError
from mailbot.mailbox.base import Folder, IncomingMessage, MailRef

log = logging.getLogger("mailbot.inbound")

INBOX = "inbox"


def build_account(
    primary_smtp_address: str,
    *,
    service_endpoint: str,
    username: str | None = None,
    password: str | None = None,
    auth_type: str | None = None,
    version_build: Any = None,
) -> Any:
    """An exchangelib ``Account`` without autodiscover (on-premises boards know their URL)."""
    from exchangelib import DELEGATE, Account, Configuration, Credentials
    from exchangelib.version import EXCHANGE_2016, Version

    credentials = Credentials(username, password) if username else None
    config = Configuration(
        service_endpoint=service_endpoint, credentials=credentials, auth_type=auth_type,
        version=Version(build=version_build or EXCHANGE_2016),
    )
    return Account(primary_smtp_address, config=config, autodiscover=False, access_type=DELEGATE)


def _translate(err: Exception, what: str) -> MailboxError:
    from exchangelib.errors import (
        ErrorAccessDenied, ErrorNonExistentMailbox, UnauthorizedError,
    )

    if isinstance(err, (UnauthorizedError, ErrorAccessDenied, ErrorNonExistentMailbox)):
        return MailboxAuthError(f"Exchange refused access while trying to {what} ({type(err).__name__})")
    return MailboxError(f"Exchange failed to {what} ({type(err).__name__})")


class ExchangeMailbox:
    """``Mailbox`` over EWS; give a ready ``account`` (see ``build_account``)."""

    def __init__(
        self,
        name: str,
        account: Any,
        *,
        processed_folder: str = Folder.PROCESSED.value,
        needs_attention_folder: str = Folder.NEEDS_ATTENTION.value,
        poll_interval: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.name = name
        self.account = account
        self.folder_names = {Folder.PROCESSED: processed_folder, Folder.NEEDS_ATTENTION: needs_attention_folder}
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._interrupted = threading.Event()  # ``interrupt``: the current or next wait ends at once
        self._now = now
        self._folders: dict[Folder, Any] | None = None
        self.last_success: datetime | None = None

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        from exchangelib.errors import EWSError, TransportError

        try:
            result = fn()
        except MailboxError:
            raise
        except (EWSError, TransportError, OSError) as err:
            raise _translate(err, what) from err
        self.last_success = self._now()
        return result

    def _targets(self) -> dict[Folder, Any]:
        """The handled-mail folders under the Inbox, created on first use when missing."""
        if self._folders is None:
            from exchangelib.folders import SHALLOW, FolderCollection
            from exchangelib.services import CreateFolder
            from exchangelib.folders import Folder as EwsFolder

            def find() -> dict[Folder, Any]:
                inbox = self.account.inbox
                children = {f.name: f for f in FolderCollection(account=self.account, folders=[inbox])
                            .find_folders(depth=SHALLOW) if hasattr(f, "name")}
                found = {}
                for role, fname in self.folder_names.items():
                    folder = children.get(fname)
                    if folder is None:
                        # The CreateFolder service directly: Folder.save() would first load
                        # the whole folder tree of the mailbox to find the parent.
                        folder = CreateFolder(account=self.account).get(
                            parent_folder=inbox, folders=[EwsFolder(root=inbox.root, name=fname)])
                        log.info("exchange %s: created folder %s", self.name, fname)
                    found[role] = folder
                return found

            self._folders = self._call("find the handled-mail folders", find)
        return self._folders

    def fetch_new(self, limit: int | None = None) -> Iterator[IncomingMessage]:
        self._targets()

        def items() -> list[Any]:
            qs = self.account.inbox.filter().order_by("datetime_received").only("mime_content")
            return list(qs[:limit] if limit is not None else qs)

        found = self._call("list the inbox", items)
        log.debug("exchange %s: %d message(s) waiting", self.name, len(found))
        for item in found:
            if isinstance(item, Exception) or not getattr(item, "mime_content", None):
                continue  # vanished, or an item type without MIME (e.g. a task)
            yield IncomingMessage(MailRef(self.name, INBOX, item.id), bytes(item.mime_content))

    def move(self, ref: MailRef, folder: Folder) -> None:
        from exchangelib.errors import ErrorItemNotFound

        target = self._targets()[Folder(folder)]
        results = self._call("move a message",
                             lambda: self.account.bulk_move(ids=[(ref.uid, None)], to_folder=target))
        for result in results:
            if isinstance(result, ErrorItemNotFound):
                log.debug("exchange %s: item already gone from inbox", self.name)
            elif isinstance(result, Exception):
                raise _translate(result, "move a message") from result
        log.info("exchange %s: moved an item to %s", self.name, self.folder_names[Folder(folder)])

    def interrupt(self) -> None:
        """End the wait under way, or the next one, at once (the daemon is stopping; see ``ImapMailbox.interrupt``)."""
        self._interrupted.set()

    def wait(self, timeout: float) -> bool:
        if self._sleep is time.sleep:
            self._interrupted.wait(min(timeout, self.poll_interval))
        else:
            self._sleep(min(timeout, self.poll_interval))
        self._interrupted.clear()
        return False

    def close(self) -> None:
        protocol = getattr(self.account, "protocol", None)
        if protocol is not None:
            protocol.close()
