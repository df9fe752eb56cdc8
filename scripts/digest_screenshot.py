"""Render a realistic daily digest and screenshot it with headless Chromium.

Builds the fictional West Sussex board in a temporary SQLite database and
lives through eight weeks of it on a fixed clock: a dozen referrals opened
by the real workflow (scoping requests to every standing agency), agencies
answering or saying "not known", a bounce, a few messages held for
attention, decisions on some cases, and the real chasing and digest jobs
running every working day. Then it writes the last day's digest as HTML and
text and, when Chromium is installed, a PNG.

    python scripts/digest_screenshot.py [--out benchmarks/out/digest.png]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mailbot.config import load_board  # noqa: E402
from mailbot.demo.days import local_nine, step_day  # noqa: E402
from mailbot.runtime import BoardRuntime, FixedClock, build_runtime  # noqa: E402
from mailbot.store.db import open_store, sqlite_url  # noqa: E402
from mailbot.store.models import Case, MessageSeen, ScopingRequest  # noqa: E402
from mailbot.workflow import digest  # noqa: E402
from mailbot.workflow.cases import AWAITING_DECISION, REVIEW, open_case  # noqa: E402
from mailbot.workflow.common import utc  # noqa: E402
from mailbot.workflow.scoping import send_scoping_requests  # noqa: E402

START = dt.date(2026, 1, 5)
REFERRERS = ["scoping.csc@childrens.westsussex-cc.example", "public.protection.reviews@police.sussex.example",
             "safeguarding.children@coastalsussex-nhs.example", "dsl@downland-academy.example"]
HELD = [("unknown_sender", "manager@tidemill-nursery.example", "a referral from a sender not in the directory"),
        ("unreadable", "yjs.reviews@yjs.westsussex-cc.example", "the attached form is password-protected and no board password opens it"),
        ("unmatched_reply", "designated.nurse@westsussex-icb.example", "a reply that matches no open case or request")]


def _open(rt: BoardRuntime, referrer: str) -> None:
    with rt.store.transaction() as s:
        case = open_case(s, rt, rt.today(), None, referrer)
        send_scoping_requests(s, rt, case, SimpleNamespace(agencies=[]))


def _answer(rt: BoardRuntime, rnd: random.Random, share: float) -> None:
    """Some outstanding requests are answered today (a return, or "not known")."""
    with rt.store.transaction() as s:
        for req in s.query(ScopingRequest).filter(ScopingRequest.status == "outstanding",
                                                  ScopingRequest.bounced_at.is_(None)):
            if req.requested_at.date() < rt.today() and rnd.random() < share:
                req.status = "not_known" if rnd.random() < 0.4 else "returned"
                req.answered_at = utc(rt.now())


def _hold(rt: BoardRuntime, n: int) -> None:
    kind, sender, reason = HELD[n]
    with rt.store.transaction() as s:
        s.add(MessageSeen(board=rt.slug, mailbox="inbox", folder="needs-attention", uid=str(9000 + n),
                          message_id=f"<held{n}@example>", sha256=hashlib.sha256(bytes([n])).hexdigest(),
                          sender=sender, received_at=utc(rt.now()), kind=kind, outcome="needs-attention",
                          reason=reason))


def build(workdir: Path) -> BoardRuntime:
    """The board after eight weeks of fictional work, clock at 09:00 on the last day."""
    board = load_board("west-sussex", REPO / "config")
    store = open_store(sqlite_url(workdir / "mailbot.db"))
    clock = FixedClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc))
    rt = build_runtime(board, store, workdir, clock)
    rnd = random.Random(7)
    day, n = START, 0
    opened = 0
    while n < 40:
        rt.clock.set(local_nine(rt, day))  # type: ignore[attr-defined]
        if n % 3 == 0 and opened < 12:
            _open(rt, REFERRERS[opened % len(REFERRERS)])
            opened += 1
        _answer(rt, rnd, 0.09)
        if n in (12, 25, 37):
            _hold(rt, (12, 25, 37).index(n))
        if n == 30:
            with rt.store.transaction() as s:
                req = s.query(ScopingRequest).filter(ScopingRequest.status == "outstanding").order_by(
                    ScopingRequest.id.desc()).first()
                req.bounced_at = utc(rt.now())
        if n == 20:
            with rt.store.transaction() as s:
                for case in s.query(Case).order_by(Case.id).limit(3):
                    case.decided_on, case.decision = rt.today(), ("scr" if case.id != 2 else "no_review")
                    case.stage = REVIEW if case.decision == "scr" else AWAITING_DECISION
                    for req in case.requests:
                        if req.status == "outstanding" and req.bounced_at is None:
                            req.status, req.answered_at = "returned", utc(rt.now())
        step_day(rt, day)
        day = board.calendar.next_working_day(day)
        n += 1
    return rt


def screenshot(html_file: Path, png: Path, width: int = 820, height: int = 2600) -> bool:
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        print("Chromium not found: wrote the HTML only", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size={width},{height}",
                        f"--screenshot={png}", html_file.as_uri()],
                       check=True, capture_output=True, timeout=120)
    return png.exists()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "digest.png"))
    parser.add_argument("--height", type=int, default=2600)
    args = parser.parse_args(argv)
    png = Path(args.out).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rt = build(Path(tmp))
        subject, text, html = digest.render(rt, rt.today())
        rt.store.dispose()
    html_file, txt_file = png.with_suffix(".html"), png.with_suffix(".txt")
    html_file.write_text(html or "", encoding="utf-8")
    txt_file.write_text(f"Subject: {subject}\n\n{text}", encoding="utf-8")
    print(subject)
    print(f"wrote {html_file} and {txt_file}")
    if screenshot(html_file, png, height=args.height):
        print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
