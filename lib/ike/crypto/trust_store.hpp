// The certificate authorities we trust for a connection and their CRLs:
// verifies a peer's end-entity certificate up to one of them (RFC 5280 6,
// through OpenSSL's X509_STORE) with the intermediates the peer sent in
// further CERT payloads, and names them in CERTREQ (RFC 7296 3.7).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ike/crypto/x509_certificate.hpp"

namespace ipsecgw::ike {

class TrustStore {
 public:
  // `crls`: the content of CRL files (PEM, several blocks allowed, or DER).
  // With any CRL given, every end-entity certificate must be covered by a
  // CRL of its issuer (X509_V_FLAG_CRL_CHECK): an operator who configures
  // revocation expects it to be enforced, not skipped.
  static Expected<TrustStore, std::string> make(const std::vector<Certificate>& cas,
                                                const std::vector<std::vector<uint8_t>>& crls);
  // Parses CRL file content; how the config layer checks a file.
  static std::optional<std::string> checkCrl(ByteView content);

  // nullopt when `end` chains to a trusted CA, is within its validity and
  // not revoked; else OpenSSL's reason.
  std::optional<std::string> verify(const Certificate& end, const std::vector<Certificate>& intermediates) const;

  // CERTREQ data: the concatenated SHA-1 key hashes of our CAs (3.7).
  std::vector<uint8_t> certReqData() const;
  const std::vector<Certificate>& cas() const { return cas_; }

 private:
  std::shared_ptr<X509_STORE> store_;
  std::vector<Certificate> cas_;
};

}  // namespace ipsecgw::ike
