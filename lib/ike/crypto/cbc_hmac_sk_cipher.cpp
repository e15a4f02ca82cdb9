#include "ike/crypto/cbc_hmac_sk_cipher.hpp"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>

namespace ipsecgw::ike {

CbcHmacSkCipher::CbcHmacSkCipher(const IntegInfo& integ, SecretBytes&& encrKey, SecretBytes&& integKey,
                                 EVP_CIPHER* cipher, EVP_CIPHER_CTX* ctx)
    : encrKey_(std::move(encrKey)),
      integKey_(std::move(integKey)),
      cipher_(cipher),
      ctx_(ctx),
      hmac_(integ.digest),
      icvLen_(integ.icvLen) {}

std::unique_ptr<CbcHmacSkCipher> CbcHmacSkCipher::create(const EncrInfo& encr, const IntegInfo& integ,
                                                         SecretBytes&& encrKey, SecretBytes&& integKey) {
  if (encr.id != EncrId::AesCbc) return nullptr;
  const char* name = encr.keyBits == 128 ? "AES-128-CBC" : encr.keyBits == 192 ? "AES-192-CBC" : "AES-256-CBC";
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::unique_ptr<CbcHmacSkCipher> c;
  if (cipher != nullptr && ctx != nullptr)
    c.reset(new CbcHmacSkCipher(integ, std::move(encrKey), std::move(integKey), cipher, ctx));
  else {
    EVP_CIPHER_free(cipher);
    EVP_CIPHER_CTX_free(ctx);
  }
  if (c && (!c->hmac_.ok() || c->hmac_.outLen() > 64 ||
            static_cast<size_t>(EVP_CIPHER_get_key_length(cipher)) != c->encrKey_.size()))
    c.reset();
  ERR_clear_error();
  return c;
}

CbcHmacSkCipher::~CbcHmacSkCipher() {
  EVP_CIPHER_CTX_free(ctx_);  // cleanses the key schedule
  EVP_CIPHER_free(cipher_);
}

size_t CbcHmacSkCipher::cipherLen(std::span<uint8_t> message, size_t ivOffset) const {
  if (ivOffset > message.size() || message.size() - ivOffset < kBlockLen + icvLen_) return 0;
  const size_t len = message.size() - ivOffset - kBlockLen - icvLen_;
  return len % kBlockLen == 0 ? len : 0;
}

bool CbcHmacSkCipher::mac(std::span<const uint8_t> covered, uint8_t* out) {
  return hmac_.compute(integKey_.view(), {covered}, out);
}

bool CbcHmacSkCipher::seal(std::span<uint8_t> message, size_t ivOffset) {
  const size_t len = cipherLen(message, ivOffset);
  if (len == 0) return false;
  uint8_t* iv = message.data() + ivOffset;
  uint8_t* text = iv + kBlockLen;
  std::array<uint8_t, 64> full;
  int n = 0;
  const bool good = RAND_bytes(iv, kBlockLen) == 1 &&
                    EVP_EncryptInit_ex2(ctx_, cipher_, encrKey_.view().data(), iv, nullptr) == 1 &&
                    EVP_CIPHER_CTX_set_padding(ctx_, 0) == 1 &&  // the SK payload pads itself (3.14)
                    EVP_EncryptUpdate(ctx_, text, &n, text, static_cast<int>(len)) == 1 &&
                    static_cast<size_t>(n) == len && EVP_EncryptFinal_ex(ctx_, text + len, &n) == 1 && n == 0 &&
                    mac(message.first(ivOffset + kBlockLen + len), full.data());
  if (good) std::copy_n(full.begin(), icvLen_, text + len);
  if (!good) ERR_clear_error();
  return good;
}

bool CbcHmacSkCipher::open(std::span<uint8_t> message, size_t ivOffset) {
  const size_t len = cipherLen(message, ivOffset);
  if (len == 0) return false;
  const size_t macEnd = ivOffset + kBlockLen + len;
  std::array<uint8_t, 64> full;
  // Verify before decrypting (encrypt-then-MAC), in constant time.
  if (!mac(message.first(macEnd), full.data()) || !constantTimeEqual(full.data(), message.data() + macEnd, icvLen_)) {
    ERR_clear_error();
    return false;
  }
  const uint8_t* iv = message.data() + ivOffset;
  uint8_t* text = message.data() + ivOffset + kBlockLen;
  int n = 0;
  uint8_t sink[kBlockLen];
  const bool good = EVP_DecryptInit_ex2(ctx_, cipher_, encrKey_.view().data(), iv, nullptr) == 1 &&
                    EVP_CIPHER_CTX_set_padding(ctx_, 0) == 1 &&
                    EVP_DecryptUpdate(ctx_, text, &n, text, static_cast<int>(len)) == 1 &&
                    static_cast<size_t>(n) == len && EVP_DecryptFinal_ex(ctx_, sink, &n) == 1 && n == 0;
  if (!good) ERR_clear_error();
  return good;
}

}  // namespace ipsecgw::ike
