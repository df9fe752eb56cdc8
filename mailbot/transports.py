"""Building a board's mailbox and sender from its config.

The only place that knows how config keys map onto the transport classes,
so the daemon, the demo and the tests all connect the same way. Secrets are
resolved here, at start-up, so a missing one fails before any mail moves.
"""

from __future__ import annotations

from pathlib import Path

from mailbot.config import Board, ExchangeMailbox, ImapMailbox, OAuth, SmtpSending
from mailbot.mailbox.oauth import MsalClientCredentialsProvider, TokenProvider


def _token_provider(board: Board, oauth: OAuth, data_dir: Path, purpose: str, scope: str) -> TokenProvider:
    cache = board.resolve_path(oauth.token_cache) if oauth.token_cache else data_dir / f"{board.slug}-{purpose}-token.json"
    return MsalClientCredentialsProvider(
        oauth.tenant_id,
        oauth.client_id,
        oauth.client_secret.resolve(),
        scopes=tuple(oauth.scopes or [scope]),
        token_cache_path=cache,
    )


def imap_from_config(board: Board, cfg: ImapMailbox, data_dir: Path):  # noqa: ANN201
    from mailbot.mailbox.imap import ImapMailbox as Impl

    tokens = (_token_provider(board, cfg.oauth, data_dir, "imap", "https://outlook.office365.com/.default")
              if cfg.oauth else None)
    return Impl(
        f"imap:{board.slug}",
        cfg.host,
        cfg.port,
        username=cfg.username,
        password=cfg.password.resolve() if cfg.password else None,
        token_provider=tokens,
        security=cfg.security,
        inbox=cfg.inbox,
        processed_folder=cfg.processed_folder,
        needs_attention_folder=cfg.attention_folder,
        poll_interval=float(cfg.poll_seconds),
        use_idle=cfg.idle,
    )


def exchange_from_config(board: Board, cfg: ExchangeMailbox):  # noqa: ANN201
    from mailbot.mailbox.exchange import ExchangeMailbox as Impl, build_account

    account = build_account(cfg.primary_smtp_address, service_endpoint=cfg.service_endpoint,
                            username=cfg.username, password=cfg.password.resolve())
    return Impl(f"exchange:{board.slug}", account, poll_interval=float(cfg.poll_seconds))


def smtp_from_config(board: Board, cfg: SmtpSending, data_dir: Path):  # noqa: ANN201
    from mailbot.outbound.smtp import SmtpSender

    tokens = (_token_provider(board, cfg.oauth, data_dir, "smtp", "https://outlook.office365.com/.default")
              if cfg.oauth else None)
    return SmtpSender(
        cfg.host,
        cfg.port,
        security=cfg.security,
        username=cfg.username,
        password=cfg.password.resolve() if cfg.password else None,
        token_provider=tokens,
        envelope_from=board.config.mailbox_address.email,
    )
