// IKE_AUTH with certificates (RFC 7296 2.15, 3.6, 3.7; RFC 7427): two
// engines with a PKI generated for the run, every key kind, both roles'
// refusals (untrusted CA, identity not in the certificate, revoked, no
// certificate), as in establish_test.cpp for PSK.
#include "exchange_harness.hpp"

#include "../test_pki.hpp"
#include "ike/crypto/signature_auth.hpp"
#include "ike/crypto/x509_certificate.hpp"
#include "ike/wire/message_codec.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;
using ipsecgw::test::CertSpec;
using ipsecgw::test::TestCa;

namespace {

const char* kIke = "aes128gcm16-prfsha256-x25519";
const char* kEsp = "aes128gcm16";

// `me`'s connection authenticated by `cert`, trusting `trusted` for the peer.
config::ConnectionConfig pubkeyConnection(const Side& me, const Side& peer, const ipsecgw::test::Entity& cert,
                                          const TestCa& trusted) {
  config::ConnectionConfig c = connection(me, peer, {kIke}, {kEsp});
  c.psk = SecretBytes();
  c.auth = config::AuthMethod::Pubkey;
  c.pubkey.certChain = {cert.certDer()};
  std::string pem = cert.keyPem();
  c.pubkey.privateKeyPem = SecretBytes(std::span(reinterpret_cast<const uint8_t*>(pem.data()), pem.size()));
  c.pubkey.caCerts = {trusted.certDer()};
  return c;
}

ipsecgw::test::Entity gateway(const TestCa& ca, const Side& s, KeyKind kind, long serial = 1) {
  return ca.issue(kind, CertSpec{s.id, "DNS:" + s.id, false, -1, 30, serial});
}

void requireUp(Harness& h) {
  CHECK(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  REQUIRE(eventsOf<ChildSaUp>(h.eventsI).size() == 1);
  REQUIRE(eventsOf<ChildSaUp>(h.eventsR).size() == 1);
  requireMirrored(*eventsOf<ChildSaUp>(h.eventsI)[0], *eventsOf<ChildSaUp>(h.eventsR)[0]);
}

// The responder refused IKE_AUTH: nothing is left on either side.
void requireRefusedByResponder(Harness& h, std::string_view counter) {
  CHECK(Harness::state(*h.r) == "NONE");
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(Harness::counter(*h.r, counter) == 1);
  REQUIRE(eventsOf<IkeSaDown>(h.eventsI).size() == 1);
  CHECK(eventsOf<IkeSaDown>(h.eventsI)[0]->reason == "AUTHENTICATION_FAILED");
  CHECK(eventsOf<ChildSaUp>(h.eventsI).empty());
  CHECK(eventsOf<ChildSaUp>(h.eventsR).empty());
  CHECK(eventsOf<IkeSaUp>(h.eventsR).empty());
}

}  // namespace

TEST_CASE("certificates of every key kind establish IKE SA and CHILD_SA", "[ike][engine][cert]") {
  struct Case {
    KeyKind a, b;
    bool pss;
  };
  const Case c = GENERATE(Case{KeyKind::Rsa, KeyKind::Rsa, false}, Case{KeyKind::Rsa, KeyKind::EcP256, true},
                          Case{KeyKind::EcP256, KeyKind::EcP384, false}, Case{KeyKind::Ed25519, KeyKind::Ed25519, false},
                          Case{KeyKind::EcP384, KeyKind::Ed25519, false});
  INFO(keyKindName(c.a) << " <-> " << keyKindName(c.b) << (c.pss ? " (PSS)" : ""));
  TestCa ca;
  auto a = pubkeyConnection(kA, kB, gateway(ca, kA, c.a), ca);
  auto b = pubkeyConnection(kB, kA, gateway(ca, kB, c.b), ca);
  a.pubkey.rsaPss = b.pubkey.rsaPss = c.pss;
  Harness h(std::move(a), std::move(b));
  h.start();

  // IKE_SA_INIT: both announce their hashes (RFC 7427 4); the responder
  // names our CA in a CERTREQ (3.7).
  auto out = h.i->takeOutgoing();
  REQUIRE(out.size() == 1);
  auto init = decodeMessage(out[0].bytes);
  REQUIRE(init);
  const NotifyPayload* hashes = init->findNotify(NotifyType::SignatureHashAlgorithms);
  REQUIRE(hashes);
  CHECK(decodeSignatureHashes(hashes->data) == ourSignatureHashes());
  h.r->receive(Harness::flip(out[0]), h.now);
  out = h.r->takeOutgoing();
  REQUIRE(out.size() == 1);
  auto response = decodeMessage(out[0].bytes);
  REQUIRE(response);
  CHECK(response->findNotify(NotifyType::SignatureHashAlgorithms));
  const auto* certReq = response->get<CertPayload>(PayloadType::CERTREQ);
  REQUIRE(certReq);
  CHECK(certReq->encoding == 4);
  const CaKeyHash caHash = Certificate::fromDer(ca.certDer()).value().keyHash();
  CHECK(certReq->data == std::vector<uint8_t>(caHash.begin(), caHash.end()));
  h.i->receive(Harness::flip(out[0]), h.now);
  h.collect();

  h.settle();
  requireUp(h);
  // send_cert = ifasked, and each side asked: both sent their certificate.
  CHECK(Harness::counter(*h.i, "cert-sent") == 1);
  CHECK(Harness::counter(*h.r, "cert-sent") == 1);
}

TEST_CASE("DN identities: our subject by default, matched as a name", "[ike][engine][cert]") {
  TestCa ca;
  auto certA = gateway(ca, kA, KeyKind::EcP256);
  auto certB = gateway(ca, kB, KeyKind::EcP256);
  auto a = pubkeyConnection(kA, kB, certA, ca);
  auto b = pubkeyConnection(kB, kA, certB, ca);
  auto subject = [](const ipsecgw::test::Entity& e) {
    Certificate c = Certificate::fromDer(e.certDer()).value();
    return config::IdentityConfig{config::IdentityConfig::Type::Dn, c.subjectText(), c.subjectDer()};
  };
  a.localId = subject(certA);
  b.localId = subject(certB);
  // B expects A by a DN written differently (spaces, case): still A.
  b.remoteId = {config::IdentityConfig::Type::Dn, "", parseDistinguishedName("c=ch,  o=IPSECGW TEST, cn=" + kA.id).value()};
  a.remoteId = {config::IdentityConfig::Type::Any, "%any", {}};
  Harness h(std::move(a), std::move(b));
  h.start();
  h.settle();
  requireUp(h);
}

TEST_CASE("a certificate from an untrusted CA is refused", "[ike][engine][cert]") {
  TestCa ca("ipsecgw test CA"), stranger("stranger CA");
  // A's certificate comes from a CA that B does not trust.
  Harness h(pubkeyConnection(kA, kB, gateway(stranger, kA, KeyKind::EcP256), ca),
            pubkeyConnection(kB, kA, gateway(ca, kB, KeyKind::EcP256), ca));
  h.start();
  h.settle();
  requireRefusedByResponder(h, "cert-untrusted");
}

TEST_CASE("an identity the certificate does not vouch for is refused", "[ike][engine][cert]") {
  TestCa ca;
  // A claims gwa.example.net with a certificate for another name (the
  // config layer refuses this for our own side; a peer may still try).
  auto wrong = ca.issue(KeyKind::EcP256, CertSpec{"other", "DNS:other.example.net"});
  Harness h(pubkeyConnection(kA, kB, wrong, ca), pubkeyConnection(kB, kA, gateway(ca, kB, KeyKind::EcP256), ca));
  h.start();
  h.settle();
  requireRefusedByResponder(h, "cert-id-mismatch");
}

TEST_CASE("a revoked certificate is refused; an unrevoked one of the same CA is not", "[ike][engine][cert]") {
  TestCa ca;
  auto b = pubkeyConnection(kB, kA, gateway(ca, kB, KeyKind::EcP256), ca);
  b.pubkey.crls = {ipsecgw::test::bytesOf(ca.crlPem({66}))};
  SECTION("revoked") {
    Harness h(pubkeyConnection(kA, kB, gateway(ca, kA, KeyKind::EcP256, 66), ca), std::move(b));
    h.start();
    h.settle();
    requireRefusedByResponder(h, "cert-untrusted");
  }
  SECTION("not revoked") {
    Harness h(pubkeyConnection(kA, kB, gateway(ca, kA, KeyKind::EcP256, 67), ca), std::move(b));
    h.start();
    h.settle();
    requireUp(h);
  }
}

TEST_CASE("initiator side: responder's certificate untrusted -> AUTHENTICATION_FAILED to it", "[ike][engine][cert]") {
  TestCa ca, stranger("stranger CA");
  auto b = pubkeyConnection(kB, kA, gateway(stranger, kB, KeyKind::EcP256), ca);  // B trusts A's CA
  Harness h(pubkeyConnection(kA, kB, gateway(ca, kA, KeyKind::EcP256), ca), std::move(b));
  h.start();
  h.iToR();
  h.rToI();
  h.iToR();  // IKE_AUTH request: B accepts A and answers with its own certificate
  CHECK(Harness::state(*h.r) == "ESTABLISHED");
  h.rToI();  // A cannot chain B's certificate: INFORMATIONAL N(AUTHENTICATION_FAILED)
  CHECK(Harness::counter(*h.i, "cert-untrusted") == 1);
  CHECK(Harness::state(*h.i) == "NONE");
  h.iToR();
  CHECK(Harness::state(*h.r) == "NONE");
  REQUIRE(eventsOf<IkeSaDown>(h.eventsI).size() == 1);
  CHECK(eventsOf<IkeSaDown>(h.eventsI)[0]->reason == "AUTHENTICATION_FAILED");
}

TEST_CASE("send_cert = never: the peer has no certificate to check", "[ike][engine][cert]") {
  TestCa ca;
  auto a = pubkeyConnection(kA, kB, gateway(ca, kA, KeyKind::EcP256), ca);
  a.pubkey.sendCert = config::SendCert::Never;
  Harness h(std::move(a), pubkeyConnection(kB, kA, gateway(ca, kB, KeyKind::EcP256), ca));
  h.start();
  h.settle();
  CHECK(Harness::counter(*h.i, "cert-sent") == 0);
  requireRefusedByResponder(h, "no-peer-cert");
}

TEST_CASE("a certificate chain: intermediate sent along after our certificate", "[ike][engine][cert]") {
  TestCa root("root CA");
  TestCa sub("intermediate CA", root);
  auto a = pubkeyConnection(kA, kB, gateway(sub, kA, KeyKind::EcP256), root);
  auto b = pubkeyConnection(kB, kA, gateway(root, kB, KeyKind::EcP256), root);
  SECTION("with the intermediate") {
    a.pubkey.certChain.push_back(sub.certDer());
    Harness h(std::move(a), std::move(b));
    h.start();
    h.settle();
    requireUp(h);
  }
  SECTION("without it B cannot chain A") {
    Harness h(std::move(a), std::move(b));
    h.start();
    h.settle();
    requireRefusedByResponder(h, "cert-untrusted");
  }
}
