"""Several instances reuse the crash harness's fixtures: a Dovecot user, an SMTP sink, a database."""

from tests.crash.conftest import crash_mails, crash_targets  # noqa: F401
from tests.flow.conftest import clock, maildir_runtime, ws_board  # noqa: F401
