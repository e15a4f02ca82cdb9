// Who we are and who the peer is, in IKE_AUTH (RFC 7296 2.15), for both
// auth methods of a connection, after strongSwan's sa/ikev2/authenticators:
//   psk:    AUTH method 2, prf(prf(PSK, "Key Pad for IKEv2"), <signed octets>)
//   pubkey: [CERT...] and an AUTH signature over the same signed octets by
//           our certificate's key (RFC 7427 method 14 when the peer sent
//           N(SIGNATURE_HASH_ALGORITHMS), else RSA 1 / ECDSA 9-11); the
//           peer's end-entity CERT must chain to a configured CA, not be
//           revoked, and vouch for its ID payload (subjectAltName or
//           subject DN).
// Plus the IKE_SA_INIT parts of pubkey: SIGNATURE_HASH_ALGORITHMS (RFC 7427
// 4) and CERTREQ (3.7) naming our CAs.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/connection_config.hpp"
#include "ike/crypto/private_key.hpp"
#include "ike/crypto/trust_store.hpp"
#include "ike/engine/engine_counters.hpp"
#include "ike/wire/message.hpp"

namespace ipsecgw::ike {

struct IkeSa;

// A pubkey connection's objects, built once from the config's files.
struct PubkeyCredentials {
  std::vector<Certificate> chain;  // ours first, then intermediates we send along
  PrivateKey key;
  TrustStore trust;
};
using PubkeyCredentialsPtr = std::shared_ptr<const PubkeyCredentials>;

// Null with `error` set when the material does not load (the config layer
// has checked it, so only a broken invariant gets here).
PubkeyCredentialsPtr loadCredentials(const config::PubkeyConfig& p, std::string& error);

// IKE_SA_INIT, both roles, pubkey only: N(SIGNATURE_HASH_ALGORITHMS); the
// responder also CERTREQ (as strongSwan's ike_cert_pre).
void addInitPayloads(Message& m, const IkeSa& sa);
// What the peer's IKE_SA_INIT or IKE_AUTH message tells about signatures
// and certificates: its hash list, whether it asked for certificates.
void notePeerPayloads(IkeSa& sa, const Message& m);

// IKE_AUTH initiator: CERTREQ for our CAs (pubkey only).
void addCertReq(Message& m, const IkeSa& sa);
// Our CERT payloads (by send_cert) and AUTH over our ID payload; nullopt
// when signing fails (counted).
std::optional<AuthPayload> addOurAuth(Message& m, const IkeSa& sa, EngineCounters& counters, const IdPayload& ourId);
// The peer's proof for `peerId`: nullopt when it holds, else the counter
// that says why not.
std::optional<EngineCounter> checkPeerAuth(const IkeSa& sa, const Message& m, const IdPayload& peerId,
                                           const AuthPayload& auth);

}  // namespace ipsecgw::ike
