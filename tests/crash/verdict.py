"""What a crash-harness run left behind, and how it compares with the reference.

``collect`` reads the ledger, cases, drafts, outbox, the SMTP server's
mail and the IMAP folders after a run; ``verify`` compares a run with the
reference run of the same stream and fills in the figures and problems.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
import os
import platform
import re
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from mailbot.store.approvals_models import Draft
from mailbot.store.models import AuditEntry, Case, MessageSeen, OutboxMail, Record, ScopingRequest
from tests.crash.corpus import Mail
from tests.crash.target import BOARD, Imap, Target

FOLDERS = ("processed", "needs-attention")


@dataclass
class Outcome:
    """What a run left behind, in comparable form."""

    ledger: dict[str, tuple]  # sha256 -> (kind, outcome, case reference, reason)
    cases: dict[str, dict]
    drafts: list[tuple]
    purposes: collections.Counter  # (recipient, kind, subject, answers) -> emails (distinct Message-IDs)
    scheduled: collections.Counter  # the same for SCHEDULED_KINDS
    emails: int  # distinct Message-IDs at the SMTP server
    received: int  # DATA transactions at the SMTP server
    same_id_resends: int
    phantoms: int  # Message-IDs the outbox does not hold
    unsent_rows: int  # outbox rows not 'sent' at the end
    unreceived_rows: int  # outbox rows 'sent' whose Message-ID never reached the server
    folder_problems: list[str]
    recovered_claims: int  # outbox rows found 'sending' at a start (audited)
    interrupted_deliveries: int  # starts that found any (a kill landed while a batch was going out)


@dataclass
class Figures:
    messages: int = 0
    kills: int = 0
    smtp_restarts: int = 0
    db_restarts: int = 0
    faults_on_idle: int = 0  # faults after the work was done (the rest hit a busy daemon)
    faults_on_fed: int = 0  # lockstep: faults that found nothing to do, so fell just after new mail
    starts: int = 0
    start_failures: int = 0  # the daemon exited at start: database down (a supervisor restarts it)
    unexpected_exits: int = 0
    emails: int = 0  # distinct emails (Message-IDs) received
    received: int = 0  # SMTP DATA transactions (emails plus same-Message-ID resends)
    same_id_resends: int = 0
    duplicates: int = 0  # extra emails for a (recipient, purpose)
    missing: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    recovered_claims: int = 0
    interrupted_deliveries: int = 0
    log_errors: int = 0
    #: Several instances: seconds from a SIGKILL of the board's holder (not restarted) until
    #: another instance held the board.
    failovers: list[float] = field(default_factory=list)

    def failover_line(self) -> str:
        if not self.failovers:
            return "no failovers measured"
        ordered = sorted(self.failovers)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        return (f"failovers {len(ordered)}: median {ordered[len(ordered) // 2]:.1f} s, p95 {p95:.1f} s, "
                f"max {ordered[-1]:.1f} s")

    def line(self) -> str:
        return (f"messages {self.messages}, kills {self.kills}, smtp restarts {self.smtp_restarts}, "
                f"database restarts {self.db_restarts} ({self.faults_on_idle} of the faults after the work "
                f"was done, {self.faults_on_fed} just after new mail), daemon starts {self.starts} "
                f"(start-up refused, database down: {self.start_failures}; unexpected exits: "
                f"{self.unexpected_exits}), emails {self.emails} (SMTP transactions {self.received}), "
                f"duplicates {self.duplicates}, missing {self.missing}, same-Message-ID resends "
                f"{self.same_id_resends} (kills that interrupted a delivery batch: "
                f"{self.interrupted_deliveries}, rows handed back: {self.recovered_claims}), "
                f"problems {len(self.problems)}, {self.seconds:.1f} s")


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.platform()}")


#: Random tokens in subjects: a draft's (``#K3M9QX``) and a held message's notice's (``HOLD-K3M9QX``).
_TOKEN = re.compile(r"(#|\bHOLD-)[A-HJ-NP-Z2-9]{6}\b")
_DIGEST_COUNTS = re.compile(r"(daily digest, [^:]+):.*")
#: Emails of due work (chasing, digests): what they say, and whether a reminder is due at all,
#: depends on when the pass runs relative to the mail, which faults shift. They are checked
#: for duplicates, not against the reference.
SCHEDULED_KINDS = {"chase", "escalation", "draft_reminder", "digest"}
_OUR_ID = re.compile(r"<\d{14}\.([a-z_]+)\.[0-9a-f]{8}((?:\.[a-z0-9-]+)?)@")


def _purpose_of(raw: bytes) -> tuple[str, str, str, str]:
    """(Message-ID, kind, subject, answers) of an email at the server; random parts normalised."""
    h = BytesHeaderParser(policy=default_policy).parsebytes(raw)
    subject = _TOKEN.sub(r"\1TOKEN", " ".join(str(h["Subject"] or "").split()))
    subject = _DIGEST_COUNTS.sub(r"\1", subject)
    answers = _OUR_ID.sub(r"<ours.\1\2@", str(h["In-Reply-To"] or "").strip())
    return str(h["Message-ID"]).strip(), str(h["X-Mailbot-Kind"] or ""), subject, answers


def collect(target: Target, mails: list[Mail]) -> Outcome:
    """Read the ledger, cases, outbox, SMTP server and folders after a run."""
    engine = create_engine(target.database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            refs = dict(conn.execute(select(Case.id, Case.reference)).all())
            ledger = {r.sha256: (r.kind, r.outcome, refs.get(r.case_id), r.reason) for r in conn.execute(
                select(MessageSeen.sha256, MessageSeen.kind, MessageSeen.outcome, MessageSeen.case_id,
                       MessageSeen.reason).where(MessageSeen.board == BOARD))}
            cases = _cases(conn, refs)
            drafts = sorted((refs.get(d.case_id), d.kind, d.title, d.status) for d in conn.execute(
                select(Draft.case_id, Draft.kind, Draft.title, Draft.status)))
            outbox = conn.execute(select(OutboxMail.message_id, OutboxMail.status, OutboxMail.dedupe_key)
                                  .where(OutboxMail.board == BOARD)).all()
            retries = AuditEntry.action == "send_retry_after_crash"
            recovered = conn.scalar(select(func.count()).select_from(AuditEntry).where(retries))
            interrupted = conn.scalar(select(func.count(func.distinct(AuditEntry.at))).where(retries))
    finally:
        engine.dispose()
    ours = [r for r in outbox if ":seed:" not in r.dedupe_key]  # bot-state rows were never sent here
    by_id: dict[str, list] = collections.defaultdict(list)
    for mail in target.smtp.received():
        message_id, kind, subject, answers = _purpose_of(mail.raw)
        by_id[message_id].append((tuple(sorted(a.lower() for a in mail.rcpt_tos)), kind, subject, answers))
    purposes: collections.Counter = collections.Counter()
    scheduled: collections.Counter = collections.Counter()
    for deliveries in by_id.values():
        rcpts, kind, subject, answers = deliveries[0]
        for rcpt in rcpts:
            (scheduled if kind in SCHEDULED_KINDS else purposes)[(rcpt, kind, subject, answers)] += 1
    held = {r.message_id for r in ours}
    sent_ids = {r.message_id for r in ours if r.status == "sent"}
    return Outcome(
        ledger=ledger, cases=cases, drafts=drafts, purposes=purposes, scheduled=scheduled, emails=len(by_id),
        received=sum(len(v) for v in by_id.values()),
        same_id_resends=sum(len(v) - 1 for v in by_id.values()),
        phantoms=sum(1 for m in by_id if m not in held),
        unsent_rows=sum(1 for r in ours if r.status != "sent"),
        unreceived_rows=len(sent_ids - set(by_id)),
        folder_problems=_folder_problems(target.imap, mails, ledger),
        recovered_claims=recovered or 0,
        interrupted_deliveries=interrupted or 0,
    )


def _cases(conn, refs: dict[int, str]) -> dict[str, dict]:  # noqa: ANN001
    out: dict[str, dict] = {}
    for c in conn.execute(select(Case.id, Case.reference, Case.stage, Case.status, Case.decision)):
        requests = sorted((r.agency, r.status, r.record_id is not None) for r in conn.execute(
            select(ScopingRequest.agency, ScopingRequest.status, ScopingRequest.record_id)
            .where(ScopingRequest.case_id == c.id)))
        records = sorted(collections.Counter((r.form_type, r.agency or "") for r in conn.execute(
            select(Record.form_type, Record.agency).where(Record.case_id == c.id))).items())
        out[c.reference] = {"stage": c.stage, "status": c.status, "decision": c.decision,
                            "requests": requests, "records": records}
    return out


def _folder_problems(imap: Imap, mails: list[Mail], ledger: dict[str, tuple]) -> list[str]:
    """Each message in exactly one folder, the one its ledger row names; the INBOX empty."""
    problems: list[str] = []
    conn = imap.connect()
    try:
        where: dict[str, list[str]] = collections.defaultdict(list)
        for folder in ("INBOX", *FOLDERS):
            typ, _ = conn.select(folder, readonly=True)
            if typ != "OK":
                continue
            _, data = conn.uid("SEARCH", "ALL")
            uids = data[0].split()
            for start in range(0, len(uids), 100):
                chunk = b",".join(uids[start:start + 100]).decode()
                _, fetched = conn.uid("FETCH", chunk, "(BODY.PEEK[])")
                for item in fetched:
                    if isinstance(item, tuple):
                        where[hashlib.sha256(item[1]).hexdigest()].append(folder)
    finally:
        conn.logout()
    for mail in mails:
        folders = where.get(mail.sha256, [])
        expected = ledger.get(mail.sha256, (None, "?"))[1]
        if folders != [expected]:
            problems.append(f"{mail.label} {mail.sha256[:10]}: in {folders or 'no folder'}, ledger says {expected}")
    return problems


def verify(figures: Figures, run: Outcome, reference: Outcome) -> Figures:
    """Fill in the comparison figures and problems of ``run`` against ``reference``."""
    p = figures.problems
    figures.received = run.received
    figures.emails = run.emails
    figures.same_id_resends = run.same_id_resends
    figures.recovered_claims = run.recovered_claims
    figures.interrupted_deliveries = run.interrupted_deliveries
    extra = {k: n - reference.purposes.get(k, 0) for k, n in run.purposes.items()
             if n > reference.purposes.get(k, 0)}
    lacking = {k: n - run.purposes.get(k, 0) for k, n in reference.purposes.items() if n > run.purposes.get(k, 0)}
    twice = {k: n - 1 for k, n in run.scheduled.items() if n > 1}
    figures.duplicates = sum(extra.values()) + sum(twice.values())
    figures.missing = sum(lacking.values())
    if extra:
        p.append(f"{sum(extra.values())} duplicate email(s), e.g. {list(extra)[:3]}")
    if twice:
        p.append(f"{sum(twice.values())} due-work email(s) sent twice, e.g. {list(twice)[:3]}")
    if lacking:
        p.append(f"{figures.missing} missing email(s), e.g. {list(lacking)[:3]}")
    if run.phantoms:
        p.append(f"{run.phantoms} email(s) at the server that the outbox does not hold")
    if run.unsent_rows:
        p.append(f"{run.unsent_rows} outbox row(s) not sent")
    if run.unreceived_rows:
        p.append(f"{run.unreceived_rows} outbox row(s) marked sent that the server never received")
    if len(run.ledger) != figures.messages:
        p.append(f"ledger has {len(run.ledger)} rows for {figures.messages} messages")
    differing = [sha[:10] for sha in reference.ledger if run.ledger.get(sha) != reference.ledger[sha]]
    if differing:
        examples = [(run.ledger.get(s), reference.ledger[s]) for s in reference.ledger
                    if s[:10] in differing[:3]]
        p.append(f"{len(differing)} message(s) handled differently from the reference, e.g. {examples}")
    p.extend(run.folder_problems[:10])
    if run.cases != reference.cases:
        diff = sorted(ref for ref in set(run.cases) | set(reference.cases)
                      if run.cases.get(ref) != reference.cases.get(ref))
        p.append(f"cases differ from the reference: {diff[:10]}")
    if run.drafts != reference.drafts:
        p.append("drafts differ from the reference")
    p.extend(invariants(run))
    return figures


def invariants(run: Outcome) -> list[str]:
    """What must hold of any case, whatever the reference says."""
    problems: list[str] = []
    for ref, case in run.cases.items():
        agencies = [a for a, _s, _r in case["requests"]]
        if len(agencies) != len(set(agencies)):
            problems.append(f"{ref}: two requests to one agency")
        if any(status == "returned" and not has_record for _a, status, has_record in case["requests"]):
            problems.append(f"{ref}: a request marked returned without its record")
        answered = case["requests"] and all(s != "outstanding" for _a, s, _r in case["requests"])
        if case["stage"] == "scoping" and answered:
            problems.append(f"{ref}: every agency answered but the case is still at scoping")
    return problems


def dump(figures: Figures, path: Path) -> None:
    path.write_text(json.dumps({**figures.__dict__, "machine": machine(),
                                "at": dt.datetime.now(dt.timezone.utc).isoformat()}, indent=2))
