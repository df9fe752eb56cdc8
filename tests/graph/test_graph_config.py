"""The ``kind: graph`` settings: what is refused at start, and a certificate that signs us in."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from mailbot.config import BoardConfig, GraphMailbox
from mailbot.transports import graph_client_from_config, graph_credential
from tests.graph.conftest import LocalEntra
from tests.graph.fake_graph import CLIENT_ID, TENANT


def _pem(tmp_path) -> tuple[str, bytes]:  # noqa: ANN001
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailbot test board")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)
    path = tmp_path / "graph.pem"
    path.write_bytes(pem)
    return str(path), cert.fingerprint(hashes.SHA256())


def _settings(**kw) -> GraphMailbox:  # noqa: ANN003
    base = dict(kind="graph", tenant=TENANT, client_id=CLIENT_ID, user="lscb@westsussex-scb.example",
                credential={"secret": {"env": "X"}})
    return GraphMailbox(**{**base, **kw})


def test_the_credential_is_a_secret_or_a_certificate_never_both_never_literal():
    with pytest.raises(ValidationError, match="exactly one of 'secret' or 'certificate'"):
        _settings(credential={"secret": {"env": "A"}, "certificate": {"file": "b.pem"}})
    with pytest.raises(ValidationError, match="secrets are not written in config"):
        _settings(credential={"secret": "the-secret-itself"})


def test_graph_is_reached_over_https_only_loopback_aside():
    assert _settings(endpoint="http://127.0.0.1:8080/v1.0/").endpoint == "http://127.0.0.1:8080/v1.0"
    with pytest.raises(ValidationError, match="https"):
        _settings(endpoint="http://graph.example/v1.0")


def test_sending_by_graph_needs_the_graph_mailbox(ws_board):
    data = ws_board.config.model_dump(mode="json", exclude_none=True)
    with pytest.raises(ValidationError, match="needs mailbox kind 'graph'"):
        BoardConfig.model_validate({**data, "sending": {"kind": "graph"}})
    ok = BoardConfig.model_validate({**data, "mailbox": json.loads(_settings().model_dump_json(exclude_none=True)),
                                     "sending": {"kind": "graph"}})
    assert ok.sending.kind == "graph"


def test_a_certificate_signs_the_token_request(ws_board, graph_server, tmp_path):
    path, sha256 = _pem(tmp_path)
    cfg = _settings(credential={"certificate": {"file": path}}, endpoint=f"{graph_server.url}/v1.0")
    assert set(graph_credential(cfg)) == {"private_key", "public_certificate"}
    client = graph_client_from_config(ws_board, cfg, tmp_path / "data", http_client=LocalEntra(graph_server))
    client.request("GET", "mailFolders/inbox")
    [form] = graph_server.graph.token_forms
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert "client_secret" not in form and form["scope"] == "https://graph.microsoft.com/.default"
    header = json.loads(base64.urlsafe_b64decode(form["client_assertion"].split(".")[0] + "=="))
    assert base64.urlsafe_b64decode(header["x5t#S256"] + "==") == sha256
    token_cache = tmp_path / "data" / f"{ws_board.slug}-graph-token.json"
    assert oct(token_cache.stat().st_mode & 0o777) == "0o600"


def test_a_pem_without_its_certificate_is_a_clear_config_error(tmp_path):
    from mailbot.errors import ConfigError

    path, _ = _pem(tmp_path)
    key_only = tmp_path / "key.pem"
    key_only.write_text(Path(path).read_text().split("-----BEGIN CERTIFICATE-----")[0])
    with pytest.raises(ConfigError, match="private key and the certificate"):
        graph_credential(_settings(credential={"certificate": {"file": str(key_only)}}))


def test_notifications_need_an_https_address_and_a_host_port():
    ok = _settings(notifications={"public_url": "https://mailbot.council.example/graph/notify",
                                  "client_state": {"env": "GRAPH_CLIENT_STATE"}})
    assert ok.notifications.listen == "127.0.0.1:8765"
    with pytest.raises(ValidationError, match="https"):
        _settings(notifications={"public_url": "http://mailbot.council.example/n", "client_state": {"env": "S"}})
    with pytest.raises(ValidationError, match="host:port"):
        _settings(notifications={"public_url": "https://m.example/n", "listen": "8765", "client_state": {"env": "S"}})
