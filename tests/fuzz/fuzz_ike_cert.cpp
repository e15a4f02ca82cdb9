// libFuzzer target: what a peer controls in certificate authentication
// (lib/ike/crypto): CERT payload data as a certificate (DER, or PEM text as
// a file would hold), AUTH data under every auth method against keys of
// every kind (RFC 7427 AlgorithmIdentifier and PSS parameter parsing, ECDSA
// r | s), SIGNATURE_HASH_ALGORITHMS data, an ID payload against a
// certificate. Input: first octet = auth method, the rest = the data.
// Nothing may crash, leak or trip a sanitizer. Seeds: seeds/ike_cert.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ike/crypto/signature_auth.hpp"
#include "ike/crypto/trust_store.hpp"
#include "ike/crypto/x509_certificate.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

namespace {

std::vector<EVP_PKEY*> makeKeys() {
  return {EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}), EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
          EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"), EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Made once and never freed: a static vector would be destroyed at exit
  // before LeakSanitizer looks, leaving the keys unreachable (a leak report).
  static const std::vector<EVP_PKEY*>& keys = *new std::vector<EVP_PKEY*>(makeKeys());
  if (size == 0) return 0;
  const uint8_t method = data[0];
  ByteView rest(data + 1, size - 1);
  const std::vector<uint8_t> octets = {1, 2, 3, 4};
  std::string why;
  for (EVP_PKEY* k : keys) (void)verifyAuth(k, method, rest, octets, why);
  (void)decodeSignatureHashes(rest);
  if (auto cert = Certificate::fromDer(rest)) {
    (void)cert->vouchesFor(CertIdKind::Fqdn, octets);
    (void)cert->vouchesFor(CertIdKind::Dn, rest);
    (void)cert->subjectText();
    (void)cert->keyHash();
    if (auto store = TrustStore::make({*cert}, {})) (void)store->verify(*cert, {*cert});
  }
  (void)Certificate::loadAll(rest);
  (void)TrustStore::checkCrl(rest);
  (void)distinguishedNamesEqual(rest, rest);
  return 0;
}
