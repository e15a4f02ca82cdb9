// Why a packet was dropped. One list gives the enum, the name and the help text
// (after VPP's foreach_ipsec_sa_err), so a counter per reason and its label can
// never disagree. Every layer reports into this list; the data plane keeps one
// counter per reason per worker and the control core sums them.
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecgw {

#define IPSECGW_DROP_REASONS(X)                                                            \
  X(None, "none", "not dropped")                                                          \
  X(Malformed, "malformed", "packet too short or a header length is inconsistent")        \
  X(UnsupportedProtocol, "unsupported-protocol", "not IPv4/IPv6 or a protocol not handled") \
  X(NoHeadroom, "no-headroom", "buffer lacks head- or tailroom for the ESP overhead")     \
  X(EspShort, "esp-short", "ESP packet shorter than header, IV and ICV")                  \
  X(EspBadLength, "esp-bad-length", "ciphertext not a multiple of the cipher block size")  \
  X(UnknownSpi, "unknown-spi", "no inbound SA for this SPI and destination")              \
  X(Replay, "replay", "sequence number already seen or left of the replay window")        \
  X(BadIcv, "bad-icv", "integrity check value did not verify")                             \
  X(BadPadding, "bad-padding", "ESP padding bytes or pad length invalid")                  \
  X(BadNextHeader, "bad-next-header", "next header does not match the SA mode")           \
  X(SeqOverflow, "seq-overflow", "sequence number space exhausted; the SA must be rekeyed") \
  X(LifetimeExpired, "lifetime-expired", "SA passed its hard byte or packet lifetime")    \
  X(PolicyMismatch, "policy-mismatch", "decrypted packet does not match its SA's selectors") \
  X(PolicyDiscard, "policy-discard", "security policy says DISCARD")                       \
  X(NoPolicy, "no-policy", "no security policy matched")                                   \
  X(NoSa, "no-sa", "policy is PROTECT but has no SA installed")                            \
  X(CryptoError, "crypto-error", "crypto engine reported an error for the operation")     \
  X(NatKeepalive, "nat-keepalive", "NAT-T keepalive (RFC 3948 2.3), consumed")             \
  X(WrongFamily, "wrong-family", "address family does not match the SA")                \
  X(DummyPacket, "dummy-packet", "TFC dummy packet (next header 59), discarded per RFC 4303 2.6") \
  X(Chained, "chained-mbuf", "multi-segment packet where the data path takes single segments") \
  X(NotForUs, "not-for-us", "Ethernet destination is neither this port nor broadcast/multicast") \
  X(LinkBroadcast, "link-broadcast", "transit packet sent to a link-layer broadcast/multicast (RFC 1812 5.3.4)") \
  X(BadIpChecksum, "bad-ip-checksum", "IPv4 header checksum does not verify")                \
  X(TtlExpired, "ttl-expired", "TTL or hop limit would reach zero when forwarded")            \
  X(NoRoute, "no-route", "no route to the destination")                                       \
  X(NoNeighbor, "no-neighbor", "next hop's MAC unresolved and its wait queue full")           \
  X(MtuExceeded, "mtu-exceeded", "packet larger than the egress or tunnel MTU and DF set (or IPv6)") \
  X(FragFailed, "frag-failed", "IPv4 packet too big for the tunnel could not be fragmented")   \
  X(ReassemblyFailed, "reassembly-failed", "outer fragment dropped by reassembly (table full, timeout, bad)") \
  X(NoMbuf, "no-mbuf", "mbuf pool empty when a new packet (fragment, ICMP error) was needed") \
  X(IcmpRateLimited, "icmp-rate-limited", "ICMP error not sent: over the worker's rate limit") \
  X(IcmpNoAddress, "icmp-no-address", "ICMP error not sent: ingress port has no address of that family") \
  X(IcmpSuppressed, "icmp-suppressed", "no ICMP error about an ICMP error, non-first fragment, multicast (RFC 1812 4.3.2.7)") \
  X(LocalUnhandled, "local-unhandled", "addressed to the gateway, no service for it")         \
  X(ExceptionRingFull, "exception-ring-full", "IKE datagram for the control core dropped: its ring is full") \
  X(TxFull, "tx-full", "transmit queue full")

enum class DropReason : uint8_t {
#define IPSECGW_DROP_ENUM(name, label, help) name,
  IPSECGW_DROP_REASONS(IPSECGW_DROP_ENUM)
#undef IPSECGW_DROP_ENUM
      Count
};

inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::Count);

std::string_view dropReasonName(DropReason r);
std::string_view dropReasonHelp(DropReason r);

}  // namespace ipsecgw
