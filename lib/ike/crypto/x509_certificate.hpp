// X.509 certificates (RFC 5280) as IKEv2 carries them: CERT payloads with
// encoding 4, "X.509 Certificate - Signature", DER (RFC 7296 3.6), CERTREQ
// authorities named by the SHA-1 of their SubjectPublicKeyInfo (3.7), and
// the check that a certificate vouches for the identity of an ID payload
// (RFC 4945 3.1 profile: subjectAltName entries, or the subject DN).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "ike/crypto/byte_view.hpp"
#include "util/expected.hpp"

namespace ipsecgw::ike {

using CaKeyHash = std::array<uint8_t, 20>;  // SHA-1(SubjectPublicKeyInfo), RFC 7296 3.7

// The ID payload types a certificate can vouch for (RFC 7296 3.5).
enum class CertIdKind : uint8_t { Ipv4, Ipv6, Fqdn, Email, Dn };

// An immutable, shared X.509 certificate (copies share the OpenSSL object).
class Certificate {
 public:
  static Expected<Certificate, std::string> fromDer(ByteView der);
  // Every certificate of a PEM file (in file order), or the one certificate
  // of a DER file. An error when there is none or one does not parse.
  static Expected<std::vector<Certificate>, std::string> loadAll(ByteView fileContent);

  std::vector<uint8_t> der() const;
  std::vector<uint8_t> subjectDer() const;
  std::string subjectText() const;  // "C=CH, O=Example, CN=gw" (strongSwan's form), for logs and errors
  CaKeyHash keyHash() const;
  bool isCa() const;
  // Whether the certificate names `data` (an ID payload's data) as its
  // subject: FQDN and email against subjectAltName dNSName / rfc822Name
  // (case-insensitive, no wildcards), addresses against iPAddress, a DER DN
  // against the subject (RFC 5280 7.1 comparison).
  bool vouchesFor(CertIdKind kind, ByteView data) const;

  X509* get() const { return x509_.get(); }
  EVP_PKEY* publicKey() const;  // owned by the certificate

 private:
  explicit Certificate(X509* x) : x509_(x, &freeX509) {}
  static void freeX509(X509* x);
  std::shared_ptr<X509> x509_;
};

// A distinguished name written as strongSwan and OpenSSL print one,
// "C=CH, O=Example, CN=moon.example.org" (',' or '/' between RDNs), into
// its DER Name. An error for an unknown attribute or an empty name.
Expected<std::vector<uint8_t>, std::string> parseDistinguishedName(std::string_view text);

// RFC 5280 7.1: names compare after case folding and whitespace collapsing.
// False when either does not parse.
bool distinguishedNamesEqual(ByteView a, ByteView b);

// "C=CH, O=..." for logs; "(bad DN)" when `der` does not parse.
std::string distinguishedNameText(ByteView der);

}  // namespace ipsecgw::ike
