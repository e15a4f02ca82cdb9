// IKEv2 peers as the configuration describes them, shaped after strongSwan's
// swanctl.conf (connections.<name> with local/remote, proposals and
// children.<name>), so that an operator who knows one reads the other.
// Plain validated values; lib/ike turns proposals into transforms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "esp/security_association.hpp"
#include "net/ip_address.hpp"
#include "util/secret.hpp"

namespace ipsecgw::config {

// [ike]: settings shared by every connection.
struct IkeSettings {
  // RFC 7296 2.1 leaves the schedule to the implementation; these are
  // strongSwan's defaults (4 s, x1.8, 5 tries: ~165 s before giving up).
  uint32_t retransmitTimeoutMs = 4000;
  double retransmitBase = 1.8;
  uint32_t retransmitTries = 5;
  // Half-open IKE_SAs above which responders demand a COOKIE (RFC 7296 2.6).
  uint32_t cookieThreshold = 100;
  // Largest IP datagram (IP + UDP + IKE) an RFC 7383 fragment of ours may
  // make, for both families. RFC 7383 2.5.1 suggests 576 for IPv4 and 1280
  // for IPv6; 1280 is strongSwan's charon.fragment_size default and what
  // real IPv4 paths carry, a smaller path is the operator's to set.
  uint32_t fragmentSize = 1280;
};

// An identity (RFC 7296 3.5). Typed by its form: an address is ID_IPV4_ADDR /
// ID_IPV6_ADDR, "ATTR=value, ..." (an '=' in it) ID_DER_ASN1_DN, "user@host"
// ID_RFC822_ADDR, anything else ID_FQDN; "%any" on the remote side accepts
// whatever the peer claims (authentication still has to succeed).
struct IdentityConfig {
  enum class Type : uint8_t { Any, Ipv4, Ipv6, Fqdn, Email, Dn };
  Type type = Type::Any;
  std::string value;         // as written
  std::vector<uint8_t> der{};  // Type::Dn: the DER Name
};

enum class AuthMethod : uint8_t { Psk, Pubkey };
// When our certificate goes into IKE_AUTH (swanctl's send_cert).
enum class SendCert : uint8_t { IfAsked, Always, Never };

// auth = "pubkey" (RFC 7296 2.15 signatures, RFC 7427): what was read from
// the files, checked to parse; lib/ike builds its objects from these.
struct PubkeyConfig {
  std::vector<std::vector<uint8_t>> certChain;  // DER: our certificate, then intermediates sent along
  SecretBytes privateKeyPem;                    // from a file only root can read
  std::vector<std::vector<uint8_t>> caCerts;    // DER: the CAs that vouch for the peer
  std::vector<std::vector<uint8_t>> crls;       // CRL file contents (PEM or DER)
  SendCert sendCert = SendCert::IfAsked;
  bool rsaPss = false;  // sign with RSASSA-PSS instead of PKCS#1 v1.5 (RFC 7427 only)
};
enum class StartAction : uint8_t { None, Start, Trap };  // swanctl's start_action
enum class DpdAction : uint8_t { Clear, Restart, Trap };
// IKE fragmentation (RFC 7383), swanctl's values: Yes announces support and
// fragments our oversized messages when the peer announced it too; Accept
// announces and reassembles but never fragments ours; No does neither.
// Force is strongSwan's value whose only difference (fragmenting the first
// IKEv1 message) does not exist in IKEv2: it behaves as Yes.
enum class Fragmentation : uint8_t { No, Accept, Yes, Force };

struct TrafficSelectorConfig {
  IpPrefix prefix;
  uint8_t proto = 0;  // 0 = any
  uint16_t portLo = 0, portHi = 65535;
};

struct ChildConfig {
  std::string name;
  std::vector<TrafficSelectorConfig> localTs, remoteTs;
  // strongSwan proposal keywords ("aes128gcm16", "aes256-sha256-modp2048":
  // a DH group makes it PFS for rekeys), most preferred first.
  std::vector<std::string> espProposals;
  esp::Mode mode = esp::Mode::Tunnel;
  StartAction startAction = StartAction::None;
  uint32_t rekeyTimeS = 3600;  // 0: no time-based rekey
  uint32_t replayWindow = 128;
  esp::LifetimeLimits lifetime;  // data-plane limits; soft starts a rekey
};

struct ConnectionConfig {
  std::string name;
  IpAddress localAddress;   // one of the gateway's port addresses
  IpAddress remoteAddress;  // the peer
  IdentityConfig localId, remoteId;
  AuthMethod auth = AuthMethod::Psk;
  SecretBytes psk;  // auth = psk; never formatted, never returned by the CLI
  PubkeyConfig pubkey;  // auth = pubkey
  std::vector<std::string> ikeProposals;  // "aes128gcm16-prfsha256-x25519", most preferred first
  bool forceEncap = false;  // UDP-encapsulate ESP even without a NAT (swanctl encap = yes)
  uint32_t dpdDelayS = 30;  // 0: no liveness checks
  DpdAction dpdAction = DpdAction::Clear;
  uint32_t rekeyTimeS = 14400;  // IKE_SA rekey; 0: none
  uint32_t keyingTries = 1;     // 0: forever
  Fragmentation fragmentation = Fragmentation::Yes;
  std::vector<ChildConfig> children;
};

}  // namespace ipsecgw::config
