#include "crypto/ipsecmb_engine.hpp"

// Keep ipsec-mb's pre-0.53 short aliases (CBC, GCM, ENCRYPT, ...) out of our
// namespace.
#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>

#include <cstddef>
#include <cstring>

#include "util/secret.hpp"

namespace ipsecgw::crypto {

using esp::CryptoDirection;
using esp::CryptoOp;
using esp::CryptoSession;
using esp::CryptoSessionPtr;
using esp::Transform;
using esp::TransformKind;

namespace {

constexpr size_t kHmacBlockLen = 64;  // SHA-256 block size, B in RFC 2104
constexpr size_t kSha256Len = 32;
constexpr size_t kAesRoundKeysLen = 15 * 16;  // AES-256: 14 rounds + whitening
constexpr uint64_t kAeadNonceLen = 12;        // RFC 4106 4 / RFC 7634 2: salt || IV
constexpr uint64_t kCbcIvLen = 16;            // RFC 3602 3
constexpr uint64_t kIcvLen = 16;              // every transform we support

// Writes the per-packet fields of a job whose per-SA fields came from a template.
using OpFiller = void (*)(IMB_JOB&, CryptoOp&);

// Expanded keys and the job templates that point at them. Everything that can be
// decided once per SA is decided here, so process() only copies a template and
// fills in where the packet is (STYLE.md: decide once per SA, not per packet).
class IpsecMbSession final : public CryptoSession {
 public:
  explicit IpsecMbSession(Transform t) : transform(t) {}
  ~IpsecMbSession() override { secureWipe(&keys, sizeof keys); }
  IpsecMbSession(const IpsecMbSession&) = delete;  // templates point into keys
  IpsecMbSession& operator=(const IpsecMbSession&) = delete;

  const Transform transform;
  TransformKind kind{};
  bool gcm = false;     // AES-GCM: ciphered through the direct API, see process()
  bool aes256 = false;  // AES-GCM key size
  OpFiller fill = nullptr;
  IMB_JOB templates[2]{};  // indexed by CryptoDirection
  IMB_JOB ivTemplate{};    // CBC only: AES_K(counter block), see process()

  struct alignas(64) Keys {
    gcm_key_data gcm;                              // GCM, GMAC: round keys + GHASH powers
    alignas(16) uint8_t aesEnc[kAesRoundKeysLen];  // CBC
    alignas(16) uint8_t aesDec[kAesRoundKeysLen];
    alignas(16) uint8_t chacha[32];        // ChaCha20 takes the raw key
    alignas(16) uint8_t ipad[kSha256Len];  // SHA-256 state after K0 ^ ipad
    alignas(16) uint8_t opad[kSha256Len];  // SHA-256 state after K0 ^ opad
  } keys{};
};

// --- per-packet fields ----------------------------------------------------

void fillRegions(IMB_JOB& job, CryptoOp& op) {
  // ipsec-mb applies the cipher offset to src only: dst is where output starts.
  job.src = op.data;
  job.dst = op.data + op.cipherOffset;  // in place
  job.cipher_start_src_offset_in_bytes = op.cipherOffset;
  job.msg_len_to_cipher_in_bytes = op.cipherLen;
  job.hash_start_src_offset_in_bytes = op.authOffset;
  job.msg_len_to_hash_in_bytes = op.authLen;
  job.iv = op.iv;
  job.auth_tag_output = op.digest;
  job.user_data = &op;
}

// AEAD (GCM, ChaCha20-Poly1305): the tag covers exactly the cipher region plus
// the separate AAD. Reads only the fields CryptoOp defines for an AEAD op; the
// AAD fields of both modes share a place in the union (asserted in process()).
void fillAeadOp(IMB_JOB& job, CryptoOp& op) {
  job.src = op.data;
  job.dst = op.data + op.cipherOffset;  // in place
  job.cipher_start_src_offset_in_bytes = op.cipherOffset;
  job.msg_len_to_cipher_in_bytes = op.cipherLen;
  job.hash_start_src_offset_in_bytes = op.cipherOffset;
  job.msg_len_to_hash_in_bytes = op.cipherLen;
  job.iv = op.iv;
  job.auth_tag_output = op.digest;
  job.u.GCM.aad = op.aad;
  job.u.GCM.aad_len_in_bytes = op.aadLen;
  job.user_data = &op;
}

// RFC 4543 3: GMAC is GCM with the whole region as AAD and no plaintext; the
// nonce travels in u.GMAC rather than job.iv.
void fillGmac(IMB_JOB& job, CryptoOp& op) {
  fillRegions(job, op);
  job.u.GMAC._iv = op.iv;
}

// --- per-SA setup ---------------------------------------------------------

IMB_JOB baseTemplate(CryptoDirection dir) {
  IMB_JOB j{};
  const bool enc = dir == CryptoDirection::Encrypt;
  j.cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
  // RFC 4303 3.3.2 / 3.4.4: the sender MACs the ciphertext, the receiver checks
  // it before deciphering.
  j.chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
  j.auth_tag_output_len_in_bytes = kIcvLen;
  return j;
}

// RFC 2104 2: K0 is the key zero-padded to B bytes (hashed first when longer
// than B); ipsec-mb takes the SHA-256 states after one block of K0 ^ 0x36 and
// K0 ^ 0x5c, so the per-packet HMAC costs no key setup.
void hmacPads(IMB_MGR* mgr, std::span<const uint8_t> key, uint8_t* ipad, uint8_t* opad) {
  alignas(16) uint8_t k0[kHmacBlockLen] = {};
  alignas(16) uint8_t block[kHmacBlockLen];
  if (key.size() > kHmacBlockLen)
    IMB_SHA256(mgr, key.data(), key.size(), k0);
  else if (!key.empty())
    std::memcpy(k0, key.data(), key.size());
  for (size_t i = 0; i < kHmacBlockLen; ++i) block[i] = k0[i] ^ 0x36;
  IMB_SHA256_ONE_BLOCK(mgr, block, ipad);
  for (size_t i = 0; i < kHmacBlockLen; ++i) block[i] = k0[i] ^ 0x5c;
  IMB_SHA256_ONE_BLOCK(mgr, block, opad);
  secureWipe(k0, sizeof k0);
  secureWipe(block, sizeof block);
}

void setHmac(IMB_JOB& j, const IpsecMbSession::Keys& k) {
  j.hash_alg = IMB_AUTH_HMAC_SHA_256;  // RFC 4868: HMAC-SHA-256-128
  j.u.HMAC._hashed_auth_key_xor_ipad = k.ipad;
  j.u.HMAC._hashed_auth_key_xor_opad = k.opad;
}

// Fills both direction templates of `s` for transform `t`; keys are expanded.
void buildTemplates(IpsecMbSession& s, Transform t) {
  const auto& info = esp::transformInfo(t);
  const auto& k = s.keys;
  for (CryptoDirection dir : {CryptoDirection::Encrypt, CryptoDirection::Decrypt}) {
    IMB_JOB j = baseTemplate(dir);
    switch (t) {
      case Transform::AesGcm128:
      case Transform::AesGcm256:
        j.cipher_mode = IMB_CIPHER_GCM;
        j.hash_alg = IMB_AUTH_AES_GMAC;
        j.key_len_in_bytes = info.cipherKeyLen;
        j.enc_keys = j.dec_keys = &k.gcm;  // GCM only ever runs AES forward
        j.iv_len_in_bytes = kAeadNonceLen;
        s.fill = fillAeadOp;
        break;
      case Transform::ChaCha20Poly1305:
        j.cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
        j.hash_alg = IMB_AUTH_CHACHA20_POLY1305;
        j.key_len_in_bytes = info.cipherKeyLen;
        j.enc_keys = j.dec_keys = k.chacha;
        j.iv_len_in_bytes = kAeadNonceLen;
        s.fill = fillAeadOp;
        break;
      case Transform::AesGmac128:
      case Transform::AesGmac256:
        j.cipher_mode = IMB_CIPHER_NULL;
        j.hash_alg = t == Transform::AesGmac128 ? IMB_AUTH_AES_GMAC_128 : IMB_AUTH_AES_GMAC_256;
        j.u.GMAC._key = &k.gcm;
        j.u.GMAC.iv_len_in_bytes = kAeadNonceLen;
        s.fill = fillGmac;
        break;
      case Transform::AesCbc128HmacSha256:
      case Transform::AesCbc256HmacSha256:
        j.cipher_mode = IMB_CIPHER_CBC;
        j.key_len_in_bytes = info.cipherKeyLen;
        j.enc_keys = k.aesEnc;
        j.dec_keys = k.aesDec;
        j.iv_len_in_bytes = kCbcIvLen;
        setHmac(j, k);
        s.fill = fillRegions;
        break;
      case Transform::NullHmacSha256:
        j.cipher_mode = IMB_CIPHER_NULL;
        setHmac(j, k);
        s.fill = fillRegions;
        break;
    }
    s.templates[static_cast<size_t>(dir)] = j;
  }

  if (info.kind == TransformKind::CbcThenHmac) {
    // One block of CBC under a zero IV is one block of ECB: AES_K(block).
    alignas(16) static const uint8_t kZeroIv[kCbcIvLen] = {};
    IMB_JOB j{};
    j.cipher_direction = IMB_DIR_ENCRYPT;
    j.chain_order = IMB_ORDER_CIPHER_HASH;
    j.cipher_mode = IMB_CIPHER_CBC;
    j.hash_alg = IMB_AUTH_NULL;
    j.key_len_in_bytes = info.cipherKeyLen;
    j.enc_keys = k.aesEnc;
    j.dec_keys = k.aesDec;
    j.iv = kZeroIv;
    j.iv_len_in_bytes = kCbcIvLen;
    j.msg_len_to_cipher_in_bytes = kCbcIvLen;
    s.ivTemplate = j;
  }
}

std::string describeArch(IMB_ARCH arch, uint64_t features) {
  std::string s;
  switch (arch) {
    case IMB_ARCH_NOAESNI: s = "sse (no aes-ni)"; break;
    case IMB_ARCH_SSE: s = "sse"; break;
    case IMB_ARCH_AVX: s = "avx"; break;
    case IMB_ARCH_AVX2: s = "avx2"; break;
    case IMB_ARCH_AVX512: s = "avx512"; break;
    default: s = "unknown"; break;
  }
  const bool vaes = features & IMB_FEATURE_VAES;
  const bool vpclmul = features & IMB_FEATURE_VPCLMULQDQ;
  if (vaes && vpclmul)
    s += " (vaes, vpclmulqdq)";
  else if (vaes || vpclmul)
    s += vaes ? " (vaes)" : " (vpclmulqdq)";
  return s;
}

// AES-GCM (RFC 4106), the data-path case: ipsec-mb's direct single-buffer
// calls (IMB_AES128_GCM_ENC and kin; DPDK's aesni_gcm PMD drives it the same
// way). The job manager adds nothing for GCM: its GCM "lane" is this very
// routine, run synchronously inside submit_job. What the job path costs on
// top, per packet, is the job template copy, submit_job's argument checks
// and the completion bookkeeping: about a fifth of the cycles of a 64-byte
// packet's encryption (bench/results/gateway_bench.md).
void processGcm(IMB_MGR* mgr, const IpsecMbSession& s, CryptoDirection dir, std::span<CryptoOp> ops) {
  // The routine, chosen once per burst from this engine's manager.
  const bool enc = dir == CryptoDirection::Encrypt;
  const aes_gcm_enc_dec_t fn = s.aes256 ? (enc ? mgr->gcm256_enc : mgr->gcm256_dec)
                                        : (enc ? mgr->gcm128_enc : mgr->gcm128_dec);
  // Per-call state (GHASH accumulator, counter block); every call starts it
  // afresh, so one serves the whole burst. Wiped after: it holds keystream.
  gcm_context_data ctx;
  for (CryptoOp& op : ops) {
    uint8_t* body = op.data + op.cipherOffset;  // in place
    fn(&s.keys.gcm, &ctx, body, body, op.cipherLen, op.iv, op.aad, op.aadLen, op.digest, kIcvLen);
    // The direct API reports refused arguments (null pointers, lengths out
    // of range) through the thread's error number, reset by every call.
    op.ok = imb_get_errno(nullptr) == 0;
  }
  secureWipe(&ctx, sizeof ctx);
}

void complete(const IMB_JOB* job) { static_cast<CryptoOp*>(job->user_data)->ok = job->status == IMB_STATUS_COMPLETED; }

}  // namespace

std::unique_ptr<IpsecMbEngine> IpsecMbEngine::create() {
  IMB_MGR* mgr = alloc_mb_mgr(0);
  if (mgr == nullptr) return nullptr;
  IMB_ARCH arch = IMB_ARCH_NONE;
  init_mb_mgr_auto(mgr, &arch);
  if (imb_get_errno(mgr) != 0 || arch == IMB_ARCH_NONE) {
    free_mb_mgr(mgr);
    return nullptr;
  }
  return std::unique_ptr<IpsecMbEngine>(new IpsecMbEngine(mgr, describeArch(arch, mgr->features)));
}

IpsecMbEngine::~IpsecMbEngine() {
  // The manager's lanes may still hold pointers to (not copies of) key state;
  // nothing is queued between process() calls, so freeing is enough.
  free_mb_mgr(mgr_);
}

CryptoSessionPtr IpsecMbEngine::createSession(Transform t, std::span<const uint8_t> cipherKey,
                                              std::span<const uint8_t> authKey) {
  const auto& info = esp::transformInfo(t);
  if (cipherKey.size() != info.cipherKeyLen || authKey.size() != info.authKeyLen) return nullptr;

  auto s = std::make_unique<IpsecMbSession>(t);
  s->kind = info.kind;
  s->gcm = t == Transform::AesGcm128 || t == Transform::AesGcm256;
  s->aes256 = t == Transform::AesGcm256;
  auto& k = s->keys;
  switch (t) {
    case Transform::AesGcm128:
    case Transform::AesGmac128: IMB_AES128_GCM_PRE(mgr_, cipherKey.data(), &k.gcm); break;
    case Transform::AesGcm256:
    case Transform::AesGmac256: IMB_AES256_GCM_PRE(mgr_, cipherKey.data(), &k.gcm); break;
    case Transform::ChaCha20Poly1305: std::memcpy(k.chacha, cipherKey.data(), cipherKey.size()); break;
    case Transform::AesCbc128HmacSha256: IMB_AES_KEYEXP_128(mgr_, cipherKey.data(), k.aesEnc, k.aesDec); break;
    case Transform::AesCbc256HmacSha256: IMB_AES_KEYEXP_256(mgr_, cipherKey.data(), k.aesEnc, k.aesDec); break;
    case Transform::NullHmacSha256: break;
  }
  if (info.authKeyLen != 0) hmacPads(mgr_, authKey, k.ipad, k.opad);
  buildTemplates(*s, t);
  return s;
}

void IpsecMbEngine::process(const CryptoSession& session, Transform t, CryptoDirection dir, std::span<CryptoOp> ops) {
  const auto& s = static_cast<const IpsecMbSession&>(session);
  // A session of another transform would have the wrong key schedule: refuse.
  if (s.transform != t) {
    for (CryptoOp& op : ops) op.ok = false;
    return;
  }

  // Jobs come back in submission order but late (a multi-buffer lane waits for
  // company), so every submit may hand back an earlier op; user_data says which.
  // Every submitted job comes back, through submit or flush, and sets its op's
  // `ok` in complete().
  auto submit = [this] {
    for (const IMB_JOB* done = IMB_SUBMIT_JOB(mgr_); done != nullptr; done = IMB_GET_COMPLETED_JOB(mgr_))
      complete(done);
  };
  auto flush = [this] {
    while (const IMB_JOB* job = IMB_FLUSH_JOB(mgr_)) complete(job);
  };

  if (s.gcm) {
    processGcm(mgr_, s, dir, ops);
    return;
  }
  if (s.kind == TransformKind::Aead) {
    // ChaCha20-Poly1305, without the per-op indirect fill of the general
    // loop below: the per-SA part of the job (up to user_data, every field
    // ipsec-mb reads for GCM and ChaCha20-Poly1305 outside SGL mode) comes
    // from the template, then the packet's regions. Both AEADs' AAD fields
    // sit at the same place in the union.
    static_assert(offsetof(IMB_JOB, u.GCM.aad) == offsetof(IMB_JOB, u.CHACHA20_POLY1305.aad));
    static_assert(offsetof(IMB_JOB, u.GCM.aad_len_in_bytes) ==
                  offsetof(IMB_JOB, u.CHACHA20_POLY1305.aad_len_in_bytes));
    const IMB_JOB& tmpl = s.templates[static_cast<size_t>(dir)];
    for (CryptoOp& op : ops) {
      IMB_JOB* job = IMB_GET_NEXT_JOB(mgr_);
      std::memcpy(static_cast<void*>(job), &tmpl, offsetof(IMB_JOB, user_data));
      fillAeadOp(*job, op);
      submit();
    }
    flush();
    return;
  }
  for (CryptoOp& op : ops) op.ok = true;

  // CBC with a counter IV: first turn each counter block into AES_K(counter)
  // (RFC 3602 3 wants an unpredictable IV; NIST SP 800-38A App. C), in a pass
  // of its own because the CBC jobs below read the IV when they run.
  if (s.kind == TransformKind::CbcThenHmac) {
    bool any = false;
    for (CryptoOp& op : ops) {
      if (!op.ivIsCounter) continue;
      IMB_JOB* job = IMB_GET_NEXT_JOB(mgr_);
      *job = s.ivTemplate;
      job->src = op.iv;
      job->dst = op.iv;
      job->user_data = &op;
      op.ok = false;  // until the job comes back completed
      submit();
      any = true;
    }
    if (any) flush();
  }

  const IMB_JOB& tmpl = s.templates[static_cast<size_t>(dir)];
  for (CryptoOp& op : ops) {
    if (!op.ok) continue;  // its IV could not be derived
    IMB_JOB* job = IMB_GET_NEXT_JOB(mgr_);
    *job = tmpl;
    s.fill(*job, op);
    op.ok = false;
    submit();
  }
  flush();
}

}  // namespace ipsecgw::crypto
