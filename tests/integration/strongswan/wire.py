"""Classifies a capture of the link between two gateways (read back with scapy).

An IPsec gateway pair over kernel-libipsec or NAT-T may put only these on the
wire between its two outer addresses:
  ike      UDP 500 <-> 500: IKE_SA_INIT (RFC 7296 2.23: the first exchange before the port switch);
  ike4500  UDP 4500 with the four zero bytes of the non-ESP marker: IKE after the switch (RFC 3948 2.2);
  esp_udp  UDP 4500 carrying ESP (first four bytes: a non-zero SPI) (RFC 3948 2.1);
  keepalive UDP 4500 with the single byte 0xff (RFC 3948 2.3);
ARP, ND and MLD count as "link"; everything else is "other".
"""
from scapy.all import (rdpcap, raw, ARP, IP, IPv6, UDP, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RS, ICMPv6ND_RA,
                       ICMPv6MLReport, ICMPv6MLReport2)

# What a link needs besides IP between the gateways: neighbour discovery and
# the MLD reports the kernel sends for its link-local multicast groups.
_LINK = (ARP, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RS, ICMPv6ND_RA, ICMPv6MLReport, ICMPv6MLReport2)


def classify(pcap_path, gw_addrs):
    """Returns ({kind: count}, [summaries of "other" packets]) for a pcap.

    gw_addrs: the two gateways' outer addresses; IP packets between any other
    pair, and any transport that is not IKE or ESP-in-UDP, count as "other".
    """
    counts = {"ike": 0, "ike4500": 0, "esp_udp": 0, "keepalive": 0, "link": 0, "other": 0}
    others = []
    gws = set(gw_addrs)
    for p in rdpcap(pcap_path):
        kind = _kind(p, gws)
        counts[kind] += 1
        if kind == "other" and len(others) < 10:
            others.append(p.summary())
    return counts, others


def _kind(p, gws):
    if any(layer in p for layer in _LINK):
        return "link"
    ip = p[IP] if IP in p else (p[IPv6] if IPv6 in p else None)
    if ip is None or {ip.src, ip.dst} != gws or UDP not in p:
        return "other"
    udp = p[UDP]
    payload = raw(udp.payload)
    if udp.sport == 500 and udp.dport == 500:
        return "ike"
    if udp.sport != 4500 or udp.dport != 4500:
        return "other"
    if payload == b"\xff":
        return "keepalive"
    if len(payload) >= 4 and payload[:4] == b"\x00\x00\x00\x00":
        return "ike4500"
    # ESP header (SPI, sequence number) plus at least an IV/ICV's worth.
    return "esp_udp" if len(payload) >= 16 else "other"


def esp_spis(pcap_path):
    """The set of ESP SPIs (as 8-digit lowercase hex, swanctl's format) seen in ESP-in-UDP packets."""
    spis = set()
    for p in rdpcap(pcap_path):
        if UDP in p and p[UDP].dport == 4500:
            payload = raw(p[UDP].payload)
            if len(payload) >= 16 and payload[:4] != b"\x00\x00\x00\x00":
                spis.add(payload[:4].hex())
    return spis
