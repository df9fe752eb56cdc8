"""One default TLS context for the process, shared by every mailbox and sending server.

``ssl.create_default_context()`` loads the system's CA store each time
(tens of milliseconds, and a copy of the store in memory); a region's 150
boards made 300 of them at start. A context is safe to share between
threads and connections; one made for a particular server (a test's own
CA) is still passed in where needed.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def default_context() -> ssl.SSLContext:
    return ssl.create_default_context()
