#!/usr/bin/python3
"""Builds IKEv2 messages with scapy (an independent encoder) and writes them
as fixtures for tests/unit/ike/wire/fixtures_test.cpp:

  <name>.hex     the datagram, hex on one line
  <name>.expect  the facts the C++ decoder must report, one per line, written
                 here from the values the message was built from (not from our
                 codec), in the format fixtures_test.cpp's describe() prints

It also writes the same datagrams as binary seeds for the fuzz target
tests/fuzz/fuzz_ike_decode.cpp (tests/fuzz/seeds/ike_decode/), plus an "sk_"
copy of each with its payloads moved inside an SK payload laid out for that
target's identity cipher (8-byte zero IV, no ICV, block size 1: pad length 0).

Run: /usr/bin/python3 tests/vectors/ike/make_ike_fixtures.py  (Debian python3-scapy)

Where scapy.contrib.ikev2 (Debian 12, scapy 2.5) is wrong, this script works
around it and says so; the codec is not bent to match:
  - IPv6TrafficSelector's length defaults to 20; RFC 7296 3.13.1 says 40
    (8 + 2 * 16). Set explicitly.
  - IKEv2_payload_Notify computes its length as 8 + data, leaving out the SPI
    (RFC 7296 3.10: 8 + SPI size + data). Set explicitly when an SPI is present.
  - IKEv2_payload_Delete has no structure (its body is a raw field named
    "vendorID"): the protocol/SPI size/count/SPIs are packed here.
  - IKEv2_payload_IDi's length field points at a field "load" that does not
    exist (IDr's points at "ID"), so IDi is not used here.
  - Transform's Key Length attribute only appears when length > 8, and
    Proposal.trans_nb has no default: both set explicitly.
"""
import os
import struct
import sys

from scapy.contrib.ikev2 import (IKEv2, IKEv2_payload_SA, IKEv2_payload_Proposal, IKEv2_payload_Transform,
                                 IKEv2_payload_KE, IKEv2_payload_Nonce, IKEv2_payload_Notify,
                                 IKEv2_payload_VendorID, IKEv2_payload_TSi, IKEv2_payload_TSr,
                                 IKEv2_payload_Delete, IPv4TrafficSelector, IPv6TrafficSelector)
import ipaddress

OUT = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(OUT, "..", "..", "fuzz", "seeds", "ike_decode")

PT = dict(SA=33, KE=34, Nonce=40, N=41, D=42, V=43, TSi=44, TSr=45)


def hx(b):
    return b.hex() if b else "-"


def filled(n, seed):
    return bytes((seed + 7 * i) & 0xff for i in range(n))


def transforms(specs):
    """specs: [(type, id, keylen or None)] -> scapy transforms and a fact string."""
    pkt = None
    for i, (ttype, tid, keylen) in enumerate(specs):
        last = i + 1 == len(specs)
        t = IKEv2_payload_Transform(next_payload=0 if last else 3, transform_type=ttype, transform_id=tid,
                                    length=12 if keylen else 8)
        if keylen:
            t.key_length = keylen
        pkt = t if pkt is None else pkt / t
    fact = ",".join(f"{t}/{i}" + (f"/{k}" if k else "") for t, i, k in specs)
    return pkt, fact


def sa_payload(proposals, next_payload):
    """proposals: [(number, protocol, spi bytes, transform specs)]."""
    props = None
    facts = []
    for i, (num, proto, spi, specs) in enumerate(proposals):
        trans, tfact = transforms(specs)
        p = IKEv2_payload_Proposal(next_payload=0 if i + 1 == len(proposals) else 2, proposal=num, proto=proto,
                                   SPIsize=len(spi), SPI=spi, trans_nb=len(specs), trans=trans)
        props = p if props is None else props / p
        facts.append(f"sa proposal {num} {proto} {hx(spi)} {tfact}")
    return IKEv2_payload_SA(next_payload=next_payload, prop=props), facts


def notify(ntype, data, next_payload, proto=0, spi=b""):
    n = IKEv2_payload_Notify(next_payload=next_payload, proto=proto, SPIsize=len(spi), SPI=spi, type=ntype,
                             load=data)
    if spi:
        n.length = 8 + len(spi) + len(data)  # scapy leaves the SPI out of the length
    return n, f"notify {proto} {hx(spi)} {ntype} {hx(data)}"


def ts_payload(cls, selectors, next_payload, label):
    """selectors: [(ts type, ip proto, start port, end port, start addr, end addr)]."""
    items = []
    facts = []
    for (ttype, proto, sp, ep, sa, ea) in selectors:
        if ttype == 7:
            items.append(IPv4TrafficSelector(TS_type=7, IP_protocol_ID=proto, start_port=sp, end_port=ep,
                                             starting_address_v4=sa, ending_address_v4=ea))
        else:
            items.append(IPv6TrafficSelector(TS_type=8, IP_protocol_ID=proto, length=40,  # scapy says 20
                                             start_port=sp, end_port=ep, starting_address_v6=sa,
                                             ending_address_v6=ea))
        packed = ipaddress.ip_address(sa).packed.hex() + " " + ipaddress.ip_address(ea).packed.hex()
        facts.append(f"{label} {ttype} {proto} {sp} {ep} {packed}")
    return cls(next_payload=next_payload, number_of_TSs=len(items), traffic_selector=items), facts


def header(spi_i, spi_r, exch, flags, mid, first):
    flag_names = {0x08: "Initiator", 0x20: "Response"}
    h = IKEv2(init_SPI=spi_i, resp_SPI=spi_r, next_payload=first, exch_type=exch, id=mid)
    h.flags = flags
    fact = f"header {spi_i.hex()} {spi_r.hex()} {exch} {flags} {mid}"
    del flag_names
    return h, fact


def ike_sa_init_request():
    spi_i = bytes.fromhex("8a3f9c0112345678")
    h, hfact = header(spi_i, bytes(8), 34, 0x08, 0, PT["SA"])
    sa, safacts = sa_payload([
        (1, 1, b"", [(1, 20, 256), (2, 5, None), (4, 19, None)]),
        (2, 1, b"", [(1, 12, 128), (2, 6, None), (3, 12, None), (4, 14, None)]),
    ], PT["KE"])
    ke_data = filled(64, 0x11)
    ke = IKEv2_payload_KE(next_payload=PT["Nonce"], group=19, load=ke_data)
    nonce_data = filled(32, 0x22)
    nonce = IKEv2_payload_Nonce(next_payload=PT["N"], load=nonce_data)
    nsrc, f1 = notify(16388, filled(20, 0x33), PT["N"])
    ndst, f2 = notify(16389, filled(20, 0x44), PT["N"])
    nfrag, f3 = notify(16430, b"", PT["N"])
    nsig, f4 = notify(16431, bytes.fromhex("000200030004"), PT["V"])
    vid_data = b"ipsecgw fixture"
    vid = IKEv2_payload_VendorID(next_payload=0, vendorID=vid_data)
    pkt = h / sa / ke / nonce / nsrc / ndst / nfrag / nsig / vid
    facts = [hfact] + safacts + [f"ke 19 {hx(ke_data)}", f"nonce {hx(nonce_data)}", f1, f2, f3, f4,
                                 f"vendor {hx(vid_data)}"]
    return bytes(pkt), facts


def create_child_sa_with_ts():
    h, hfact = header(bytes.fromhex("0102030405060708"), bytes.fromhex("a1a2a3a4a5a6a7a8"), 36, 0x08, 2,
                      PT["SA"])
    sa, safacts = sa_payload([(1, 3, bytes.fromhex("c0ffee01"), [(1, 20, 128), (5, 0, None)])], PT["Nonce"])
    nonce_data = filled(16, 0x55)
    nonce = IKEv2_payload_Nonce(next_payload=PT["TSi"], load=nonce_data)
    tsi, tsifacts = ts_payload(IKEv2_payload_TSi, [(7, 0, 0, 65535, "10.1.0.0", "10.1.255.255"),
                                                  (7, 6, 443, 443, "192.0.2.10", "192.0.2.10")],
                               PT["TSr"], "tsi")
    tsr, tsrfacts = ts_payload(IKEv2_payload_TSr, [(8, 17, 500, 4500, "2001:db8::", "2001:db8::ffff")], 0, "tsr")
    pkt = h / sa / nonce / tsi / tsr
    return bytes(pkt), [hfact] + safacts + [f"nonce {hx(nonce_data)}"] + tsifacts + tsrfacts


def informational_delete():
    h, hfact = header(bytes.fromhex("1111111111111111"), bytes.fromhex("2222222222222222"), 37, 0x20, 7,
                      PT["D"])
    spis = [0xdeadbeef, 0x00001234]
    # scapy's Delete payload is a raw body: protocol ESP, SPI size 4, count, SPIs.
    body = struct.pack("!BBH", 3, 4, len(spis)) + b"".join(struct.pack("!I", s) for s in spis)
    d_esp = IKEv2_payload_Delete(next_payload=PT["D"], vendorID=body)
    d_ike = IKEv2_payload_Delete(next_payload=0, vendorID=struct.pack("!BBH", 1, 0, 0))
    pkt = h / d_esp / d_ike
    return bytes(pkt), [hfact, "delete 3 deadbeef,00001234", "delete 1 -"]


def informational_notify():
    h, hfact = header(bytes.fromhex("3333333333333333"), bytes.fromhex("4444444444444444"), 34, 0x20, 0,
                      PT["N"])
    n1, f1 = notify(17, struct.pack("!H", 19), PT["N"])  # INVALID_KE_PAYLOAD, accepted group 19
    n2, f2 = notify(16393, b"", 0, proto=3, spi=bytes.fromhex("0badf00d"))  # REKEY_SA with an ESP SPI
    pkt = h / n1 / n2
    return bytes(pkt), [hfact, f1, f2]


def identity_sk(data):
    """[header][SK: next = first inner][IV 8 x 0][inner chain][pad length 0]."""
    inner = data[28:]
    sk_body = bytes(8) + inner + b"\x00"
    sk = struct.pack("!BBH", data[16], 0, 4 + len(sk_body)) + sk_body
    hdr = bytearray(data[:28])
    hdr[16] = 46  # SK
    struct.pack_into("!I", hdr, 24, 28 + len(sk))
    return bytes(hdr) + sk


def main():
    fixtures = {
        "ike_sa_init_request": ike_sa_init_request,
        "create_child_sa_ts": create_child_sa_with_ts,
        "informational_delete": informational_delete,
        "notify_invalid_ke": informational_notify,
    }
    for name, build in fixtures.items():
        data, facts = build()
        # Cross-check with scapy's own dissector before writing.
        again = IKEv2(data)
        if len(data) != again.length:
            sys.exit(f"{name}: length field {again.length} != {len(data)}")
        with open(os.path.join(OUT, name + ".hex"), "w") as f:
            f.write(data.hex() + "\n")
        with open(os.path.join(OUT, name + ".expect"), "w") as f:
            f.write("\n".join(facts) + "\n")
        os.makedirs(SEEDS, exist_ok=True)
        with open(os.path.join(SEEDS, name), "wb") as f:
            f.write(data)
        with open(os.path.join(SEEDS, "sk_" + name), "wb") as f:
            f.write(identity_sk(data))
        print(f"{name}: {len(data)} bytes, {len(facts)} facts")


if __name__ == "__main__":
    main()
