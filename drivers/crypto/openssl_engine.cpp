#include "crypto/openssl_engine.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>

namespace ipsecgw::crypto {

using esp::CryptoDirection;
using esp::CryptoOp;
using esp::CryptoSession;
using esp::CryptoSessionPtr;
using esp::Transform;
using esp::TransformKind;

namespace {

constexpr size_t kMaxKeyLen = 32;
constexpr size_t kBlockLen = 16;  // AES
constexpr int kIcvLen = 16;       // every transform we support

struct Algorithms {
  const char* cipher;    // EVP name, nullptr for NULL encryption
  const char* ivCipher;  // CBC only: the block cipher that turns counters into IVs
};

// Order follows enum Transform. GMAC (RFC 4543 3.1) is GCM with an empty
// plaintext, so it runs on the GCM cipher.
constexpr Algorithms kAlgorithms[] = {
    {"AES-128-GCM", nullptr},        // AesGcm128
    {"AES-256-GCM", nullptr},        // AesGcm256
    {"ChaCha20-Poly1305", nullptr},  // ChaCha20Poly1305
    {"AES-128-GCM", nullptr},        // AesGmac128
    {"AES-256-GCM", nullptr},        // AesGmac256
    {"AES-128-CBC", "AES-128-ECB"},  // AesCbc128HmacSha256
    {"AES-256-CBC", "AES-256-ECB"},  // AesCbc256HmacSha256
    {nullptr, nullptr},              // NullHmacSha256
};

}  // namespace

class OpenSslSession final : public CryptoSession {
 public:
  OpenSslSession(Transform t, std::span<const uint8_t> cipherKey, std::span<const uint8_t> authKey)
      : transform(t), cipherKeyLen(cipherKey.size()), authKeyLen(authKey.size()) {
    std::copy(cipherKey.begin(), cipherKey.end(), this->cipherKey);
    std::copy(authKey.begin(), authKey.end(), this->authKey);
  }
  ~OpenSslSession() override {
    OPENSSL_cleanse(cipherKey, sizeof cipherKey);
    OPENSSL_cleanse(authKey, sizeof authKey);
  }

  const Transform transform;
  uint8_t cipherKey[kMaxKeyLen] = {};
  const size_t cipherKeyLen;
  uint8_t authKey[kMaxKeyLen] = {};
  const size_t authKeyLen;
};

std::unique_ptr<OpenSslEngine> OpenSslEngine::create() {
  static_assert(std::size(kAlgorithms) == kTransformCount);
  std::unique_ptr<OpenSslEngine> e(new OpenSslEngine());
  e->arch_ = std::string("openssl ") + OpenSSL_version(OPENSSL_VERSION_STRING);
  e->ctx_ = EVP_CIPHER_CTX_new();
  e->ivCtx_ = EVP_CIPHER_CTX_new();
  if (EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr)) {
    e->mac_ = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context holds its own reference
  }
  if (e->ctx_ == nullptr || e->ivCtx_ == nullptr || e->mac_ == nullptr) return nullptr;
  for (size_t i = 0; i < kTransformCount; ++i) {
    const Algorithms& a = kAlgorithms[i];
    if (a.cipher && !(e->cipher_[i] = EVP_CIPHER_fetch(nullptr, a.cipher, nullptr))) return nullptr;
    if (a.ivCipher && !(e->ivCipher_[i] = EVP_CIPHER_fetch(nullptr, a.ivCipher, nullptr))) return nullptr;
  }
  return e;
}

OpenSslEngine::~OpenSslEngine() {
  // Freeing a context cleanses the key schedule it holds.
  EVP_CIPHER_CTX_free(ctx_);
  EVP_CIPHER_CTX_free(ivCtx_);
  EVP_MAC_CTX_free(mac_);
  for (EVP_CIPHER* c : cipher_) EVP_CIPHER_free(c);
  for (EVP_CIPHER* c : ivCipher_) EVP_CIPHER_free(c);
}

CryptoSessionPtr OpenSslEngine::createSession(Transform t, std::span<const uint8_t> cipherKey,
                                              std::span<const uint8_t> authKey) {
  const auto& info = esp::transformInfo(t);
  if (cipherKey.size() != info.cipherKeyLen || authKey.size() != info.authKeyLen) return nullptr;
  return std::make_unique<OpenSslSession>(t, cipherKey, authKey);
}

// Keys the engine's contexts for one burst of one SA; each op then only sets
// its IV (EVP_CipherInit_ex2 with no cipher and no key keeps both).
bool OpenSslEngine::keyContexts(const OpenSslSession& s, CryptoDirection dir) {
  const auto i = static_cast<size_t>(s.transform);
  const TransformKind kind = esp::transformInfo(s.transform).kind;
  if (cipher_[i] != nullptr) {
    // AEAD keystreams only ever run AES/ChaCha forward, so they are keyed for
    // encryption and the direction is chosen per pass; CBC is keyed per direction.
    const int enc = kind == TransformKind::CbcThenHmac && dir == CryptoDirection::Decrypt ? 0 : 1;
    if (EVP_CipherInit_ex2(ctx_, cipher_[i], s.cipherKey, nullptr, enc, nullptr) != 1) return false;
  }
  if (ivCipher_[i] != nullptr) {
    if (EVP_CipherInit_ex2(ivCtx_, ivCipher_[i], s.cipherKey, nullptr, 1, nullptr) != 1) return false;
    EVP_CIPHER_CTX_set_padding(ivCtx_, 0);
  }
  if (s.authKeyLen != 0) {
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(mac_, s.authKey, s.authKeyLen, params) != 1) return false;
  }
  return true;
}

void OpenSslEngine::process(const CryptoSession& session, Transform t, CryptoDirection dir, std::span<CryptoOp> ops) {
  if (ops.empty()) return;
  const auto& s = static_cast<const OpenSslSession&>(session);
  // A session of another transform would have the wrong key length: refuse.
  const bool ready = s.transform == t && keyContexts(s, dir);
  const TransformKind kind = esp::transformInfo(t).kind;
  bool failed = !ready;
  for (CryptoOp& op : ops) {
    op.ok = false;
    if (ready) {
      switch (kind) {
        case TransformKind::Aead: op.ok = aead(op, dir); break;
        case TransformKind::GmacOnly: op.ok = gmac(op); break;
        case TransformKind::CbcThenHmac: op.ok = cbcThenHmac(op, dir); break;
        case TransformKind::HmacOnly: op.ok = hmac(op); break;
      }
    }
    failed |= !op.ok;
  }
  // The op's ok flag is the report; don't let OpenSSL's thread-local error
  // queue grow with every failure.
  if (failed) ERR_clear_error();
}

// One AEAD pass over a freshly nonced context: AAD, then `len` bytes from `in`
// to `out`, or into sink_ when `out` is null (only the tag is wanted).
bool OpenSslEngine::cipherPass(int enc, const uint8_t* nonce, const uint8_t* aad, size_t aadLen, const uint8_t* in,
                               uint8_t* out, size_t len) {
  int n = 0;
  if (EVP_CipherInit_ex2(ctx_, nullptr, nullptr, nonce, enc, nullptr) != 1) return false;
  if (aadLen != 0 && EVP_CipherUpdate(ctx_, nullptr, &n, aad, static_cast<int>(aadLen)) != 1) return false;
  while (len != 0) {
    const size_t chunk = out != nullptr ? len : std::min(len, sizeof sink_);
    if (EVP_CipherUpdate(ctx_, out != nullptr ? out : sink_, &n, in, static_cast<int>(chunk)) != 1) return false;
    in += chunk;
    if (out != nullptr) out += chunk;
    len -= chunk;
  }
  return true;
}

bool OpenSslEngine::seal(const uint8_t* nonce, const uint8_t* aad, size_t aadLen, const uint8_t* in, uint8_t* out,
                         size_t len, uint8_t* tag) {
  int n = 0;
  return cipherPass(1, nonce, aad, aadLen, in, out, len) && EVP_CipherFinal_ex(ctx_, sink_, &n) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, kIcvLen, tag) == 1;
}

// RFC 4106 / RFC 7634: encrypt the cipher region in place, tag over AAD || it.
bool OpenSslEngine::aead(CryptoOp& op, CryptoDirection dir) {
  uint8_t* text = op.data + op.cipherOffset;
  if (dir == CryptoDirection::Encrypt) return seal(op.iv, op.aad, op.aadLen, text, text, op.cipherLen, op.digest);
  // The interface wants the tag computed over the received ciphertext, but
  // OpenSSL only reveals a computed tag when encrypting. Both modes are counter
  // modes, so encrypting the deciphered text reproduces exactly the received
  // bytes, and that pass's tag is the one the sender should have sent.
  return cipherPass(0, op.iv, op.aad, op.aadLen, text, text, op.cipherLen) &&
         seal(op.iv, op.aad, op.aadLen, text, nullptr, op.cipherLen, op.digest);
}

// RFC 4543 3.3: the whole region is AAD, nothing is encrypted.
bool OpenSslEngine::gmac(CryptoOp& op) {
  return seal(op.iv, op.data + op.authOffset, op.authLen, nullptr, nullptr, 0, op.digest);
}

// RFC 3602 + RFC 4303 3.3.2: encrypt, then MAC the ciphertext; the receiver
// MACs first, then decrypts.
bool OpenSslEngine::cbcThenHmac(CryptoOp& op, CryptoDirection dir) {
  int n = 0;
  if (op.ivIsCounter && (EVP_CipherUpdate(ivCtx_, op.iv, &n, op.iv, static_cast<int>(kBlockLen)) != 1 ||
                         n != static_cast<int>(kBlockLen)))
    return false;
  if (dir == CryptoDirection::Decrypt && !hmac(op)) return false;
  if (EVP_CipherInit_ex2(ctx_, nullptr, nullptr, op.iv, -1, nullptr) != 1) return false;
  EVP_CIPHER_CTX_set_padding(ctx_, 0);  // ESP pads itself (RFC 4303 2.4)
  uint8_t* text = op.data + op.cipherOffset;
  if (op.cipherLen != 0 && EVP_CipherUpdate(ctx_, text, &n, text, static_cast<int>(op.cipherLen)) != 1) return false;
  if (EVP_CipherFinal_ex(ctx_, sink_, &n) != 1) return false;
  return dir == CryptoDirection::Decrypt || hmac(op);
}

// RFC 4868 2.3: HMAC-SHA-256 truncated to its leftmost 128 bits.
bool OpenSslEngine::hmac(CryptoOp& op) {
  uint8_t full[EVP_MAX_MD_SIZE];
  size_t n = 0;
  // A null key re-initialises with the key set by keyContexts().
  const bool ok = EVP_MAC_init(mac_, nullptr, 0, nullptr) == 1 &&
                  EVP_MAC_update(mac_, op.data + op.authOffset, op.authLen) == 1 &&
                  EVP_MAC_final(mac_, full, &n, sizeof full) == 1 && n >= static_cast<size_t>(kIcvLen);
  if (ok) std::memcpy(op.digest, full, kIcvLen);
  return ok;
}

}  // namespace ipsecgw::crypto
