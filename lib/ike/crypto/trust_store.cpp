#include "ike/crypto/trust_store.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace ipsecgw::ike {

namespace {

using CrlList = std::vector<std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)>>;

std::optional<std::string> parseCrls(ByteView content, CrlList& out) {
  std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
  if (text.find("-----BEGIN") == std::string_view::npos) {
    const unsigned char* p = content.data();
    X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(content.size()));
    ERR_clear_error();
    if (!crl) return std::string("not a CRL (neither PEM nor DER)");
    out.emplace_back(crl, &X509_CRL_free);
    return std::nullopt;
  }
  BIO* bio = BIO_new_mem_buf(content.data(), static_cast<int>(content.size()));
  if (!bio) return std::string("out of memory");
  size_t before = out.size();
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr)) out.emplace_back(crl, &X509_CRL_free);
  BIO_free(bio);
  unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  if (ERR_GET_REASON(err) != PEM_R_NO_START_LINE) return std::string("a PEM CRL does not parse");
  if (out.size() == before) return std::string("no X509 CRL block in the PEM text");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> TrustStore::checkCrl(ByteView content) {
  CrlList crls;
  return parseCrls(content, crls);
}

Expected<TrustStore, std::string> TrustStore::make(const std::vector<Certificate>& cas,
                                                   const std::vector<std::vector<uint8_t>>& crls) {
  TrustStore t;
  t.store_ = std::shared_ptr<X509_STORE>(X509_STORE_new(), &X509_STORE_free);
  if (!t.store_) return unexpected(std::string("out of memory"));
  for (const Certificate& ca : cas) {
    if (X509_STORE_add_cert(t.store_.get(), ca.get()) != 1) {
      // A duplicate is harmless; anything else is not.
      unsigned long err = ERR_peek_last_error();
      ERR_clear_error();
      if (ERR_GET_REASON(err) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
        return unexpected("cannot add CA " + ca.subjectText());
    }
    t.cas_.push_back(ca);
  }
  CrlList parsed;
  for (const auto& content : crls)
    if (auto error = parseCrls(content, parsed)) return unexpected(*error);
  for (auto& crl : parsed)
    if (X509_STORE_add_crl(t.store_.get(), crl.get()) != 1) {
      ERR_clear_error();
      return unexpected(std::string("cannot add a CRL"));
    }
  if (!parsed.empty()) X509_STORE_set_flags(t.store_.get(), X509_V_FLAG_CRL_CHECK);
  return t;
}

std::optional<std::string> TrustStore::verify(const Certificate& end, const std::vector<Certificate>& intermediates) const {
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> chain(sk_X509_new_null(),
                                                                   [](STACK_OF(X509)* s) { sk_X509_free(s); });
  if (!ctx || !chain) return std::string("out of memory");
  for (const Certificate& c : intermediates) sk_X509_push(chain.get(), c.get());
  if (X509_STORE_CTX_init(ctx.get(), store_.get(), end.get(), chain.get()) != 1) {
    ERR_clear_error();
    return std::string("cannot set up verification");
  }
  int ok = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (ok == 1) return std::nullopt;
  return std::string(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
}

std::vector<uint8_t> TrustStore::certReqData() const {
  std::vector<uint8_t> out;
  for (const Certificate& ca : cas_) {
    CaKeyHash h = ca.keyHash();
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

}  // namespace ipsecgw::ike
