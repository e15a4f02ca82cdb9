// Key agreement between two local key pairs for every group, and peer values
// that must be refused (RFC 7296 3.4, RFC 5903 7, RFC 8031 2.3, RFC 6989).
#include <openssl/bn.h>

#include "ike/crypto/key_exchange.hpp"
#include "test_support.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {

constexpr KeGroup kAllGroups[] = {KeGroup::Modp2048, KeGroup::Modp3072, KeGroup::Ecp256,    KeGroup::Ecp384,
                                  KeGroup::Ecp521,   KeGroup::Curve25519, KeGroup::Curve448};

KeyExchangePtr generate(KeGroup g) {
  auto ke = KeyExchange::generate(g);
  REQUIRE(ke);
  return std::move(*ke);
}

// The group's prime p (RFC 3526, as OpenSSL ships it) minus `subtract`.
// Both primes end in 64 one bits, so subtracting from the last octet is exact.
Bytes modpPrimeMinus(KeGroup g, uint8_t subtract) {
  BIGNUM* p = g == KeGroup::Modp2048 ? BN_get_rfc3526_prime_2048(nullptr) : BN_get_rfc3526_prime_3072(nullptr);
  REQUIRE(p != nullptr);
  Bytes v(static_cast<size_t>(BN_num_bytes(p)));
  BN_bn2bin(p, v.data());
  BN_free(p);
  REQUIRE(v.back() == 0xff);
  v.back() = static_cast<uint8_t>(0xff - subtract);
  return v;
}

}  // namespace

TEST_CASE("key exchange: two local key pairs agree", "[ke]") {
  for (KeGroup g : kAllGroups) {
    INFO("group " << static_cast<int>(g));
    auto a = generate(g);
    auto b = generate(g);
    const KeGroupInfo info = keGroupInfo(g);
    CHECK(a->group() == g);
    CHECK(a->publicValue().size() == info.publicLen);
    CHECK(a->publicValue() != b->publicValue());
    auto ab = a->sharedSecret(b->publicValue());
    auto ba = b->sharedSecret(a->publicValue());
    REQUIRE(ab);
    REQUIRE(ba);
    CHECK(ab->size() == info.sharedLen);
    // Compared without printing: these are real (if throwaway) secrets.
    CHECK(sameSecret(*ab, *ba));
  }
}

TEST_CASE("key exchange: wrong-length peer values are refused", "[ke]") {
  for (KeGroup g : kAllGroups) {
    INFO("group " << static_cast<int>(g));
    auto a = generate(g);
    auto b = generate(g);
    Bytes pub = b->publicValue();
    Bytes longer = pub;
    longer.push_back(0);
    Bytes shorter(pub.begin(), pub.end() - 1);
    CHECK(a->sharedSecret(longer).error() == CryptoError::BadPeerValue);
    CHECK(a->sharedSecret(shorter).error() == CryptoError::BadPeerValue);
    CHECK(a->sharedSecret({}).error() == CryptoError::BadPeerValue);
  }
}

TEST_CASE("key exchange: MODP values 0, 1, p-1, p and above are refused", "[ke]") {
  for (KeGroup g : {KeGroup::Modp2048, KeGroup::Modp3072}) {
    INFO("group " << static_cast<int>(g));
    auto a = generate(g);
    const size_t len = keGroupInfo(g).publicLen;
    Bytes zero(len, 0), one(len, 0);
    one.back() = 1;
    CHECK(a->sharedSecret(zero).error() == CryptoError::BadPeerValue);
    CHECK(a->sharedSecret(one).error() == CryptoError::BadPeerValue);
    REQUIRE(modpPrimeMinus(g, 0).size() == len);
    CHECK(a->sharedSecret(modpPrimeMinus(g, 1)).error() == CryptoError::BadPeerValue);  // p-1
    CHECK(a->sharedSecret(modpPrimeMinus(g, 0)).error() == CryptoError::BadPeerValue);  // p
    CHECK(a->sharedSecret(Bytes(len, 0xff)).error() == CryptoError::BadPeerValue);        // > p
    // 2 is the generator: a valid (if silly) value, accepted.
    Bytes two(len, 0);
    two.back() = 2;
    CHECK(a->sharedSecret(two).has_value());
  }
}

TEST_CASE("key exchange: ECP points off the curve are refused", "[ke]") {
  for (KeGroup g : {KeGroup::Ecp256, KeGroup::Ecp384, KeGroup::Ecp521}) {
    INFO("group " << static_cast<int>(g));
    auto a = generate(g);
    auto b = generate(g);
    Bytes bad = b->publicValue();
    bad.back() ^= 0x01;  // y changed: (x, y') is not on the curve
    CHECK(a->sharedSecret(bad).error() == CryptoError::BadPeerValue);
    CHECK(a->sharedSecret(Bytes(bad.size(), 0)).error() == CryptoError::BadPeerValue);
    CHECK(a->sharedSecret(Bytes(bad.size(), 0xff)).error() == CryptoError::BadPeerValue);
  }
}

TEST_CASE("key exchange: X25519/X448 low-order points give an error, not a zero key", "[ke]") {
  for (KeGroup g : {KeGroup::Curve25519, KeGroup::Curve448}) {
    INFO("group " << static_cast<int>(g));
    auto a = generate(g);
    const size_t len = keGroupInfo(g).publicLen;
    Bytes zero(len, 0), one(len, 0);
    one[0] = 1;  // u = 1 (little-endian): also of small order
    CHECK(a->sharedSecret(zero).error() == CryptoError::ZeroSharedSecret);
    CHECK(a->sharedSecret(one).error() == CryptoError::ZeroSharedSecret);
  }
}

TEST_CASE("key exchange: fixed private keys of the wrong size are refused", "[ke]") {
  CHECK(KeyExchange::fromPrivateKey(KeGroup::Curve25519, Bytes(31, 1)).error() == CryptoError::BadKeyLength);
  CHECK(KeyExchange::fromPrivateKey(KeGroup::Ecp256, Bytes(33, 1)).error() == CryptoError::BadKeyLength);
  CHECK(KeyExchange::fromPrivateKey(KeGroup::Modp2048, Bytes(32, 1)).error() == CryptoError::UnknownAlgorithm);
  CHECK(KeyExchange::generate(static_cast<KeGroup>(2)).error() == CryptoError::UnknownAlgorithm);
}
