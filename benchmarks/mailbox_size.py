"""The cost of one new message in a mailbox of 100 and of 100,000 existing messages.

For each size N a fresh Dovecot gets N existing messages written straight
into Maildir ``cur/`` directories, then indexes them (``doveadm mailbox
status``, timed). Two layouts:

- ``processed``: the N messages are in the ``processed`` folder and the
  inbox is empty — the mailbox as mailbot keeps it (every handled message
  is moved out of the inbox).
- ``inbox``: N in the inbox *and* N in ``processed`` — a shared mailbox
  where people leave mail in the inbox. The daemon starts from a checkpoint
  at the newest existing UID, the state of a daemon that has been running
  while the inbox filled.

The daemon (``benchmarks/agent.py`` = ``mailbot run``, a subprocess) then,
per run, gets a new referral APPENDed, timed to its scoping requests at
the SMTP server as in ``intake_latency.py``: arrival -> fetched -> handled
-> moved -> sent.

The per-pass fetch cost is measured in this process with mailbot's own
``ImapMailbox`` on the same account (daemon stopped): one ``fetch_new``
from the checkpoint with nothing new, and with one new message (after the
IDLE that announced it, as in the daemon; the IDLE itself not timed); the IMAP
commands a pass sends are printed, to show it never asks for the whole
mailbox. A restart (no checkpoint) is different by design — the first pass
looks at the whole inbox — and its cost is printed too.

    python benchmarks/mailbox_size.py [--sizes 100,100000] [--layouts processed,inbox] [--runs 20] [--passes 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (SAMPLES, Agent, Mailserver, SmtpSink, finish, message_id_of, ms,  # noqa: E402
                     percentile, print_machine, referral_email, temp_root, unique_docx)

from mailbot.mailbox.base import Folder, MailRef  # noqa: E402
from mailbot.mailbox.imap import ImapMailbox  # noqa: E402

AGENCIES = 8
TARGET_RATIO = 1.5
FORM = SAMPLES / "forms/west-sussex/referral/referral-02.docx"
WORDS = ("scoping", "return", "agency", "review", "meeting", "minutes", "chronology", "please", "attached",
         "thank", "you", "for", "the", "information", "regarding", "case", "board", "safeguarding")


def existing_messages(n: int, folder: str, rng: random.Random):  # noqa: ANN201
    """Plausible board mail, 1-6 KB each (replies, notices, chasers)."""
    bodies = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(150, 900))) for _ in range(64)]
    for i in range(n):
        body = bodies[i % len(bodies)]
        yield (f"From: Agency Contact {i % 97} <contact{i % 97}@agency{i % 13}.example>\r\n"
               f"To: WSSCB Mailbox <lscb@westsussex-scb.example>\r\n"
               f"Subject: Re: Scoping request {i} [WS-2025-{i % 9000 + 1:04d}]\r\n"
               f"Message-ID: <old-{folder}-{i}@agency{i % 13}.example>\r\n"
               f"Date: Mon, 03 Nov 2025 09:{i % 60:02d}:00 +0000\r\n"
               f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
               f"{body}\r\n").encode()


class CommandLog:
    """The IMAP commands one ``ImapMailbox`` sends (tag and literal data dropped)."""

    def __init__(self, mailbox: ImapMailbox) -> None:
        self.lines: list[str] = []
        client = mailbox._run(lambda c: c)  # connect
        imap = client._imap
        send = imap.send

        def logged(data: bytes) -> None:
            line = data.split(b"\r\n", 1)[0].decode(errors="replace")
            if line and not line.startswith("DONE"):
                self.lines.append(line.split(" ", 1)[-1][:120])
            send(data)

        imap.send = logged


def fetch_costs(mail: Mailserver, passes: int) -> dict[str, object]:
    mb = ImapMailbox("bench", mail.server.host, mail.server.port, username=mail.user,
                     password=mail.password, security="plain")
    t = time.perf_counter()
    mb._run(lambda c: c)
    connect = time.perf_counter() - t
    st = mail.status()
    checkpoint = MailRef(mb.name, "INBOX", str(st["uidnext"] - 1), str(st["uidvalidity"]))
    log = CommandLog(mb)
    empty = []
    for _ in range(passes):
        t = time.perf_counter()
        got = list(mb.fetch_new(after=checkpoint))
        empty.append(time.perf_counter() - t)
        assert not got
    empty_commands = list(log.lines)
    one, moves = [], []
    form = FORM.read_bytes()
    for i in range(passes):
        mail.append(referral_email(unique_docx(form, i), "referral.docx", i))
        mb.wait(10)  # as the daemon does: IDLE until the server announces it (not timed)
        log.lines.clear()
        t = time.perf_counter()
        got = list(mb.fetch_new(after=checkpoint))
        one.append(time.perf_counter() - t)
        assert len(got) == 1, len(got)
        checkpoint = got[0].ref
        t = time.perf_counter()
        mb.move(got[0].ref, Folder.PROCESSED)
        moves.append(time.perf_counter() - t)
    one_commands = list(log.lines)
    mb.close()
    return {"connect": connect, "empty": empty, "one": one, "move": moves, "empty_commands": empty_commands,
            "one_commands": one_commands}


def restart_scan(mail: Mailserver) -> tuple[float, int]:
    """What a restart's first pass costs: every inbox message looked at (no checkpoint)."""
    mb = ImapMailbox("bench", mail.server.host, mail.server.port, username=mail.user,
                     password=mail.password, security="plain", timeout=600)
    t = time.perf_counter()
    n = sum(1 for _ in mb.fetch_new())
    elapsed = time.perf_counter() - t
    mb.close()
    return elapsed, n


def one_size(root: Path, n: int, layout: str, runs: int, passes: int, scan: bool,
             database_url: str | None) -> dict[str, object]:
    rng = random.Random(n)
    mail = Mailserver(root / f"{layout}-{n}")
    smtp = SmtpSink()
    smtp.start()
    agent = None
    try:
        t = time.perf_counter()
        in_inbox = n if layout == "inbox" else 0
        mail.write_maildir("INBOX", existing_messages(in_inbox, "inbox", rng))
        mail.write_maildir("processed", existing_messages(n, "processed", rng))
        written = time.perf_counter() - t
        t = time.perf_counter()
        mail.doveadm("mailbox", "status", "-u", mail.user, "messages uidnext", "INBOX", "processed")
        indexed = time.perf_counter() - t
        st = mail.status()
        assert st["messages"] == in_inbox, st
        print(f"{layout} layout, N={n}: {in_inbox} in INBOX + {n} in processed written in {written:.1f} s, "
              f"indexed by Dovecot in {indexed:.1f} s", flush=True)
        agent = Agent(root / f"{layout}-{n}", mail, smtp,
                      checkpoint=f"{st['uidvalidity']}:{st['uidnext'] - 1}" if in_inbox else None,
                      database_url=database_url)
        agent.start()
        agent.wait_ready()
        form = FORM.read_bytes()
        latencies = []
        for i in range(runs + 2):
            raw = referral_email(unique_docx(form, i), "referral.docx", i)
            t0 = mail.append(raw)
            t1 = smtp.requests_for(message_id_of(raw), AGENCIES, 60)
            if t1 is None:
                raise SystemExit(f"N={n}: no scoping requests; see {agent.root}/daemon.log")
            if i >= 2:  # two warm-up runs
                latencies.append(t1 - t0)
            time.sleep(0.5)
        rss = agent.status()
        agent.stop()
        agent = None
        assert mail.status()["messages"] == in_inbox  # every new referral was moved out
        costs = fetch_costs(mail, passes)
        scanned = restart_scan(mail) if scan else None
        return {"n": n, "layout": layout, "latencies": latencies, "costs": costs, "scan": scanned, "indexed": indexed,
                "rss": rss}
    finally:
        if agent is not None:
            agent.stop()
        smtp.stop()
        mail.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,100000")
    ap.add_argument("--layouts", default="processed,inbox")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--no-restart-scan", action="store_true")
    ap.add_argument("--database-url", help="default: SQLite in the temp dir")
    args = ap.parse_args()
    print_machine(args.database_url)
    root = temp_root("mailbot-bench-size-")
    sizes = [int(x) for x in args.sizes.split(",")]
    for layout in args.layouts.split(","):
        results = [one_size(root, n, layout, args.runs, args.passes, layout == "inbox" and not args.no_restart_scan,
                            args.database_url) for n in sizes]
        print()
        for r in results:
            lat, costs = r["latencies"], r["costs"]
            print(f"{layout} layout, N={r['n']}:")
            print(f"  arrival -> {AGENCIES} scoping requests (IDLE): median {ms(statistics.median(lat))}, "
                  f"p95 {ms(percentile(lat, 95))} ({len(lat)} runs); "
                  f"daemon peak RSS {r['rss'].get('VmHWM', 0) / 1024:.0f} MB")
            print(f"  fetch pass, nothing new: median {statistics.median(costs['empty']) * 1000:.1f} ms; "
                  f"with one new referral: median {statistics.median(costs['one']) * 1000:.1f} ms; "
                  f"its MOVE to processed: median {statistics.median(costs['move']) * 1000:.1f} ms; "
                  f"sign-in + SELECT (once): {ms(costs['connect'])}")
            print(f"  commands of a pass: {' | '.join(costs['one_commands'])}")
            if r["scan"] is not None:
                print(f"  restart (no checkpoint): the first pass fetches all {r['scan'][1]} inbox messages "
                      f"in {r['scan'][0]:.1f} s")
        if len(results) >= 2:
            small, big = results[0], results[-1]

            def ratio(pick) -> float:  # noqa: ANN001
                return statistics.median(pick(big)) / statistics.median(pick(small))

            lat_ratio = ratio(lambda r: r["latencies"])
            print(f"ratio N={big['n']} / N={small['n']} ({layout} layout): arrival->requests {lat_ratio:.2f}, "
                  f"fetch pass with one new {ratio(lambda r: r['costs']['one']):.2f}, "
                  f"empty fetch pass {ratio(lambda r: r['costs']['empty']):.2f}, "
                  f"MOVE {ratio(lambda r: r['costs']['move']):.2f}")
            print(f"target ({layout} layout): arrival->requests ratio < {TARGET_RATIO} -> "
                  f"{'MET' if lat_ratio < TARGET_RATIO else 'MISSED'}")
        print(flush=True)
    finish(root)


if __name__ == "__main__":
    main()
