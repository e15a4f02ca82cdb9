// Certificates, signature AUTH (RFC 7427 and the classic methods) and the
// trust store, with a PKI generated for each run (../test_pki.hpp).
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "../test_pki.hpp"
#include "ike/crypto/private_key.hpp"
#include "ike/crypto/signature_auth.hpp"
#include "ike/crypto/trust_store.hpp"
#include "ike/crypto/x509_certificate.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using ipsecgw::test::CertSpec;
using ipsecgw::test::TestCa;

namespace {

Certificate cert(const test::Entity& e) { return Certificate::fromDer(e.certDer()).value(); }
PrivateKey key(const test::Entity& e) {
  std::string pem = e.keyPem();
  return PrivateKey::fromPem(ByteView(reinterpret_cast<const uint8_t*>(pem.data()), pem.size())).value();
}
ByteView view(const std::string& s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

const std::string kOctets = "RealMessage | Nonce | prf(SK_p, IDx')";

// The AlgorithmIdentifier inside method-14 AUTH data.
std::vector<uint8_t> aidOf(const SignatureAuth& a) {
  REQUIRE(!a.data.empty());
  return std::vector<uint8_t>(a.data.begin() + 1, a.data.begin() + 1 + a.data[0]);
}

}  // namespace

TEST_CASE("RFC 7427 AUTH for every key kind signs, verifies, and refuses tampering", "[ike][crypto][cert]") {
  TestCa ca;
  struct Case {
    KeyKind kind;
    bool pss;
    std::vector<uint8_t> aidPrefix;  // RFC 7427 Appendix A encodings (PSS: the OID)
  };
  const std::vector<Case> cases = {
      // sha256WithRSAEncryption, NULL parameters (A.1.2)
      {KeyKind::Rsa, false, {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00}},
      // id-RSASSA-PSS 1.2.840.113549.1.1.10 with parameters (A.4)
      {KeyKind::Rsa, true, {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a}},
      // ecdsa-with-SHA256 (A.3.1), ecdsa-with-SHA384 (A.3.2)
      {KeyKind::EcP256, false, {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}},
      {KeyKind::EcP384, false, {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}},
      // id-Ed25519 (RFC 8420 3)
      {KeyKind::Ed25519, false, {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70}},
  };
  for (const Case& c : cases) {
    INFO(keyKindName(c.kind) << (c.pss ? " PSS" : ""));
    test::Entity e = ca.issue(c.kind, CertSpec{"gw", "DNS:gw.example"});
    PrivateKey k = key(e);
    CHECK(k.kind() == c.kind);
    auto auth = signAuth(k, view(kOctets), SignOptions{ourSignatureHashes(), c.pss});
    REQUIRE(auth);
    CHECK(auth->method == SignatureMethod::DigitalSignature);
    std::vector<uint8_t> aid = aidOf(*auth);
    if (c.pss) {
      REQUIRE(aid.size() > 2 + c.aidPrefix.size());
      CHECK(std::vector<uint8_t>(aid.begin() + 2, aid.begin() + 2 + c.aidPrefix.size()) == c.aidPrefix);
    } else {
      CHECK(aid == c.aidPrefix);
    }
    std::string why;
    CHECK(verifyAuth(cert(e).publicKey(), 14, auth->data, view(kOctets), why));
    CHECK(why.empty());
    // Other octets, a flipped signature bit, the wrong key, the wrong method.
    CHECK_FALSE(verifyAuth(cert(e).publicKey(), 14, auth->data, view(kOctets + "x"), why));
    std::vector<uint8_t> flipped = auth->data;
    flipped.back() ^= 0x01;
    CHECK_FALSE(verifyAuth(cert(e).publicKey(), 14, flipped, view(kOctets), why));
    test::Entity other = ca.issue(c.kind, CertSpec{"other"});
    CHECK_FALSE(verifyAuth(cert(other).publicKey(), 14, auth->data, view(kOctets), why));
    CHECK_FALSE(verifyAuth(cert(e).publicKey(), 2, auth->data, view(kOctets), why));
    // Truncations of every length are refused, never read past the end.
    for (size_t n = 0; n < auth->data.size(); n += 7)
      CHECK_FALSE(verifyAuth(cert(e).publicKey(), 14, ByteView(auth->data.data(), n), view(kOctets), why));
  }
}

TEST_CASE("the hash follows the peer's SIGNATURE_HASH_ALGORITHMS", "[ike][crypto][cert]") {
  TestCa ca;
  test::Entity rsa = ca.issue(KeyKind::Rsa, CertSpec{"rsa"});
  // Only SHA2-384 offered: sha384WithRSAEncryption (1.2.840.113549.1.1.12).
  auto auth = signAuth(key(rsa), view(kOctets), SignOptions{std::vector{SignatureHash::Sha2_384}, false});
  REQUIRE(auth);
  std::vector<uint8_t> aid = aidOf(*auth);
  REQUIRE(aid.size() == 15);
  CHECK(aid[12] == 0x0c);
  std::string why;
  CHECK(verifyAuth(cert(rsa).publicKey(), 14, auth->data, view(kOctets), why));

  // Ed25519 needs Identity (RFC 8420); without it there is no method at all.
  test::Entity ed = ca.issue(KeyKind::Ed25519, CertSpec{"ed"});
  CHECK_FALSE(signAuth(key(ed), view(kOctets), SignOptions{std::vector{SignatureHash::Sha2_256}, false}));
  CHECK_FALSE(signAuth(key(ed), view(kOctets), SignOptions{std::nullopt, false}));

  CHECK(decodeSignatureHashes(encodeSignatureHashes(ourSignatureHashes())) == ourSignatureHashes());
  const std::vector<uint8_t> withUnknown = {0x00, 0x02, 0x12, 0x34, 0x00, 0x05, 0x00};
  CHECK(decodeSignatureHashes(withUnknown) == std::vector{SignatureHash::Sha2_256, SignatureHash::Identity});
}

TEST_CASE("classic methods for a peer without SIGNATURE_HASH_ALGORITHMS", "[ike][crypto][cert]") {
  TestCa ca;
  struct Case {
    KeyKind kind;
    SignatureMethod method;
    size_t length;  // RFC 4754 7: r | s; RSA: the modulus
  };
  for (const Case& c : {Case{KeyKind::Rsa, SignatureMethod::Rsa, 256}, Case{KeyKind::EcP256, SignatureMethod::EcdsaSha256, 64},
                        Case{KeyKind::EcP384, SignatureMethod::EcdsaSha384, 96},
                        Case{KeyKind::EcP521, SignatureMethod::EcdsaSha512, 132}}) {
    INFO(keyKindName(c.kind));
    test::Entity e = ca.issue(c.kind, CertSpec{"gw"});
    auto auth = signAuth(key(e), view(kOctets), SignOptions{});
    REQUIRE(auth);
    CHECK(auth->method == c.method);
    CHECK(auth->data.size() == c.length);
    std::string why;
    CHECK(verifyAuth(cert(e).publicKey(), static_cast<uint8_t>(c.method), auth->data, view(kOctets), why));
    CHECK_FALSE(verifyAuth(cert(e).publicKey(), static_cast<uint8_t>(c.method), auth->data, view("other"), why));
    // An ECDSA method that is not the key's curve, RSA claimed for ECDSA.
    const uint8_t wrong = c.method == SignatureMethod::EcdsaSha256 ? 10 : 9;
    CHECK_FALSE(verifyAuth(cert(e).publicKey(), wrong, auth->data, view(kOctets), why));
  }
}

TEST_CASE("identities a certificate vouches for", "[ike][crypto][cert]") {
  TestCa ca;
  test::Entity e =
      ca.issue(KeyKind::EcP256, CertSpec{"moon.example.org", "DNS:gw.example.net,IP:192.0.2.1,IP:2001:db8::1,email:vpn@example.net"});
  Certificate c = cert(e);
  auto text = [](std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  CHECK(c.vouchesFor(CertIdKind::Fqdn, text("gw.example.net")));
  CHECK(c.vouchesFor(CertIdKind::Fqdn, text("GW.Example.NET")));
  CHECK_FALSE(c.vouchesFor(CertIdKind::Fqdn, text("other.example.net")));
  CHECK_FALSE(c.vouchesFor(CertIdKind::Fqdn, text("moon.example.org")));  // a CN is not a SAN
  CHECK_FALSE(c.vouchesFor(CertIdKind::Fqdn, text(std::string_view("gw.example.net\0x", 16))));
  CHECK(c.vouchesFor(CertIdKind::Email, text("vpn@example.net")));
  CHECK_FALSE(c.vouchesFor(CertIdKind::Email, text("root@example.net")));
  const std::array<uint8_t, 4> v4{192, 0, 2, 1}, v4other{192, 0, 2, 2};
  CHECK(c.vouchesFor(CertIdKind::Ipv4, v4));
  CHECK_FALSE(c.vouchesFor(CertIdKind::Ipv4, v4other));
  std::array<uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 1;
  CHECK(c.vouchesFor(CertIdKind::Ipv6, v6));
  CHECK_FALSE(c.vouchesFor(CertIdKind::Ipv6, ByteView(v6.data(), 4)));

  CHECK(c.vouchesFor(CertIdKind::Dn, c.subjectDer()));
  CHECK(c.subjectText() == "C=CH, O=ipsecgw test, CN=moon.example.org");
  CHECK(distinguishedNamesEqual(parseDistinguishedName(c.subjectText()).value(), c.subjectDer()));
  CHECK(distinguishedNameText(c.subjectDer()) == c.subjectText());
  auto dn = parseDistinguishedName("C=CH, O=ipsecgw test, CN=moon.example.org");
  REQUIRE(dn);
  CHECK(c.vouchesFor(CertIdKind::Dn, *dn));
  auto slashes = parseDistinguishedName("/C=ch/O=IPSECGW  test/CN=moon.example.org");
  REQUIRE(slashes);
  CHECK(distinguishedNamesEqual(*dn, *slashes));  // RFC 5280 7.1: case and spaces folded
  CHECK_FALSE(c.vouchesFor(CertIdKind::Dn, parseDistinguishedName("C=CH, O=ipsecgw test, CN=sun").value()));
  CHECK_FALSE(c.vouchesFor(CertIdKind::Dn, text("not DER")));
  CHECK_FALSE(parseDistinguishedName("XX=1, CN=a"));
  CHECK_FALSE(parseDistinguishedName("CN"));
  CHECK_FALSE(parseDistinguishedName(" , "));
}

TEST_CASE("trust store: chains, untrusted CAs, validity, CRLs, CERTREQ hashes", "[ike][crypto][cert]") {
  TestCa root("root CA"), stranger("stranger CA");
  TestCa sub("intermediate CA", root);
  test::Entity leaf = root.issue(KeyKind::EcP256, CertSpec{"leaf", "DNS:leaf.example", false, -1, 30, 7});
  test::Entity viaSub = sub.issue(KeyKind::EcP256, CertSpec{"via sub", "DNS:sub.example", false, -1, 30, 8});
  test::Entity expired = root.issue(KeyKind::EcP256, CertSpec{"old", "DNS:old.example", false, -30, -1, 9});
  test::Entity foreign = stranger.issue(KeyKind::EcP256, CertSpec{"foreign", "DNS:leaf.example"});

  auto store = TrustStore::make({cert(root)}, {});
  REQUIRE(store);
  CHECK_FALSE(store->verify(cert(leaf), {}));
  auto untrusted = store->verify(cert(foreign), {});
  REQUIRE(untrusted);
  CHECK(untrusted->find("issuer") != std::string::npos);
  CHECK(store->verify(cert(expired), {}));
  CHECK(store->verify(cert(viaSub), {}));             // intermediate missing
  CHECK_FALSE(store->verify(cert(viaSub), {cert(sub)}));  // sent along, as in further CERT payloads
  CHECK(store->verify(cert(root), {}) == std::nullopt);   // the anchor itself

  // RFC 7296 3.7: SHA-1 of the CA's SubjectPublicKeyInfo, one per CA.
  auto two = TrustStore::make({cert(root), cert(stranger)}, {});
  REQUIRE(two);
  std::vector<uint8_t> req = two->certReqData();
  REQUIRE(req.size() == 40);
  CaKeyHash h = cert(root).keyHash();
  CHECK(std::equal(h.begin(), h.end(), req.begin()));
  CHECK(cert(root).keyHash() != cert(stranger).keyHash());

  // With a CRL, serial 7 is revoked; serial 10 is not.
  std::string crl = root.crlPem({7});
  auto withCrl = TrustStore::make({cert(root)}, {test::bytesOf(crl)});
  REQUIRE(withCrl);
  auto revoked = withCrl->verify(cert(leaf), {});
  REQUIRE(revoked);
  CHECK(revoked->find("revoked") != std::string::npos);
  test::Entity fine = root.issue(KeyKind::EcP256, CertSpec{"fine", "", false, -1, 30, 10});
  CHECK_FALSE(withCrl->verify(cert(fine), {}));
  CHECK(TrustStore::checkCrl(view(crl)) == std::nullopt);
  CHECK(TrustStore::checkCrl(view("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")));
  CHECK(TrustStore::checkCrl(view("garbage")));
}

TEST_CASE("private keys and certificate files", "[ike][crypto][cert]") {
  TestCa ca;
  test::Entity a = ca.issue(KeyKind::EcP256, CertSpec{"a"});
  test::Entity b = ca.issue(KeyKind::EcP256, CertSpec{"b"});
  CHECK(key(a).matches(cert(a)));
  CHECK_FALSE(key(a).matches(cert(b)));
  CHECK_FALSE(PrivateKey::fromPem(view("not a key")));
  CHECK_FALSE(PrivateKey::fromPem(view(a.certPem())));
  // An encrypted key is refused without prompting for a passphrase.
  BIO* bio = BIO_new(BIO_s_mem());
  const char pass[] = "test-passphrase";
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio, a.key.get(), EVP_aes_128_cbc(), pass, sizeof pass - 1, nullptr, nullptr) == 1);
  std::string encrypted = test::bioText(bio);
  auto refused = PrivateKey::fromPem(view(encrypted));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("unencrypted") != std::string::npos);

  // A chain file: PEM blocks in order; DER alone; garbage.
  auto chain = Certificate::loadAll(view(a.certPem() + ca.certPem()));
  REQUIRE(chain);
  REQUIRE(chain->size() == 2);
  CHECK((*chain)[0].der() == a.certDer());
  CHECK((*chain)[1].isCa());
  CHECK_FALSE((*chain)[0].isCa());
  std::vector<uint8_t> der = a.certDer();
  auto one = Certificate::loadAll(der);
  REQUIRE(one);
  CHECK(one->size() == 1);
  CHECK_FALSE(Certificate::loadAll(view("garbage")));
  CHECK_FALSE(Certificate::loadAll(view("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")));
  der.push_back(0);
  CHECK_FALSE(Certificate::fromDer(der));
}
