#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Writes the seed corpus of tests/fuzz/fuzz_spop.c into tests/fuzz/corpus/spop/:
# SPOP frames as HAProxy 2.6 sends them (doc/SPOE.txt §3), plus truncated and
# corrupt ones. Only the generated files are committed; run it again after
# changing it: python3 tests/fuzz/gen_spop_corpus.py
import os
import struct
import sys

HELLO, DISCON, NOTIFY = 1, 2, 3
FIN = 1
T_NULL, T_BOOL, T_INT32, T_UINT32, T_INT64, T_UINT64 = 0, 1, 2, 3, 4, 5
T_IPV4, T_IPV6, T_STR, T_BIN = 6, 7, 8, 9


def varint(v):
    """HAProxy's encode_varint(); negative values as their 64-bit pattern."""
    v &= (1 << 64) - 1
    if v < 240:
        return bytes([v])
    out = [(v | 240) & 0xFF]
    v = (v - 240) >> 4
    while v >= 128:
        out.append((v | 128) & 0xFF)
        v = (v - 128) >> 7
    out.append(v)
    return bytes(out)


def buf(b):
    if isinstance(b, str):
        b = b.encode()
    return varint(len(b)) + b


def frame(ftype, payload, sid=0, fid=0, flags=FIN):
    body = bytes([ftype]) + struct.pack(">I", flags) + varint(sid) + varint(fid) + payload
    return struct.pack(">I", len(body)) + body


def kv_str(k, v):
    return buf(k) + bytes([T_STR]) + buf(v)


def kv_u32(k, v):
    return buf(k) + bytes([T_UINT32]) + varint(v)


def hello(caps="pipelining,async", engine="3b8e1a4c-5f2d-4c7e-9a61-0d2f8b7c6e15",
          healthcheck=False, with_caps=True, max_frame=16380):
    p = kv_str("supported-versions", "2.0") + kv_u32("max-frame-size", max_frame)
    if with_caps:
        p += kv_str("capabilities", caps)
    if engine:
        p += kv_str("engine-id", engine)
    if healthcheck:
        p += buf("healthcheck") + bytes([T_BOOL | 0x10])
    return frame(HELLO, p)


def message(name, args):
    p = buf(name) + bytes([len(args)])
    for k, raw in args:
        p += buf(k) + raw
    return p


def rpc_message(body, host="polkadot.example.io", size=None, name="rpc-request"):
    """The message haproxy/spoe-polkfura.conf sends: host, body, size."""
    args = [("host", bytes([T_STR]) + buf(host)),
            ("body", bytes([T_BIN]) + buf(body)),
            ("size", bytes([T_INT64]) + varint(len(body) if size is None else size))]
    return message(name, args)


def notify(sid, fid, body, host="polkadot.example.io", name="rpc-request"):
    return frame(NOTIFY, rpc_message(body, host, name=name), sid, fid)


def disconnect(code=2, msg="a timeout occurred"):
    return frame(DISCON, kv_u32("status-code", code) + kv_str("message", msg))


BODY = b'{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}'
BATCH = b'[{"jsonrpc":"2.0","id":1,"method":"chain_getBlockHash","params":[0]},' \
        b'{"jsonrpc":"2.0","id":2,"method":"author_submitExtrinsic","params":["0x00"]}]'
UNSAFE = b'{"jsonrpc":"2.0","id":"k-1","method":"author_insert\\u004bey","params":[]}'
ODD_METHOD = b'{"jsonrpc":"2.0","id":null,"method":"a\\"b\\\\c d\\u00e9","params":{}}'
LONG_ID = b'{"jsonrpc":"2.0","id":"' + b"i" * 62 + b'","method":"' + b"m" * 120 + b'"}'

ALL_TYPES = [("null", bytes([T_NULL])),
             ("true", bytes([T_BOOL | 0x10])),
             ("false", bytes([T_BOOL])),
             ("i32", bytes([T_INT32]) + varint(-7)),
             ("u32", bytes([T_UINT32]) + varint(0xFFFFFFFF)),
             ("i64", bytes([T_INT64]) + varint(-(1 << 63))),
             ("u64", bytes([T_UINT64]) + varint((1 << 64) - 1)),
             ("ip4", bytes([T_IPV4]) + bytes([10, 0, 0, 1])),
             ("ip6", bytes([T_IPV6]) + bytes([0x20, 0x01, 0x0D, 0xB8]) + bytes(11) + b"\x01"),
             ("", bytes([T_STR]) + buf(""))]

CORPUS = {
    "hello": hello(),
    "hello-healthcheck": hello(caps="", engine=None, healthcheck=True),
    "hello-missing-capabilities": hello(with_caps=False),
    "notify": notify(2288, 1, BODY),
    "notify-other-message": notify(4, 1, BODY, name="polkfura"),
    "notify-classes": frame(NOTIFY, rpc_message(BODY) + rpc_message(BATCH, "kusama.example.io:443")
                            + rpc_message(UNSAFE, "KUSAMA") + rpc_message(ODD_METHOD, "westend.io")
                            + rpc_message(BODY, size=len(BODY) + 1) + rpc_message(b"[]")
                            + rpc_message(b'{"id":7}'), 6, 3),
    "session-small-frame": hello(max_frame=256) + notify(1, 1, LONG_ID)
                           + frame(NOTIFY, rpc_message(LONG_ID) + rpc_message(LONG_ID), 2, 1),
    # ten invalid bodies: 219 bytes of NOTIFY, 367 of ACK; over 256 the ACK goes out empty
    "notify-ack-too-big": frame(NOTIFY, message("rpc-request", [("body", bytes([T_BIN]) + buf("1"))])
                                * 10, 3, 1),
    "hello-frame-255": hello(max_frame=255),
    "hello-no-2.0": hello(caps="pipelining").replace(b"\x032.0", b"\x032.1"),
    # fuzz_encoders(): stream id 240 and a 240-byte value, the first varints of two bytes
    "encoder-varint-240": bytes([240]) + bytes(7) + b"v" * 240,
    "session-refused": hello(caps="async") + notify(9, 9, BODY)[:4 + 1] + b"\x00\x00\x00\x00"
                       + notify(9, 9, BODY)[4 + 5:],
    "notify-batch-big": notify(264432, 9, BATCH + b" " * 2400),
    "notify-pipelined": notify(1, 1, BODY) + notify(2, 1, BATCH) + notify(3, 1, b""),
    "notify-all-types": frame(NOTIFY, message("types", ALL_TYPES) + message("empty", []), 5, 2),
    "notify-17-args": frame(NOTIFY, message("m", [("a", bytes([T_NULL]))] * 17), 1, 1),
    "disconnect": disconnect(),
    "session": hello() + notify(1, 1, BODY) + notify(1, 2, BATCH) + disconnect(0, "normal"),
    "truncated-notify": notify(7, 7, BODY)[:40],
    "too-big": struct.pack(">I", 16381) + bytes([NOTIFY]) + bytes(20),
    "bad-varint": struct.pack(">I", 16) + bytes([NOTIFY, 0, 0, 0, 1]) + b"\xff" * 10 + b"\x00",
    "bad-string-length": frame(NOTIFY, buf("m") + b"\x01" + buf("a") + b"\x08\xf0\x80\x00xx"),
}


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(root, "corpus", "spop")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(CORPUS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(CORPUS)} files in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
