#include "ike/crypto/aead_sk_cipher.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <limits>

#include "util/byte_order.hpp"

namespace ipsecgw::ike {

std::unique_ptr<AeadSkCipher> AeadSkCipher::create(const EncrInfo& info, SecretBytes&& keyMaterial) {
  const char* name = nullptr;
  if (info.id == EncrId::ChaCha20Poly1305) {
    name = "ChaCha20-Poly1305";
  } else if (info.id == EncrId::AesGcm16) {
    name = info.keyBits == 128 ? "AES-128-GCM" : info.keyBits == 192 ? "AES-192-GCM" : "AES-256-GCM";
  }
  if (name == nullptr || info.saltLen != kSaltLen || info.ivLen != kIvLen || info.icvLen != kIcvLen) return nullptr;
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (cipher == nullptr || ctx == nullptr ||
      static_cast<size_t>(EVP_CIPHER_get_key_length(cipher)) + kSaltLen != keyMaterial.size()) {
    EVP_CIPHER_free(cipher);
    EVP_CIPHER_CTX_free(ctx);
    ERR_clear_error();
    return nullptr;
  }
  return std::unique_ptr<AeadSkCipher>(new AeadSkCipher(std::move(keyMaterial), cipher, ctx));
}

AeadSkCipher::~AeadSkCipher() {
  EVP_CIPHER_CTX_free(ctx_);  // cleanses the key schedule
  EVP_CIPHER_free(cipher_);
}

void AeadSkCipher::makeNonce(const uint8_t* iv, uint8_t* nonce) const {
  const ByteView salt = keyMaterial_.view().last(kSaltLen);
  std::copy(salt.begin(), salt.end(), nonce);
  std::copy_n(iv, kIvLen, nonce + kSaltLen);
}

bool AeadSkCipher::seal(std::span<uint8_t> message, size_t ivOffset) {
  if (!fits(message, ivOffset) || nextIv_ == std::numeric_limits<uint64_t>::max()) return false;
  uint8_t* iv = message.data() + ivOffset;
  uint8_t* text = iv + kIvLen;
  uint8_t* icv = message.data() + message.size() - kIcvLen;
  const int textLen = static_cast<int>(icv - text);
  storeBe64(iv, nextIv_++);

  std::array<uint8_t, kNonceLen> nonce;
  makeNonce(iv, nonce.data());
  int n = 0;
  const bool good = EVP_EncryptInit_ex2(ctx_, cipher_, keyMaterial_.view().data(), nonce.data(), nullptr) == 1 &&
                    (ivOffset == 0 || EVP_EncryptUpdate(ctx_, nullptr, &n, message.data(), static_cast<int>(ivOffset)) == 1) &&
                    (textLen == 0 || EVP_EncryptUpdate(ctx_, text, &n, text, textLen) == 1) &&
                    EVP_EncryptFinal_ex(ctx_, icv, &n) == 1 && n == 0 &&
                    EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, kIcvLen, icv) == 1;
  secureWipe(nonce.data(), nonce.size());
  if (!good) ERR_clear_error();
  return good;
}

bool AeadSkCipher::open(std::span<uint8_t> message, size_t ivOffset) {
  if (!fits(message, ivOffset)) return false;
  const uint8_t* iv = message.data() + ivOffset;
  uint8_t* text = message.data() + ivOffset + kIvLen;
  uint8_t* icv = message.data() + message.size() - kIcvLen;
  const int textLen = static_cast<int>(icv - text);

  std::array<uint8_t, kNonceLen> nonce;
  makeNonce(iv, nonce.data());
  // Decrypt aside and copy back only once the tag verifies, so that a forged
  // message leaves the buffer as it came. OpenSSL's final step compares the
  // tag in constant time (CRYPTO_memcmp).
  SecretBytes plain(static_cast<size_t>(textLen));
  uint8_t* out = plain.mutableView().data();
  uint8_t sink[16];  // stream modes: Final writes nothing
  int n = 0;
  const bool good = EVP_DecryptInit_ex2(ctx_, cipher_, keyMaterial_.view().data(), nonce.data(), nullptr) == 1 &&
                    (ivOffset == 0 || EVP_DecryptUpdate(ctx_, nullptr, &n, message.data(), static_cast<int>(ivOffset)) == 1) &&
                    (textLen == 0 || EVP_DecryptUpdate(ctx_, out, &n, text, textLen) == 1) &&
                    EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, kIcvLen, icv) == 1 &&
                    EVP_DecryptFinal_ex(ctx_, sink, &n) == 1;
  secureWipe(nonce.data(), nonce.size());
  if (!good) {
    ERR_clear_error();
    return false;
  }
  std::copy_n(out, textLen, text);
  return true;
}

}  // namespace ipsecgw::ike
