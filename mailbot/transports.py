"""Building a board's mailbox and sender from its config.

The only place that knows how config keys map onto the transport classes,
so the daemon, the demo and the tests all connect the same way. Secrets are
resolved here, at start-up, so a missing one fails before any mail moves.
"""

from __future__ import annotations

from pathlib import Path

from mailbot.config import Board, ExchangeMailbox, GraphMailbox, ImapMailbox, OAuth, SmtpSending
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


def graph_credential(cfg: GraphMailbox) -> str | dict[str, str]:
    """A client secret string, or msal's certificate dict from one PEM (key and certificate)."""
    import re

    if cfg.credential.secret is not None:
        return cfg.credential.secret.resolve() or ""
    pem = cfg.credential.certificate.resolve() or ""  # type: ignore[union-attr]
    key = re.search(r"-----BEGIN (?:RSA |EC )?PRIVATE KEY-----.+?-----END (?:RSA |EC )?PRIVATE KEY-----", pem, re.S)
    cert = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.S)
    if key is None or cert is None:
        from mailbot.errors import ConfigError

        raise ConfigError("the Graph certificate file needs the private key and the certificate, both PEM")
    return {"private_key": key.group(0), "public_certificate": cert.group(0)}


def graph_client_from_config(board: Board, cfg: GraphMailbox, data_dir: Path, *, http_client=None):  # noqa: ANN001, ANN201
    """A Graph client signed in as the board's Entra app (app-only, client credentials)."""
    from mailbot.mailbox.graph_client import GRAPH_SCOPES, GraphClient

    cache = board.resolve_path(cfg.token_cache) if cfg.token_cache else data_dir / f"{board.slug}-graph-token.json"
    cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tokens = MsalClientCredentialsProvider(cfg.tenant, cfg.client_id, graph_credential(cfg), scopes=GRAPH_SCOPES,
                                           token_cache_path=cache, authority_host=cfg.authority_host,
                                           http_client=http_client)
    return GraphClient(tokens, cfg.user, endpoint=cfg.endpoint)


def graph_mailbox_from_config(board: Board, cfg: GraphMailbox, data_dir: Path, *, http_client=None):  # noqa: ANN001, ANN201
    from mailbot.mailbox.graph import GraphMailbox as Impl
    from mailbot.mailbox.graph_state import FileDeltaState

    client = graph_client_from_config(board, cfg, data_dir, http_client=http_client)
    subscription = None
    if cfg.notifications is not None:
        from mailbot.mailbox.graph_notify import NotificationListener, Subscription

        host, _, port = cfg.notifications.listen.rpartition(":")
        listener = NotificationListener(cfg.notifications.client_state.resolve() or "", host, int(port)).start()
        subscription = Subscription(graph_client_from_config(board, cfg, data_dir, http_client=http_client),
                                    listener, cfg.notifications.public_url)
    state = FileDeltaState(data_dir / f"{board.slug}-graph-delta.json", mailbox=f"{cfg.tenant}/{cfg.user}")
    return Impl(f"graph:{board.slug}", client, state=state, processed_folder=cfg.processed_folder,
                needs_attention_folder=cfg.attention_folder, folder_parent=cfg.folders_under,
                subscription=subscription, poll_interval=float(cfg.poll_seconds))


def graph_sender_from_config(board: Board, cfg: GraphMailbox, data_dir: Path, *, http_client=None):  # noqa: ANN001, ANN201
    from mailbot.outbound.graph_sender import GraphSender, GraphSendNotes

    client = graph_client_from_config(board, cfg, data_dir, http_client=http_client)
    sending = board.config.sending
    max_mb = getattr(sending, "max_message_mb", 35)
    return GraphSender(client, notes=GraphSendNotes(data_dir / f"{board.slug}-graph-sending.json"),
                       max_message_bytes=int(max_mb * 1024 * 1024))
