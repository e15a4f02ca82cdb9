// IKE on the wire of the gateway's own addresses, between IP packets and the
// engine's ike::Datagram (lib/ike/engine/ike_engine.hpp). Plain bytes, no
// DPDK: the worker classifies, the control core decodes what the worker
// passed it and encodes what the engine sends.
//
// What is IKE (RFC 7296 2, RFC 3948 2.2): UDP to port 500, and UDP to port
// 4500 whose payload starts with the four-zero non-ESP marker. UDP 4500 with
// a non-zero first word is ESP (decapsulated by the worker); a single 0xFF
// byte is a NAT keepalive (RFC 3948 2.3), consumed.
#pragma once

#include <cstdint>
#include <span>

#include "ike/engine/ike_engine.hpp"
#include "net/drop_reason.hpp"
#include "net/ip_layout.hpp"

namespace ipsecgw::dataplane {

enum class IkeRxKind : uint8_t { NotIke, Ike, NatKeepalive };

// `packet` is an IP packet addressed to one of our addresses and `lay` its
// layout (locateUpperLayer). Fragments are NotIke: the UDP header may not be
// in this one (they take the reassembly path).
IkeRxKind classifyIke(std::span<const uint8_t> packet, const IpLayout& lay);

// The datagram in `packet` (classified Ike): addresses and ports, payload
// without the non-ESP marker. Malformed when a length disagrees or the
// marker is missing; a wrong UDP checksum is Malformed with `badChecksum`
// set (IPv4 may send 0 = none, RFC 768; IPv6 must not, RFC 8200 8.1).
DropReason decodeIkeDatagram(std::span<const uint8_t> packet, ike::Datagram& out, bool& badChecksum);

// Writes IPv4/IPv6 + UDP (+ the non-ESP marker when either port is not 500)
// + the message into `out`; returns the packet length, 0 if it does not fit
// or the two addresses differ in family. The UDP checksum is always computed
// (optional for IPv4 but cheap for a control message). `ipv4Id` is the IPv4
// Identification (unused for IPv6).
uint32_t encodeIkeDatagram(const ike::Datagram& d, uint16_t ipv4Id, std::span<uint8_t> out);

// Bytes encodeIkeDatagram() needs for `d`.
uint32_t encodedIkeDatagramSize(const ike::Datagram& d);

inline constexpr uint8_t kIkeTtl = 64;

}  // namespace ipsecgw::dataplane
