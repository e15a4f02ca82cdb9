#include "ike/crypto/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>

namespace ipsecgw::ike {

Hmac::Hmac(const char* digest) : digest_(digest) {
  EVP_MD* md = EVP_MD_fetch(nullptr, digest, nullptr);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (md != nullptr && mac != nullptr) {
    outLen_ = static_cast<size_t>(EVP_MD_get_size(md));
    ctx_ = EVP_MAC_CTX_new(mac);  // holds its own reference to `mac`
  }
  EVP_MD_free(md);
  EVP_MAC_free(mac);
  if (ctx_ == nullptr) ERR_clear_error();
}

Hmac::~Hmac() { EVP_MAC_CTX_free(ctx_); }

bool Hmac::init(ByteView key) {
  // An input parameter: OpenSSL reads the name and does not write it.
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_), 0),
                               OSSL_PARAM_construct_end()};
  // HMAC accepts an empty key (RFC 2104 2); OpenSSL wants a non-null pointer for it.
  static const uint8_t kNoKey = 0;
  good_ = ctx_ != nullptr && EVP_MAC_init(ctx_, key.empty() ? &kNoKey : key.data(), key.size(), params) == 1;
  if (!good_) ERR_clear_error();
  return good_;
}

bool Hmac::update(ByteView data) {
  if (good_ && !data.empty()) good_ = EVP_MAC_update(ctx_, data.data(), data.size()) == 1;
  if (!good_) ERR_clear_error();
  return good_;
}

bool Hmac::final(uint8_t* out) {
  size_t n = 0;
  const bool good = good_ && EVP_MAC_final(ctx_, out, &n, outLen_) == 1 && n == outLen_;
  good_ = false;  // the next use starts with init
  if (!good) ERR_clear_error();
  return good;
}

bool Hmac::compute(ByteView key, std::initializer_list<ByteView> parts, uint8_t* out) {
  init(key);
  for (ByteView p : parts) update(p);
  return final(out);
}

}  // namespace ipsecgw::ike
