"""The fake Graph's endpoints: what each documented request answers, from the fake's state."""

from __future__ import annotations

import base64
import binascii
import email
import re
import time
from urllib.parse import parse_qs, unquote
from email import policy

from tests.graph.fake_graph import FakeGraph, Message, _error, sendmail_recipients

Answer = tuple[int, "bytes | dict | None", dict, str]
_JSON = "application/json"


def route(g: FakeGraph, method: str, path: str, query: dict, headers: dict, body: bytes) -> Answer:
    if "/oauth2/v2.0/token" in path or "openid-configuration" in path or "discovery/instance" in path:
        return _entra(g, path, body)
    if path.startswith("/upload/"):  # the upload URL carries its own token; no Authorization header
        return _upload_put(g, method, path, query, headers, body)
    auth = headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or auth[7:] not in g.tokens:
        return 401, _error("InvalidAuthenticationToken", "Access token has expired or is not yet valid."), {}, _JSON
    if path == "/v1.0/$batch":
        return _batch(g, headers, body)
    if path.startswith("/v1.0/subscriptions"):
        return _subscriptions(g, method, path, body)
    prefix = f"/v1.0/users/{g.user}/"
    if not path.startswith(prefix):
        return 404, _error("ErrorInvalidUser", "The requested user is invalid."), {}, _JSON
    if g.forbidden:
        return 403, _error("ErrorAccessDenied", "Access is denied. Check credentials and try again."), {}, _JSON
    rest = path[len(prefix):]
    immutable = 'IdType="ImmutableId"' in headers.get("Prefer", "")
    for pattern, handler in _ROUTES:
        m = re.fullmatch(pattern, f"{method} {rest}")
        if m:
            return handler(g, m, query, headers, body, immutable)
    return 400, _error("BadRequest", "Resource not found for the segment."), {}, _JSON


def _entra(g: FakeGraph, path: str, body: bytes) -> Answer:
    base = f"https://login.microsoftonline.com/{path.split('/')[1]}"
    if "discovery/instance" in path:
        return 200, {"tenant_discovery_endpoint": f"{base}/v2.0/.well-known/openid-configuration",
                     "metadata": []}, {}, _JSON
    if "openid-configuration" in path:
        return 200, {"token_endpoint": f"{base}/oauth2/v2.0/token",
                     "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                     "issuer": f"{base}/v2.0"}, {}, _JSON
    g.token_requests += 1
    g.token_forms.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
    token = f"eyJ0eXAiOiJKV1Qi.fake.{g.token_requests}"
    g.tokens.add(token)
    return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                 "access_token": token}, {}, _JSON


def _folder(g: FakeGraph, name: str) -> str | None:
    well_known = {"inbox": "inbox-id", "sentitems": "sentitems-id", "drafts": "drafts-id", "msgfolderroot": "root-id"}
    return well_known.get(name.lower(), name if name in g.folders else None)


def _delta(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    size = int((re.search(r"odata\.maxpagesize=(\d+)", headers.get("Prefer", "")) or [0, 10])[1])
    if "$skiptoken" in query:
        since_s, upto_s, offset_s = query["$skiptoken"].split(".")
        since, upto, offset = (None if since_s == "x" else int(since_s)), int(upto_s), int(offset_s)
    else:
        since = int(query["$deltatoken"]) if "$deltatoken" in query else None
        upto, offset = g.seq, 0
    if since is not None and since < g.oldest_token:
        return 410, _error("SyncStateNotFound",
                           f"The sync state generation is not found; generation={since};[highest={g.seq}]."), {}, _JSON
    items = g._delta_items(since, upto)
    page = items[offset:offset + size]
    link = f"{g.base}/users/{g.user}/mailFolders('inbox')/messages/delta"
    answer: dict = {"@odata.context": f"{g.base}/$metadata#Collection(message)", "value": page}
    if offset + size < len(items):
        answer["@odata.nextLink"] = f"{link}?$skiptoken={'x' if since is None else since}.{upto}.{offset + size}"
    else:
        answer["@odata.deltaLink"] = f"{link}?$deltatoken={upto}"
    return 200, answer, {}, _JSON


def _value(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    msg = g.messages.get(m[1])
    if msg is None:
        return 404, _error("ErrorItemNotFound", "The specified object was not found in the store."), {}, _JSON
    return 200, msg.mime, {}, "text/plain"


def _move(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    import json

    msg = g.messages.get(m[1])
    target = _folder(g, json.loads(body or b"{}").get("destinationId", ""))
    if msg is None:
        return 404, _error("ErrorItemNotFound", "The specified object was not found in the store."), {}, _JSON
    if target is None:
        return 400, _error("ErrorInvalidIdMalformed", "Id is malformed."), {}, _JSON
    if msg.folder == "inbox-id" and target != "inbox-id":
        g._event(msg.id, False)
    msg.folder = target
    if not immutable:  # Graph's default ids change with the folder
        del g.messages[msg.id]
        msg.id = g.new_id()
        g.messages[msg.id] = msg
    return 201, {"id": msg.id, "parentFolderId": target, "internetMessageId": msg.internet_message_id}, {}, _JSON


def _child_folders(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    import json

    parent = _folder(g, m[2])
    if parent is None:
        return 404, _error("ErrorItemNotFound", "The specified folder was not found."), {}, _JSON
    children = {fid: name for fid, (name, p) in g.folders.items() if p == parent}
    if m[1] == "POST":
        name = json.loads(body)["displayName"]
        if name in children.values():
            return 409, _error("ErrorFolderExists", "A folder with the specified name already exists."), {}, _JSON
        fid = f"AAMkFolder-{len(g.folders)}"
        g.folders[fid] = (name, parent)
        return 201, {"id": fid, "displayName": name, "parentFolderId": parent}, {}, _JSON
    wanted = re.fullmatch(r"displayName eq '(.*)'", query.get("$filter", ""))
    value = [{"id": fid, "displayName": name} for fid, name in children.items()
             if wanted is None or name == wanted[1].replace("''", "'")]
    return 200, {"value": value}, {}, _JSON


def _folder_get(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    fid = _folder(g, m[1])
    if fid is None:
        return 404, _error("ErrorItemNotFound", "The specified folder was not found."), {}, _JSON
    return 200, {"id": fid, "displayName": g.folders[fid][0]}, {}, _JSON


def _send_mail(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    if not headers.get("Content-Type", "").startswith("text/plain"):
        return 400, _error("ErrorInvalidRequest", "JSON messages are not expected by this fake."), {}, _JSON
    try:
        raw = base64.b64decode(body, validate=True)
    except binascii.Error:
        return 400, _error("ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."), {}, _JSON
    parsed = email.message_from_bytes(raw, policy=policy.default)
    rcpts = sendmail_recipients(raw)
    if not rcpts:
        return 400, _error("ErrorInvalidRecipients", "At least one recipient isn't valid."), {}, _JSON
    mid = str(parsed["Message-ID"] or "").strip() or f"<{g.new_id()}@fake.outlook.example>"
    copy = Message(g.new_id(), "sentitems-id", raw, "", mid)
    g.messages[copy.id] = copy
    del parsed["Bcc"]
    g.sent.append((rcpts, parsed.as_bytes()))
    g.sent_at.append(time.perf_counter())
    return 202, None, {}, _JSON


def _sent_search(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    folder = _folder(g, m[1])
    wanted = re.fullmatch(r"internetMessageId eq '(.*)'", query.get("$filter", ""))
    if wanted is None:
        return 400, _error("BadRequest", "Invalid filter clause."), {}, _JSON
    mid = wanted[1].replace("''", "'")
    value = [{"id": x.id, "internetMessageId": x.internet_message_id} for x in g.messages.values()
             if x.folder == folder and x.internet_message_id == mid]
    return 200, {"value": value}, {}, _JSON


def _decode_mime(body: bytes) -> "bytes | Answer":
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error:
        return 400, _error("ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."), {}, _JSON


def _draft_create(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    """POST /messages with base64 MIME as text/plain: a draft in Drafts, our Message-ID kept."""
    if not headers.get("Content-Type", "").startswith("text/plain"):
        return 400, _error("ErrorInvalidRequest", "JSON messages are not expected by this fake."), {}, _JSON
    raw = _decode_mime(body)
    if not isinstance(raw, bytes):
        return raw
    if len(body) > 4 * 1024 * 1024:
        return 413, _error("RequestEntityTooLarge", "The request is larger than 4 MB."), {}, _JSON
    parsed = email.message_from_bytes(raw, policy=policy.default)
    mid = str(parsed["Message-ID"] or "").strip() or f"<{g.new_id()}@fake.outlook.example>"
    draft = Message(g.new_id(), "drafts-id", raw, "", mid)
    g.messages[draft.id] = draft
    g.attachments[draft.id] = []
    return 201, {"id": draft.id, "isDraft": True, "internetMessageId": mid,
                 "parentFolderId": "drafts-id"}, {}, _JSON


def _draft(g: FakeGraph, mid: str) -> "Message | None":
    msg = g.messages.get(mid)
    return msg if msg is not None and msg.folder == "drafts-id" else None


def _not_found() -> Answer:
    return 404, _error("ErrorItemNotFound", "The specified object was not found in the store."), {}, _JSON


def _attachment_post(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    import json

    if _draft(g, m[1]) is None:
        return _not_found()
    item = json.loads(body)
    data = base64.b64decode(item["contentBytes"])
    if len(body) > 4 * 1024 * 1024 or len(data) >= 3 * 1024 * 1024:
        return 413, _error("RequestEntityTooLarge", "Use an upload session for 3 MB or more."), {}, _JSON
    g.attachments[m[1]].append((item["name"], item["contentType"], data))
    return 201, {"id": g.new_id(), "name": item["name"], "size": len(data)}, {}, _JSON


def _upload_session(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    import json

    if _draft(g, m[1]) is None:
        return _not_found()
    item = json.loads(body)["AttachmentItem"]
    if item.get("attachmentType") != "file" or item["size"] > 150 * 1024 * 1024:
        return 400, _error("ErrorAttachmentSizeLimitExceeded", "The attachment is too large."), {}, _JSON
    sid = f"sess{next(g._ids)}"
    g.uploads[sid] = {"draft": m[1], "name": item["name"], "type": item.get("contentType", "application/octet-stream"),
                      "size": int(item["size"]), "data": b""}
    url = g.base.rsplit("/v1.0", 1)[0] + f"/upload/{sid}?authtoken=fake-{sid}"
    return 201, {"@odata.context": f"{g.base}/$metadata#microsoft.graph.uploadSession", "uploadUrl": url,
                 "expirationDateTime": "2026-02-16T10:00:00Z", "nextExpectedRanges": ["0-"]}, {}, _JSON


def _upload_put(g: FakeGraph, method: str, path: str, query: dict, headers: dict, body: bytes) -> Answer:
    """PUT a chunk: in order, a multiple of 320 KiB except the last; 201 when the file is whole."""
    sess = g.uploads.get(path.rsplit("/", 1)[-1])
    if method != "PUT" or sess is None or query.get("authtoken") != f"fake-{path.rsplit('/', 1)[-1]}":
        return 404, _error("ErrorItemNotFound", "Upload session not found."), {}, _JSON
    if "Authorization" in headers:
        return 401, _error("InvalidAuthenticationToken", "Do not send Authorization to the upload URL."), {}, _JSON
    rng = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", headers.get("Content-Range", ""))
    if rng is None or int(rng[3]) != sess["size"] or int(rng[2]) - int(rng[1]) + 1 != len(body):
        return 400, _error("InvalidContentRange", "The Content-Range header is invalid."), {}, _JSON
    start, end = int(rng[1]), int(rng[2])
    if start != len(sess["data"]) or (end + 1 < sess["size"] and len(body) % (320 * 1024)):
        return 416, _error("InvalidRange", "The range is not the one expected."), {}, _JSON
    sess["data"] += body
    if len(sess["data"]) < sess["size"]:
        return 200, {"expirationDateTime": "2026-02-16T10:00:00Z",
                     "nextExpectedRanges": [f"{len(sess['data'])}-"]}, {}, _JSON
    g.attachments[sess["draft"]].append((sess["name"], sess["type"], sess["data"]))
    del g.uploads[path.rsplit("/", 1)[-1]]
    return 201, None, {"Location": f"{g.base}/users/{g.user}/messages/{sess['draft']}/attachments/x"}, _JSON


def _draft_send(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    """Send a draft: its MIME with the attachments added, delivered, and filed in Sent Items."""
    draft = _draft(g, m[1])
    if draft is None:
        return _not_found()
    parsed = email.message_from_bytes(draft.mime, policy=policy.default)
    for name, ctype, data in g.attachments.pop(draft.id, []):
        if not parsed.is_multipart():
            parsed.make_mixed()
        main, _, sub = ctype.partition("/")
        parsed.add_attachment(data, maintype=main, subtype=sub, filename=name)
    rcpts = sendmail_recipients(draft.mime)
    if not rcpts:
        return 400, _error("ErrorInvalidRecipients", "At least one recipient isn't valid."), {}, _JSON
    draft.folder = "sentitems-id"
    draft.mime = parsed.as_bytes()
    del parsed["Bcc"]
    g.sent.append((rcpts, parsed.as_bytes()))
    g.sent_at.append(time.perf_counter())
    return 202, None, {}, _JSON


def _delete(g: FakeGraph, m, query, headers, body, immutable) -> Answer:  # noqa: ANN001
    if g.messages.pop(m[1], None) is None:
        return _not_found()
    g.attachments.pop(m[1], None)
    return 204, None, {}, _JSON


_ROUTES = [
    (r"GET mailFolders/inbox/messages/delta", _delta),
    (r"GET mailFolders\('inbox'\)/messages/delta", _delta),
    (r"GET messages/([^/]+)/\$value", _value),
    (r"POST messages/([^/]+)/move", _move),
    (r"(GET|POST) mailFolders/([^/]+)/childFolders", _child_folders),
    (r"GET mailFolders/(sentitems|drafts)/messages", _sent_search),
    (r"POST messages", _draft_create),
    (r"POST messages/([^/]+)/attachments/createUploadSession", _upload_session),
    (r"POST messages/([^/]+)/attachments", _attachment_post),
    (r"POST messages/([^/]+)/send", _draft_send),
    (r"DELETE messages/([^/]+)", _delete),
    (r"GET mailFolders/([^/]+)", _folder_get),
    (r"POST sendMail", _send_mail),
]


def _subscriptions(g: FakeGraph, method: str, path: str, body: bytes) -> Answer:
    """POST (after validating the endpoint, as Graph does), PATCH to renew, DELETE."""
    import json

    import requests

    sub_id = path.rsplit("/", 1)[-1] if path.count("/") > 2 else None
    if method == "POST" and sub_id is None:
        sub = json.loads(body)
        try:  # Graph posts a validation token and wants it back, as text, within 10 s
            echo = requests.post(sub["notificationUrl"], params={"validationToken": "Validation: ok 1"}, timeout=10)
            valid = echo.status_code == 200 and echo.text == "Validation: ok 1"
        except requests.RequestException:
            valid = False
        if not valid:
            return 400, _error("ValidationError", "Subscription validation request failed."), {}, _JSON
        sub["id"] = f"sub-{next(g._ids)}"
        g.subscriptions[sub["id"]] = sub
        return 201, sub, {}, _JSON
    sub = g.subscriptions.get(sub_id or "")
    if sub is None:
        return 404, _error("ResourceNotFound", "The object was not found."), {}, _JSON
    if method == "PATCH":
        sub["expirationDateTime"] = json.loads(body)["expirationDateTime"]
        sub["renewals"] = sub.get("renewals", 0) + 1
        return 200, sub, {}, _JSON
    if method == "DELETE":
        del g.subscriptions[sub_id]
        return 204, None, {}, _JSON
    return 405, _error("MethodNotAllowed", "Not allowed."), {}, _JSON


def _batch(g: FakeGraph, headers: dict, body: bytes) -> Answer:
    """JSON batching: each request answered as if sent alone (at most 20), in one 200."""
    import json

    requests_ = json.loads(body).get("requests", [])
    if len(requests_) > 20:
        return 400, _error("BadRequest", "Batch request exceeds the maximum of 20 requests."), {}, _JSON
    responses = []
    for r in requests_:
        url = unquote(r["url"])
        fault = next((f for f in g.faults if f.match in f"{r['method']} {url}" and f.times > 0), None)
        if fault is not None:
            fault.times -= 1
            responses.append({"id": r["id"], "status": fault.status,
                              "headers": {"Retry-After": str(int(fault.retry_after or 1))},
                              "body": _error("ApplicationThrottled", "Injected by the test.")})
            continue
        sub_headers = {"Authorization": headers.get("Authorization", ""), **r.get("headers", {})}
        status, answer, _h, _ct = route(g, r["method"], f"/v1.0{url}", {}, sub_headers,
                                        json.dumps(r.get("body") or {}).encode())
        responses.append({"id": r["id"], "status": status, "headers": {}, "body": answer})
    return 200, {"responses": responses}, {}, _JSON
