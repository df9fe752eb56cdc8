"""Build small Outlook ``.msg`` files for tests.

No maintained Python library writes Compound File Binary (MS-CFB) from
scratch, and Outlook cannot run here, so this writes the container by hand:
a version-3 CFB (512-byte sectors, 64-byte mini sectors) holding the MAPI
streams of MS-OXMSG — subject, body, message class, and one storage per
attachment (file name, data, attach method). It is test scaffolding, kept to
what extract-msg and olefile need to read the message back.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI = 64
CUTOFF = 4096
END, FREE, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
PT_UNICODE, PT_BINARY, PT_LONG = 0x001F, 0x0102, 0x0003


@dataclass
class _Node:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list["_Node"] = field(default_factory=list)
    sid: int = 0
    start: int = END
    right: int = NOSTREAM


def _text(value: str) -> bytes:
    """A string stream's bytes: UTF-16LE without the terminator (MS-OXMSG 2.1.2)."""
    return value.encode("utf-16-le")


def _substg(prop: int, ptype: int, data: bytes) -> _Node:
    return _Node(f"__substg1.0_{prop:04X}{ptype:04X}", 2, data)


def _properties(header: bytes, variable: list[tuple[int, int, int]], fixed: list[tuple[int, int, int]]) -> _Node:
    """``variable``: (prop, type, size) of the substg streams; ``fixed``: (prop, type, value)."""
    body = b"".join(struct.pack("<IIII", (p << 16) | t, 6, size + 2 * (t == PT_UNICODE), 0)
                    for p, t, size in variable)  # a string's size counts its terminator
    body += b"".join(struct.pack("<IIQ", (p << 16) | t, 6, value) for p, t, value in fixed)
    return _Node("__properties_version1.0", 2, header + body)


def _attachment(index: int, filename: str, data: bytes) -> _Node:
    name = _text(filename)
    streams = [_substg(0x3707, PT_UNICODE, name), _substg(0x3704, PT_UNICODE, name),
               _substg(0x3701, PT_BINARY, data)]
    props = _properties(b"\x00" * 8,
                        [(0x3707, PT_UNICODE, len(name)), (0x3704, PT_UNICODE, len(name)),
                         (0x3701, PT_BINARY, len(data))],
                        [(0x3705, PT_LONG, 1)])  # PR_ATTACH_METHOD = ATTACH_BY_VALUE
    return _Node(f"__attach_version1.0_#{index:08X}", 1, children=streams + [props])


def build_msg(subject: str, body: str, attachments: list[tuple[str, bytes]]) -> bytes:
    """An Outlook message with ``attachments`` as (file name, bytes), by value."""
    texts = {0x001A: _text("IPM.Note"), 0x0037: _text(subject), 0x1000: _text(body)}
    nodes = [_substg(p, PT_UNICODE, v) for p, v in texts.items()]
    nodes += [_Node("__nameid_version1.0", 1, children=[
        _substg(0x0002, PT_BINARY, b""), _substg(0x0003, PT_BINARY, b""), _substg(0x0004, PT_BINARY, b"")])]
    nodes += [_attachment(i, name, data) for i, (name, data) in enumerate(attachments)]
    header = struct.pack("<8xIIII8x", 0, len(attachments), 0, len(attachments))
    nodes.append(_properties(header, [(p, PT_UNICODE, len(v)) for p, v in texts.items()], []))
    return _write_cfb(_Node("Root Entry", 5, children=nodes))


def _flatten(root: _Node) -> list[_Node]:
    out = [root]
    for node in out:
        for child in node.children:
            out.append(child)
    for sid, node in enumerate(out):
        node.sid = sid
    for node in out:  # each storage's children as a right-leaning chain, all black
        kids = sorted(node.children, key=_sort_key)
        for a, b in zip(kids, kids[1:]):
            a.right = b.sid
    return out


def _chain(fat: list[int], start: int, count: int) -> None:
    for i in range(count):
        fat[start + i] = start + i + 1 if i < count - 1 else END


def _write_cfb(root: _Node) -> bytes:
    entries = _flatten(root)
    mini, minifat = bytearray(), []
    big: list[tuple[_Node, bytes]] = []
    for node in entries:
        if node.kind != 2 or not node.data:
            continue
        if len(node.data) < CUTOFF:
            node.start = len(mini) // MINI
            n = -(-len(node.data) // MINI)
            minifat.extend([0] * n)
            _chain(minifat, node.start, n)
            mini += node.data.ljust(n * MINI, b"\x00")
        else:
            big.append((node, node.data))
    if mini:
        big.append((root, bytes(mini)))

    def sectors(n_bytes: int) -> int:
        return -(-n_bytes // SECTOR)

    dir_bytes = len(entries) * 128
    layout = [("dir", sectors(dir_bytes)), ("minifat", sectors(len(minifat) * 4))]
    layout += [(id(node), sectors(len(data))) for node, data in big]
    data_sectors = sum(n for _, n in layout)
    n_fat = 1
    while n_fat * SECTOR // 4 < data_sectors + n_fat:
        n_fat += 1
    assert n_fat <= 109, "test message too large for a header-only DIFAT"

    fat = [FATSECT] * n_fat
    starts: dict[object, int] = {}
    for key, n in layout:
        starts[key] = len(fat) if n else END
        fat.extend([0] * n)
        if n:
            _chain(fat, starts[key], n)
    fat.extend([FREE] * (n_fat * SECTOR // 4 - len(fat)))
    for node, _ in big:
        node.start = starts[id(node)]

    out = bytearray(_header(n_fat, starts["dir"], starts["minifat"], sectors(len(minifat) * 4)))
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += b"".join(_dir_entry(node, len(mini) if node.kind == 5 else len(node.data))
                    for node in entries).ljust(sectors(dir_bytes) * SECTOR, b"\x00")
    if minifat:
        padded = minifat + [FREE] * (sectors(len(minifat) * 4) * SECTOR // 4 - len(minifat))
        out += struct.pack(f"<{len(padded)}I", *padded)
    for _, data in big:
        out += data.ljust(sectors(len(data)) * SECTOR, b"\x00")
    return bytes(out)


def _header(n_fat: int, dir_start: int, minifat_start: int, n_minifat: int) -> bytes:
    head = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16
    head += struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, n_fat, dir_start, 0,
                        CUTOFF, minifat_start if n_minifat else END, n_minifat, END, 0)
    difat = list(range(n_fat)) + [FREE] * (109 - n_fat)
    return head + struct.pack("<109I", *difat)


def _sort_key(node: _Node) -> tuple[int, str]:
    return len(node.name), node.name.upper()  # MS-CFB's order: length, then upper case


def _dir_entry(node: _Node, size: int) -> bytes:
    name = node.name.encode("utf-16-le") + b"\x00\x00"
    first = min(node.children, key=_sort_key, default=None)
    return struct.pack("<64sHBBIII16sIQQIQ", name, len(name), node.kind, 1,
                       NOSTREAM, node.right, first.sid if first else NOSTREAM, b"\x00" * 16, 0, 0, 0,
                       node.start if node.kind != 1 else 0, size if node.kind != 1 else 0)

