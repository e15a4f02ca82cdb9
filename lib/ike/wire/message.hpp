// The IKEv2 message model: a header and an ordered list of typed payloads
// (RFC 7296 3.1-3.16). The exchange layer builds a Message and encodes it,
// or decodes a datagram into one and looks payloads up by type. Control-plane
// code: allocation is fine here, nothing in this file touches the data path.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "ike/wire/constants.hpp"

namespace ipsecgw::ike {

using Bytes = std::vector<uint8_t>;

// RFC 7296 3.1. The Next Payload and Length fields are not stored: the
// encoder derives them and the decoder checks them.
struct Header {
  uint64_t spiI = 0;
  uint64_t spiR = 0;
  uint8_t majorVersion = 2;
  uint8_t minorVersion = 0;
  ExchangeType exchangeType = ExchangeType::IkeSaInit;
  uint8_t flags = 0;  // kFlagInitiator | kFlagVersion | kFlagResponse
  uint32_t messageId = 0;

  bool isInitiator() const { return flags & kFlagInitiator; }
  bool isResponse() const { return flags & kFlagResponse; }
  bool operator==(const Header&) const = default;
};

// RFC 7296 3.3.2. keyLength is the TV "Key Length" attribute (3.3.5), in bits.
struct Transform {
  TransformType type = TransformType::Encr;
  uint16_t id = 0;
  std::optional<uint16_t> keyLength;
  // An attribute other than Key Length was present (and is not kept): RFC
  // 7296 3.3.6 says to reject the proposal that carries it, not the message.
  bool hasUnknownAttribute = false;
  bool operator==(const Transform&) const = default;
};

// RFC 7296 3.3.1.
struct Proposal {
  uint8_t number = 1;
  ProtocolId protocol = ProtocolId::Ike;
  Bytes spi;  // empty in IKE_SA_INIT; 4 bytes for ESP/AH; 8 when rekeying an IKE SA
  std::vector<Transform> transforms;
  bool operator==(const Proposal&) const = default;
};

struct SaPayload {
  std::vector<Proposal> proposals;
  bool operator==(const SaPayload&) const = default;
};

struct KePayload {  // RFC 7296 3.4
  uint16_t group = 0;
  Bytes data;
  bool operator==(const KePayload&) const = default;
};

struct IdPayload {  // RFC 7296 3.5 (IDi and IDr)
  IdType type = IdType::Fqdn;
  Bytes data;
  bool operator==(const IdPayload&) const = default;
};

struct CertPayload {  // RFC 7296 3.6 (CERT) and 3.7 (CERTREQ: data = CA key hashes)
  uint8_t encoding = 4;  // 4 = X.509 Certificate - Signature
  Bytes data;
  bool operator==(const CertPayload&) const = default;
};

struct AuthPayload {  // RFC 7296 3.8
  AuthMethod method = AuthMethod::SharedKeyMic;
  Bytes data;
  bool operator==(const AuthPayload&) const = default;
};

struct NoncePayload {  // RFC 7296 3.9: 16..256 bytes
  Bytes data;
  bool operator==(const NoncePayload&) const = default;
};

struct NotifyPayload {  // RFC 7296 3.10
  ProtocolId protocol = ProtocolId::None;
  Bytes spi;
  NotifyType type = NotifyType::InitialContact;
  Bytes data;
  bool operator==(const NotifyPayload&) const = default;
};

struct DeletePayload {  // RFC 7296 3.11: IKE has SPI size 0 and no SPIs
  ProtocolId protocol = ProtocolId::Esp;
  std::vector<uint32_t> spis;  // ESP/AH SPIs (4 bytes each)
  bool operator==(const DeletePayload&) const = default;
};

struct VendorIdPayload {  // RFC 7296 3.12
  Bytes data;
  bool operator==(const VendorIdPayload&) const = default;
};

// RFC 7296 3.13.1. Addresses in network order; IPv4 uses the first 4 bytes.
struct TrafficSelector {
  TsType type = TsType::Ipv4AddrRange;
  uint8_t ipProtocol = 0;  // 0 = any
  uint16_t startPort = 0;
  uint16_t endPort = 65535;
  std::array<uint8_t, 16> startAddress{};
  std::array<uint8_t, 16> endAddress{};

  size_t addressLength() const { return type == TsType::Ipv6AddrRange ? 16 : 4; }
  static TrafficSelector ipv4(std::array<uint8_t, 4> start, std::array<uint8_t, 4> end,
                              uint8_t ipProtocol = 0, uint16_t startPort = 0, uint16_t endPort = 65535);
  static TrafficSelector ipv6(std::array<uint8_t, 16> start, std::array<uint8_t, 16> end,
                              uint8_t ipProtocol = 0, uint16_t startPort = 0, uint16_t endPort = 65535);
  bool operator==(const TrafficSelector&) const = default;
};

struct TsPayload {  // RFC 7296 3.13 (TSi and TSr)
  std::vector<TrafficSelector> selectors;
  bool operator==(const TsPayload&) const = default;
};

// A known payload this codec does not model (CP, EAP, GSPM): body kept verbatim.
struct RawPayload {
  Bytes data;
  bool operator==(const RawPayload&) const = default;
};

// What decodeMessage() found of an SK (RFC 7296 3.14) or SKF (RFC 7383 2.5)
// payload, before any crypto: where its IV starts in the datagram and, for
// SKF, which fragment this is. Never built by the sender: encodeEncrypted()
// and encodeFragment() lay SK/SKF out themselves.
struct EncryptedPayload {
  PayloadType firstInner = PayloadType::NoNext;  // SK's Next Payload; SKF: fragment 1 only
  uint16_t fragmentNumber = 0;                   // 0 for SK
  uint16_t totalFragments = 0;
  uint32_t ivOffset = 0;  // from the start of the datagram (the SkCipher's ivOffset)
  bool operator==(const EncryptedPayload&) const = default;
};

using PayloadBody = std::variant<SaPayload, KePayload, IdPayload, CertPayload, AuthPayload, NoncePayload,
                                 NotifyPayload, DeletePayload, VendorIdPayload, TsPayload, RawPayload,
                                 EncryptedPayload>;

struct Payload {
  PayloadType type = PayloadType::NoNext;
  bool critical = false;  // RFC 7296 3.2; meaningful only for types the peer may not know
  PayloadBody body;
  bool operator==(const Payload&) const = default;
};

struct Message {
  Header header;
  std::vector<Payload> payloads;
  // Set by openMessage(): the payloads after the unencrypted ones came out
  // of a verified SK payload.
  bool decrypted = false;

  // Appends a payload. The type defaults from the body where it is unique;
  // IDi/IDr and TSi/TSr (and RawPayload) must be named.
  Message& add(PayloadType type, PayloadBody body, bool critical = false);
  Message& add(SaPayload p) { return add(PayloadType::SA, std::move(p)); }
  Message& add(KePayload p) { return add(PayloadType::KE, std::move(p)); }
  Message& add(AuthPayload p) { return add(PayloadType::AUTH, std::move(p)); }
  Message& add(NoncePayload p) { return add(PayloadType::Nonce, std::move(p)); }
  Message& add(NotifyPayload p) { return add(PayloadType::Notify, std::move(p)); }
  Message& add(DeletePayload p) { return add(PayloadType::Delete, std::move(p)); }
  Message& add(VendorIdPayload p) { return add(PayloadType::VendorID, std::move(p)); }

  // First payload of `type`, or null.
  const Payload* find(PayloadType type) const;
  // Body of the first payload of `type` as T, or null (also when the body is
  // not a T). E.g. get<TsPayload>(PayloadType::TSr).
  template <typename T>
  const T* get(PayloadType type) const {
    const Payload* p = find(type);
    return p ? std::get_if<T>(&p->body) : nullptr;
  }
  // Every payload of `type`, in message order.
  std::vector<const Payload*> findAll(PayloadType type) const;
  // First notify of `type`, or null.
  const NotifyPayload* findNotify(NotifyType type) const;
  // First notify whose type is an error (RFC 7296 3.10.1: below 16384), or null.
  const NotifyPayload* firstErrorNotify() const;
  bool operator==(const Message&) const = default;
};

}  // namespace ipsecgw::ike
