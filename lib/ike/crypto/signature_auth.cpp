#include "ike/crypto/signature_auth.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

namespace ipsecgw::ike {

namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const char* digestName(SignatureHash h) {
  switch (h) {
    case SignatureHash::Sha1: return "SHA1";
    case SignatureHash::Sha2_256: return "SHA256";
    case SignatureHash::Sha2_384: return "SHA384";
    case SignatureHash::Sha2_512: return "SHA512";
    case SignatureHash::Identity: break;
  }
  return nullptr;
}

std::optional<SignatureHash> hashOfNid(int nid) {
  switch (nid) {
    case NID_sha1: return SignatureHash::Sha1;
    case NID_sha256: return SignatureHash::Sha2_256;
    case NID_sha384: return SignatureHash::Sha2_384;
    case NID_sha512: return SignatureHash::Sha2_512;
    default: return std::nullopt;
  }
}

bool offered(const std::vector<SignatureHash>& list, SignatureHash h) {
  return std::find(list.begin(), list.end(), h) != list.end();
}

// The hash a curve's classic method and our RFC 7427 choice use (RFC 4754 3).
SignatureHash curveHash(KeyKind k) {
  return k == KeyKind::EcP384 ? SignatureHash::Sha2_384
         : k == KeyKind::EcP521 ? SignatureHash::Sha2_512
                                : SignatureHash::Sha2_256;
}

size_t curveWidth(KeyKind k) { return k == KeyKind::EcP384 ? 48 : k == KeyKind::EcP521 ? 66 : 32; }

bool isEc(KeyKind k) { return k == KeyKind::EcP256 || k == KeyKind::EcP384 || k == KeyKind::EcP521; }

struct Scheme {
  const char* digest = nullptr;  // null: EdDSA signs the message whole
  bool pss = false;
  int pssSalt = RSA_PSS_SALTLEN_DIGEST;
  const char* mgf1 = nullptr;  // null: the signing digest
};

// One EVP_DigestSign/Verify context for `scheme`; null on failure.
MdCtxPtr startContext(EVP_PKEY* key, const Scheme& scheme, bool sign) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return nullptr;
  EVP_PKEY_CTX* pctx = nullptr;
  int ok = sign ? EVP_DigestSignInit_ex(ctx.get(), &pctx, scheme.digest, nullptr, nullptr, key, nullptr)
                : EVP_DigestVerifyInit_ex(ctx.get(), &pctx, scheme.digest, nullptr, nullptr, key, nullptr);
  if (ok != 1) return nullptr;
  if (scheme.pss &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, scheme.pssSalt) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, scheme.mgf1 ? scheme.mgf1 : scheme.digest, nullptr) != 1))
    return nullptr;
  return ctx;
}

Expected<std::vector<uint8_t>, CryptoError> sign(EVP_MD_CTX* ctx, ByteView octets) {
  size_t len = 0;
  if (EVP_DigestSign(ctx, nullptr, &len, octets.data(), octets.size()) != 1) return unexpected(CryptoError::LibraryFailure);
  std::vector<uint8_t> sig(len);
  if (EVP_DigestSign(ctx, sig.data(), &len, octets.data(), octets.size()) != 1)
    return unexpected(CryptoError::LibraryFailure);
  sig.resize(len);
  return sig;
}

// RFC 4754 7: r and s, each left-padded to the curve's width.
std::optional<std::vector<uint8_t>> derToFixed(ByteView der, size_t width) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) return std::nullopt;
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::vector<uint8_t> out(2 * width);
  bool ok = BN_bn2binpad(r, out.data(), static_cast<int>(width)) > 0 &&
            BN_bn2binpad(s, out.data() + width, static_cast<int>(width)) > 0;
  ECDSA_SIG_free(sig);
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<uint8_t>> fixedToDer(ByteView fixed, size_t width) {
  if (fixed.size() != 2 * width) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(fixed.data(), static_cast<int>(width), nullptr);
  BIGNUM* s = BN_bin2bn(fixed.data() + width, static_cast<int>(width), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// RFC 7427 3: which hash a method-14 signature with this key uses, if any.
std::optional<SignatureHash> chooseHash(KeyKind kind, const std::vector<SignatureHash>& peer) {
  if (kind == KeyKind::Ed25519 || kind == KeyKind::Ed448) {
    if (offered(peer, SignatureHash::Identity)) return SignatureHash::Identity;
    return std::nullopt;
  }
  if (isEc(kind) && offered(peer, curveHash(kind)) && offered(ourSignatureHashes(), curveHash(kind)))
    return curveHash(kind);
  for (SignatureHash h : {SignatureHash::Sha2_256, SignatureHash::Sha2_384, SignatureHash::Sha2_512})
    if (offered(peer, h)) return h;
  return std::nullopt;
}

Expected<SignatureAuth, CryptoError> signDigitalSignature(const PrivateKey& key, ByteView octets, SignatureHash hash,
                                                          bool rsaPss) {
  Scheme scheme{digestName(hash), rsaPss && key.kind() == KeyKind::Rsa};
  MdCtxPtr ctx = startContext(key.get(), scheme, true);
  if (!ctx) {
    ERR_clear_error();
    return unexpected(CryptoError::LibraryFailure);
  }
  // The provider writes the AlgorithmIdentifier of exactly what it signs
  // with (PSS parameters included).
  uint8_t aid[256];
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, aid, sizeof aid),
                         OSSL_PARAM_construct_end()};
  if (EVP_PKEY_CTX_get_params(EVP_MD_CTX_get_pkey_ctx(ctx.get()), params) != 1 || params[0].return_size == 0 ||
      params[0].return_size > 255) {
    ERR_clear_error();
    return unexpected(CryptoError::LibraryFailure);
  }
  auto sig = sign(ctx.get(), octets);
  if (!sig) {
    ERR_clear_error();
    return unexpected(sig.error());
  }
  SignatureAuth out{SignatureMethod::DigitalSignature, {}};
  out.data.reserve(1 + params[0].return_size + sig->size());
  out.data.push_back(static_cast<uint8_t>(params[0].return_size));
  out.data.insert(out.data.end(), aid, aid + params[0].return_size);
  out.data.insert(out.data.end(), sig->begin(), sig->end());
  return out;
}

Expected<SignatureAuth, CryptoError> signClassic(const PrivateKey& key, ByteView octets) {
  const KeyKind kind = key.kind();
  if (kind != KeyKind::Rsa && !isEc(kind)) return unexpected(CryptoError::UnknownAlgorithm);
  Scheme scheme{digestName(kind == KeyKind::Rsa ? SignatureHash::Sha1 : curveHash(kind))};
  MdCtxPtr ctx = startContext(key.get(), scheme, true);
  auto sig = ctx ? sign(ctx.get(), octets) : unexpected(CryptoError::LibraryFailure);
  ERR_clear_error();
  if (!sig) return unexpected(sig.error());
  if (kind == KeyKind::Rsa) return SignatureAuth{SignatureMethod::Rsa, std::move(*sig)};
  auto fixed = derToFixed(*sig, curveWidth(kind));
  if (!fixed) return unexpected(CryptoError::LibraryFailure);
  const SignatureMethod method = kind == KeyKind::EcP384   ? SignatureMethod::EcdsaSha384
                                 : kind == KeyKind::EcP521 ? SignatureMethod::EcdsaSha512
                                                           : SignatureMethod::EcdsaSha256;
  return SignatureAuth{method, std::move(*fixed)};
}

bool verifyWith(EVP_PKEY* key, const Scheme& scheme, ByteView sig, ByteView octets, std::string& why) {
  MdCtxPtr ctx = startContext(key, scheme, false);
  bool ok = ctx && EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), octets.data(), octets.size()) == 1;
  ERR_clear_error();
  if (!ok) why = "signature does not verify";
  return ok;
}

std::optional<int> digestNidOf(const X509_ALGOR* alg) {
  if (!alg) return std::nullopt;
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  return OBJ_obj2nid(obj);
}

// RSASSA-PSS-params (RFC 4055 3.1) into a scheme; absent fields take the
// RFC's defaults (SHA-1, MGF1 with SHA-1, salt 20).
bool pssScheme(const X509_ALGOR* alg, Scheme& scheme, std::string& why) {
  int ptype = 0;
  const void* pval = nullptr;
  X509_ALGOR_get0(nullptr, &ptype, &pval, alg);
  if (ptype != V_ASN1_SEQUENCE) {
    why = "RSASSA-PSS without parameters";
    return false;
  }
  auto* pss = static_cast<RSA_PSS_PARAMS*>(
      ASN1_item_unpack(static_cast<const ASN1_STRING*>(pval), ASN1_ITEM_rptr(RSA_PSS_PARAMS)));
  if (!pss) {
    why = "bad RSASSA-PSS parameters";
    return false;
  }
  bool ok = true;
  int hashNid = pss->hashAlgorithm ? digestNidOf(pss->hashAlgorithm).value_or(NID_undef) : NID_sha1;
  int mgfNid = NID_sha1;
  if (pss->maskGenAlgorithm) {
    const ASN1_OBJECT* mgf = nullptr;
    int mtype = 0;
    const void* mval = nullptr;
    X509_ALGOR_get0(&mgf, &mtype, &mval, pss->maskGenAlgorithm);
    X509_ALGOR* mgfHash = OBJ_obj2nid(mgf) == NID_mgf1 && mtype == V_ASN1_SEQUENCE
                              ? static_cast<X509_ALGOR*>(
                                    ASN1_item_unpack(static_cast<const ASN1_STRING*>(mval), ASN1_ITEM_rptr(X509_ALGOR)))
                              : nullptr;
    mgfNid = mgfHash ? digestNidOf(mgfHash).value_or(NID_undef) : NID_undef;
    X509_ALGOR_free(mgfHash);
  }
  long salt = pss->saltLength ? ASN1_INTEGER_get(pss->saltLength) : 20;
  RSA_PSS_PARAMS_free(pss);
  auto hash = hashOfNid(hashNid);
  auto mgfHash = hashOfNid(mgfNid);
  if (!hash || !offered(ourSignatureHashes(), *hash) || !mgfHash) {
    why = "RSASSA-PSS with a hash we did not offer";
    ok = false;
  } else if (salt < 0 || salt > 1024) {
    why = "RSASSA-PSS salt length out of range";
    ok = false;
  } else {
    scheme.digest = digestName(*hash);
    scheme.pss = true;
    scheme.pssSalt = static_cast<int>(salt);
    scheme.mgf1 = digestName(*mgfHash);
  }
  return ok;
}

// RFC 7427 3: | ASN.1 Length | AlgorithmIdentifier | Signature |.
bool verifyDigitalSignature(EVP_PKEY* key, ByteView data, ByteView octets, std::string& why) {
  if (data.empty() || data.size() <= size_t{1} + data[0]) {
    why = "truncated RFC 7427 AUTH data";
    return false;
  }
  ByteView aid = data.subspan(1, data[0]);
  ByteView sig = data.subspan(1 + size_t{data[0]});
  const unsigned char* p = aid.data();
  X509_ALGOR* alg = d2i_X509_ALGOR(nullptr, &p, static_cast<long>(aid.size()));
  if (!alg || p != aid.data() + aid.size()) {
    X509_ALGOR_free(alg);
    ERR_clear_error();
    why = "bad AlgorithmIdentifier";
    return false;
  }
  const KeyKind kind = keyKind(key);
  const int nid = digestNidOf(alg).value_or(NID_undef);
  Scheme scheme;
  bool ok = true;
  if (nid == NID_ED25519 || nid == NID_ED448) {
    ok = kind == (nid == NID_ED25519 ? KeyKind::Ed25519 : KeyKind::Ed448) &&
         offered(ourSignatureHashes(), SignatureHash::Identity);
  } else if (nid == NID_rsassaPss) {
    ok = kind == KeyKind::Rsa && pssScheme(alg, scheme, why);
  } else {
    int mdNid = NID_undef, pkNid = NID_undef;
    auto hash = OBJ_find_sigid_algs(nid, &mdNid, &pkNid) ? hashOfNid(mdNid) : std::nullopt;
    ok = hash && offered(ourSignatureHashes(), *hash) &&
         ((pkNid == NID_rsaEncryption && kind == KeyKind::Rsa) || (pkNid == NID_X9_62_id_ecPublicKey && isEc(kind)));
    if (ok) scheme.digest = digestName(*hash);
  }
  X509_ALGOR_free(alg);
  if (!ok) {
    if (why.empty()) why = "signature algorithm does not fit the certificate's key or uses a hash we did not offer";
    return false;
  }
  return verifyWith(key, scheme, sig, octets, why);
}

}  // namespace

const std::vector<SignatureHash>& ourSignatureHashes() {
  static const std::vector<SignatureHash> hashes = {SignatureHash::Sha2_256, SignatureHash::Sha2_384,
                                                    SignatureHash::Sha2_512, SignatureHash::Identity};
  return hashes;
}

std::vector<uint8_t> encodeSignatureHashes(const std::vector<SignatureHash>& hashes) {
  std::vector<uint8_t> out;
  for (SignatureHash h : hashes) {
    out.push_back(static_cast<uint8_t>(static_cast<uint16_t>(h) >> 8));
    out.push_back(static_cast<uint8_t>(static_cast<uint16_t>(h)));
  }
  return out;
}

std::vector<SignatureHash> decodeSignatureHashes(ByteView data) {
  std::vector<SignatureHash> out;
  for (size_t i = 0; i + 2 <= data.size(); i += 2) {
    const uint16_t v = static_cast<uint16_t>(data[i] << 8 | data[i + 1]);
    if (v >= 1 && v <= 5) out.push_back(static_cast<SignatureHash>(v));
  }
  return out;
}

Expected<SignatureAuth, CryptoError> signAuth(const PrivateKey& key, ByteView octets, const SignOptions& options) {
  if (!options.peerHashes) return signClassic(key, octets);
  auto hash = chooseHash(key.kind(), *options.peerHashes);
  if (!hash) {
    // No common hash: RSA and ECDSA still have a classic method.
    if (key.kind() == KeyKind::Ed25519 || key.kind() == KeyKind::Ed448) return unexpected(CryptoError::UnknownAlgorithm);
    return signClassic(key, octets);
  }
  return signDigitalSignature(key, octets, *hash, options.rsaPss);
}

bool verifyAuth(EVP_PKEY* peerKey, uint8_t method, ByteView data, ByteView octets, std::string& why) {
  const KeyKind kind = keyKind(peerKey);
  switch (static_cast<SignatureMethod>(method)) {
    case SignatureMethod::DigitalSignature: return verifyDigitalSignature(peerKey, data, octets, why);
    case SignatureMethod::Rsa:
      if (kind != KeyKind::Rsa) break;
      return verifyWith(peerKey, Scheme{"SHA1"}, data, octets, why);
    case SignatureMethod::EcdsaSha256:
    case SignatureMethod::EcdsaSha384:
    case SignatureMethod::EcdsaSha512: {
      const KeyKind want = method == 9 ? KeyKind::EcP256 : method == 10 ? KeyKind::EcP384 : KeyKind::EcP521;
      if (kind != want) break;
      auto der = fixedToDer(data, curveWidth(kind));
      if (!der) {
        why = "ECDSA signature of the wrong length";
        return false;
      }
      return verifyWith(peerKey, Scheme{digestName(curveHash(kind))}, *der, octets, why);
    }
  }
  why = "auth method does not fit the certificate's key";
  return false;
}

}  // namespace ipsecgw::ike
