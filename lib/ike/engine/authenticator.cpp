#include "ike/engine/authenticator.hpp"

#include "ike/crypto/psk_auth.hpp"
#include "ike/crypto/signature_auth.hpp"
#include "ike/engine/identity.hpp"
#include "ike/engine/ike_sa.hpp"

namespace ipsecgw::ike {

namespace {

constexpr uint8_t kX509Signature = 4;  // Certificate Encoding (RFC 7296 3.6)

bool usesPubkey(const IkeSa& sa) { return sa.config().auth == config::AuthMethod::Pubkey && sa.connection->credentials; }

// RFC 7296 2.15: the signer's IKE_SA_INIT message, the other side's nonce
// and the signer's SK_p; `ours`: we sign, else the peer signed.
Expected<std::vector<uint8_t>, CryptoError> octetsFor(const IkeSa& sa, bool ours, const IdPayload& id) {
  const bool signerIsInitiator = ours == sa.initiator;
  return signedOctets(sa.prf, signerIsInitiator ? sa.initRequest : sa.initResponse,
                      signerIsInitiator ? sa.nr : sa.ni, signerIsInitiator ? sa.skPi.view() : sa.skPr.view(),
                      idPayloadBody(id));
}

}  // namespace

PubkeyCredentialsPtr loadCredentials(const config::PubkeyConfig& p, std::string& error) {
  std::vector<Certificate> chain;
  for (const auto& der : p.certChain) {
    auto c = Certificate::fromDer(der);
    if (!c) {
      error = "local_cert: " + c.error();
      return nullptr;
    }
    chain.push_back(std::move(*c));
  }
  std::vector<Certificate> cas;
  for (const auto& der : p.caCerts) {
    auto c = Certificate::fromDer(der);
    if (!c) {
      error = "CA certificate: " + c.error();
      return nullptr;
    }
    cas.push_back(std::move(*c));
  }
  auto key = PrivateKey::fromPem(p.privateKeyPem.view());
  auto trust = TrustStore::make(cas, p.crls);
  if (chain.empty() || !key || !trust) {
    error = chain.empty() ? "no local_cert" : !key ? "local_key: " + key.error() : trust.error();
    return nullptr;
  }
  return std::make_shared<const PubkeyCredentials>(PubkeyCredentials{std::move(chain), std::move(*key), std::move(*trust)});
}

void addInitPayloads(Message& m, const IkeSa& sa) {
  if (!usesPubkey(sa)) return;
  m.add(NotifyPayload{ProtocolId::None, {}, NotifyType::SignatureHashAlgorithms,
                      encodeSignatureHashes(ourSignatureHashes())});
  if (!sa.initiator) addCertReq(m, sa);
}

void notePeerPayloads(IkeSa& sa, const Message& m) {
  if (const NotifyPayload* n = m.findNotify(NotifyType::SignatureHashAlgorithms))
    sa.peerSignatureHashes = decodeSignatureHashes(n->data);
  for (const Payload* p : m.findAll(PayloadType::CERTREQ)) {
    const auto* req = std::get_if<CertPayload>(&p->body);
    // 3.7: an empty CA list still asks for a certificate (strongSwan does
    // the same); other encodings we cannot serve.
    if (req && req->encoding == kX509Signature) sa.peerCertReq = true;
  }
}

void addCertReq(Message& m, const IkeSa& sa) {
  if (!usesPubkey(sa)) return;
  m.add(PayloadType::CERTREQ, CertPayload{kX509Signature, sa.connection->credentials->trust.certReqData()});
}

std::optional<AuthPayload> addOurAuth(Message& m, const IkeSa& sa, EngineCounters& counters, const IdPayload& ourId) {
  const config::ConnectionConfig& cfg = sa.config();
  if (cfg.auth == config::AuthMethod::Psk) {
    // AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <signed octets>)
    const bool i = sa.initiator;
    auto auth = computePskAuth(sa.prf, cfg.psk.view(), i ? sa.initRequest : sa.initResponse, i ? sa.nr : sa.ni,
                               i ? sa.skPi.view() : sa.skPr.view(), idPayloadBody(ourId));
    if (!auth) {
      counters.bump(EngineCounter::CryptoFailure);
      return std::nullopt;
    }
    return AuthPayload{AuthMethod::SharedKeyMic, std::move(*auth)};
  }
  const PubkeyCredentials* creds = sa.connection->credentials.get();
  auto octets = octetsFor(sa, true, ourId);
  if (!creds || !octets) {
    counters.bump(EngineCounter::CryptoFailure);
    return std::nullopt;
  }
  auto signature = signAuth(creds->key, *octets, SignOptions{sa.peerSignatureHashes, cfg.pubkey.rsaPss});
  if (!signature) {
    counters.bump(EngineCounter::CryptoFailure);
    return std::nullopt;
  }
  // 3.6: our end-entity certificate first, then what helps the peer chain it.
  const config::SendCert send = cfg.pubkey.sendCert;
  if (send == config::SendCert::Always || (send == config::SendCert::IfAsked && sa.peerCertReq)) {
    for (const Certificate& c : creds->chain) m.add(PayloadType::CERT, CertPayload{kX509Signature, c.der()});
    counters.bump(EngineCounter::CertSent);
  }
  return AuthPayload{static_cast<AuthMethod>(signature->method), std::move(signature->data)};
}

std::optional<EngineCounter> checkPeerAuth(const IkeSa& sa, const Message& m, const IdPayload& peerId,
                                           const AuthPayload& auth) {
  const config::ConnectionConfig& cfg = sa.config();
  if (!idMatches(cfg.remoteId, peerId)) return EngineCounter::IdMismatch;
  if (cfg.auth == config::AuthMethod::Psk) {
    const bool i = sa.initiator;  // the peer signed as the other role
    const bool ok = auth.method == AuthMethod::SharedKeyMic &&
                    verifyPskAuth(sa.prf, cfg.psk.view(), i ? sa.initResponse : sa.initRequest, i ? sa.ni : sa.nr,
                                  i ? sa.skPr.view() : sa.skPi.view(), idPayloadBody(peerId), auth.data);
    return ok ? std::nullopt : std::optional(EngineCounter::AuthFailed);
  }
  const PubkeyCredentials* creds = sa.connection->credentials.get();
  if (!creds) return EngineCounter::CryptoFailure;
  // The first X.509 CERT is the peer's own (3.6); the rest may help chain it.
  std::optional<Certificate> end;
  std::vector<Certificate> intermediates;
  for (const Payload* p : m.findAll(PayloadType::CERT)) {
    const auto* cert = std::get_if<CertPayload>(&p->body);
    if (!cert || cert->encoding != kX509Signature) continue;
    auto parsed = Certificate::fromDer(cert->data);
    if (!parsed) {
      if (!end) return EngineCounter::NoPeerCert;
      continue;
    }
    if (!end)
      end = std::move(*parsed);
    else if (intermediates.size() < 8)  // RFC 5280 paths of real PKIs are short
      intermediates.push_back(std::move(*parsed));
  }
  if (!end) return EngineCounter::NoPeerCert;
  if (creds->trust.verify(*end, intermediates)) return EngineCounter::CertUntrusted;
  auto kind = certIdKind(peerId.type);
  if (!kind || !end->vouchesFor(*kind, peerId.data)) return EngineCounter::CertIdMismatch;
  auto octets = octetsFor(sa, false, peerId);
  if (!octets) return EngineCounter::CryptoFailure;
  std::string why;
  if (!verifyAuth(end->publicKey(), static_cast<uint8_t>(auth.method), auth.data, *octets, why))
    return EngineCounter::AuthFailed;
  return std::nullopt;
}

}  // namespace ipsecgw::ike
