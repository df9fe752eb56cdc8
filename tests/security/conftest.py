"""Security tests run on the sample board, its seeded state and the real intake."""

from tests.approvals.conftest import rt  # noqa: F401  (the seeded sample board)
from tests.flow.conftest import clock, maildir_runtime, ws_board  # noqa: F401  (shared fixtures)
