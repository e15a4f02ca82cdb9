#include "ike/crypto/key_exchange.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

namespace ipsecgw::ike {

namespace {

constexpr uint8_t kUncompressedPoint = 0x04;  // SEC 1 2.3.3

struct GroupNames {
  const char* keyType;  // OpenSSL key type
  const char* group;    // OpenSSL group name; nullptr for X25519/X448
  int curveNid;         // ECP only, for deriving a public key from a fixed private key
};

GroupNames namesOf(KeGroup g) {
  switch (g) {
    case KeGroup::Modp2048: return {"DH", "modp_2048", 0};  // RFC 3526 3
    case KeGroup::Modp3072: return {"DH", "modp_3072", 0};  // RFC 3526 4
    case KeGroup::Ecp256: return {"EC", "P-256", NID_X9_62_prime256v1};
    case KeGroup::Ecp384: return {"EC", "P-384", NID_secp384r1};
    case KeGroup::Ecp521: return {"EC", "P-521", NID_secp521r1};
    case KeGroup::Curve25519: return {"X25519", nullptr, 0};
    case KeGroup::Curve448: return {"X448", nullptr, 0};
  }
  return {nullptr, nullptr, 0};
}

// Owners for OpenSSL objects, so that every exit frees (and, for keys and
// BIGNUMs holding secrets, cleanses) what it took.
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_clear_free(p); } };
struct ParamBldFree { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct EcGroupFree { void operator()(EC_GROUP* p) const { EC_GROUP_free(p); } };
struct EcPointFree { void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); } };
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using Params = std::unique_ptr<OSSL_PARAM, ParamFree>;
using EcGroup = std::unique_ptr<EC_GROUP, EcGroupFree>;
using EcPoint = std::unique_ptr<EC_POINT, EcPointFree>;

Unexpected<CryptoError> fail(CryptoError e) {
  ERR_clear_error();  // our result is the report; keep the thread's queue empty
  return unexpected(e);
}

// The public value in IKE's encoding (see the header).
bool exportPublic(const KeGroupInfo& info, EVP_PKEY* key, std::vector<uint8_t>& out) {
  out.assign(info.publicLen, 0);
  switch (info.kind) {
    case KeKind::Modp: {
      BIGNUM* raw = nullptr;
      if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &raw) != 1) return false;
      Bn pub(raw);
      return BN_bn2binpad(pub.get(), out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size());
    }
    case KeKind::Ecp: {
      std::vector<uint8_t> point(1 + info.publicLen);
      size_t len = 0;
      if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &len) != 1 ||
          len != point.size() || point[0] != kUncompressedPoint)
        return false;
      out.assign(point.begin() + 1, point.end());
      return true;
    }
    case KeKind::Ecx: {
      size_t len = out.size();
      return EVP_PKEY_get_raw_public_key(key, out.data(), &len) == 1 && len == out.size();
    }
  }
  return false;
}

// An EVP_PKEY from OSSL_PARAMs: `selection` is EVP_PKEY_PUBLIC_KEY or EVP_PKEY_KEYPAIR.
Pkey pkeyFromParams(const char* keyType, OSSL_PARAM_BLD* bld, int selection) {
  Params params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, keyType, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) != 1)
    return nullptr;
  return Pkey(key);
}

// RFC 7296 3.4 / RFC 6989 2.1: a MODP peer value must satisfy 1 < y < p-1.
bool modpValueInRange(EVP_PKEY* own, const BIGNUM* y) {
  BIGNUM* rawP = nullptr;
  if (EVP_PKEY_get_bn_param(own, OSSL_PKEY_PARAM_FFC_P, &rawP) != 1) return false;
  Bn p(rawP);
  Bn pMinus1(BN_dup(p.get()));
  return pMinus1 && BN_sub_word(pMinus1.get(), 1) == 1 && BN_cmp(y, BN_value_one()) > 0 &&
         BN_cmp(y, pMinus1.get()) < 0;
}

// The peer's KE data as an EVP_PKEY of our group, or null if it is not a valid value.
Pkey peerKey(const KeGroupInfo& info, EVP_PKEY* own, ByteView peer) {
  const GroupNames names = namesOf(info.id);
  if (peer.size() != info.publicLen) return nullptr;
  switch (info.kind) {
    case KeKind::Modp: {
      Bn y(BN_bin2bn(peer.data(), static_cast<int>(peer.size()), nullptr));
      ParamBld bld(OSSL_PARAM_BLD_new());
      if (!y || !bld || !modpValueInRange(own, y.get()) ||
          OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, names.group, 0) != 1 ||
          OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, y.get()) != 1)
        return nullptr;
      return pkeyFromParams(names.keyType, bld.get(), EVP_PKEY_PUBLIC_KEY);
    }
    case KeKind::Ecp: {
      // RFC 5903 7: the payload omits the point-format octet; OpenSSL wants it.
      std::vector<uint8_t> point(1 + peer.size());
      point[0] = kUncompressedPoint;
      std::copy(peer.begin(), peer.end(), point.begin() + 1);
      ParamBld bld(OSSL_PARAM_BLD_new());
      if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, names.group, 0) != 1 ||
          OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
        return nullptr;
      // Decoding the point checks that it lies on the curve.
      return pkeyFromParams(names.keyType, bld.get(), EVP_PKEY_PUBLIC_KEY);
    }
    case KeKind::Ecx:
      // Every u coordinate is acceptable input (RFC 7748 5); the all-zero
      // result of a low-order point is caught after the derivation.
      return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_get_base_id(own), nullptr, peer.data(), peer.size()));
  }
  return nullptr;
}

bool allZero(ByteView b) {
  uint8_t acc = 0;
  for (uint8_t v : b) acc |= v;  // no early exit: the time does not depend on the secret
  return acc == 0;
}

// G = d * P on the named curve, uncompressed, for a fixed private scalar.
bool ecPublicFromPrivate(int nid, const BIGNUM* d, std::vector<uint8_t>& point) {
  EcGroup group(EC_GROUP_new_by_curve_name(nid));
  if (!group) return false;
  EcPoint q(EC_POINT_new(group.get()));
  if (!q || EC_POINT_mul(group.get(), q.get(), d, nullptr, nullptr, nullptr) != 1) return false;
  const size_t len = EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, nullptr);
  point.assign(len, 0);
  return len != 0 &&
         EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, point.data(), len, nullptr) == len;
}

}  // namespace

KeyExchange::~KeyExchange() { EVP_PKEY_free(key_); }

Expected<KeyExchangePtr, CryptoError> KeyExchange::generate(KeGroup group) {
  const GroupNames names = namesOf(group);
  if (names.keyType == nullptr) return fail(CryptoError::UnknownAlgorithm);
  const KeGroupInfo info = keGroupInfo(group);
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, names.keyType, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return fail(CryptoError::LibraryFailure);
  if (names.group != nullptr) {
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(names.group), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_PKEY_CTX_set_params(ctx.get(), params) != 1) return fail(CryptoError::LibraryFailure);
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) return fail(CryptoError::LibraryFailure);
  Pkey key(raw);
  std::vector<uint8_t> pub;
  if (!exportPublic(info, key.get(), pub)) return fail(CryptoError::LibraryFailure);
  return KeyExchangePtr(new KeyExchange(group, key.release(), std::move(pub)));
}

Expected<KeyExchangePtr, CryptoError> KeyExchange::fromPrivateKey(KeGroup group, ByteView privateKey) {
  const GroupNames names = namesOf(group);
  if (names.keyType == nullptr) return fail(CryptoError::UnknownAlgorithm);
  const KeGroupInfo info = keGroupInfo(group);
  Pkey key;
  switch (info.kind) {
    case KeKind::Modp:
      return fail(CryptoError::UnknownAlgorithm);  // not needed by any known-answer test
    case KeKind::Ecp: {
      if (privateKey.size() != info.sharedLen) return fail(CryptoError::BadKeyLength);
      Bn d(BN_secure_new());
      std::vector<uint8_t> point;
      ParamBld bld(OSSL_PARAM_BLD_new());
      if (!d || !bld || BN_bin2bn(privateKey.data(), static_cast<int>(privateKey.size()), d.get()) == nullptr ||
          !ecPublicFromPrivate(names.curveNid, d.get(), point) ||
          OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, names.group, 0) != 1 ||
          OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1 ||
          OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
        return fail(CryptoError::LibraryFailure);
      key = pkeyFromParams(names.keyType, bld.get(), EVP_PKEY_KEYPAIR);
      // `d` is a BN_FLG_SECURE BIGNUM, so the builder copies it into the
      // secure part of the params, which OSSL_PARAM_free clears.
      break;
    }
    case KeKind::Ecx:
      if (privateKey.size() != info.publicLen) return fail(CryptoError::BadKeyLength);
      key.reset(EVP_PKEY_new_raw_private_key(group == KeGroup::Curve25519 ? EVP_PKEY_X25519 : EVP_PKEY_X448,
                                             nullptr, privateKey.data(), privateKey.size()));
      break;
  }
  std::vector<uint8_t> pub;
  if (!key || !exportPublic(info, key.get(), pub)) return fail(CryptoError::LibraryFailure);
  return KeyExchangePtr(new KeyExchange(group, key.release(), std::move(pub)));
}

Expected<SecretBytes, CryptoError> KeyExchange::sharedSecret(ByteView peerPublic) const {
  const KeGroupInfo info = keGroupInfo(group_);
  Pkey peer = peerKey(info, key_, peerPublic);
  if (!peer) return fail(CryptoError::BadPeerValue);
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) return fail(CryptoError::LibraryFailure);
  // RFC 7296 2.14: g^ir keeps the prime's length, leading zeros included.
  if (info.kind == KeKind::Modp && EVP_PKEY_CTX_set_dh_pad(ctx.get(), 1) != 1)
    return fail(CryptoError::LibraryFailure);
  // Setting the peer also runs OpenSSL's public-key check (range, subgroup, curve).
  if (EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) return fail(CryptoError::BadPeerValue);
  SecretBytes secret(info.sharedLen);
  size_t len = secret.size();
  if (EVP_PKEY_derive(ctx.get(), secret.mutableView().data(), &len) != 1) {
    // X25519/X448 derivation fails only on the all-zero result (OpenSSL refuses it).
    return fail(info.kind == KeKind::Ecx ? CryptoError::ZeroSharedSecret : CryptoError::LibraryFailure);
  }
  if (len != info.sharedLen) return fail(CryptoError::LibraryFailure);
  // RFC 8031 2.3: MUST check for the all-zero value (a low-order peer point).
  if (allZero(secret.view())) return fail(CryptoError::ZeroSharedSecret);
  return secret;
}

}  // namespace ipsecgw::ike
