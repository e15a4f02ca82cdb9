// SK payload ciphers (RFC 7296 3.14, RFC 5282, RFC 7634): round trips for
// every suite, tampering and truncation refused with the buffer unchanged,
// IVs that never repeat, and the initiator/responder pairing of 2.14.
#include <random>
#include <set>

#include "ike/crypto/key_derivation.hpp"
#include "ike/crypto/sk_cipher_factory.hpp"
#include "test_support.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {

const ProtectionSuite kSuites[] = {
    {EncrId::AesGcm16, 128, {}},
    {EncrId::AesGcm16, 256, {}},
    {EncrId::ChaCha20Poly1305, 0, {}},
    {EncrId::AesCbc, 128, IntegId::HmacSha2_256_128},
    {EncrId::AesCbc, 256, IntegId::HmacSha2_384_192},
    {EncrId::AesCbc, 256, IntegId::HmacSha2_512_256},
};

std::string nameOf(const ProtectionSuite& s) {
  return "encr " + std::to_string(static_cast<int>(s.encr)) + "/" + std::to_string(s.encrKeyBits) + " integ " +
         std::to_string(s.integ ? static_cast<int>(*s.integ) : 0);
}

// A pair of IKE SA key sets, as both ends would derive them.
IkeSaKeys keysFor(const ProtectionSuite& suite) {
  const Bytes ni(32, 0x5a), nr(32, 0xa5), seed(32, 0x42);
  auto keys = deriveIkeSaKeys(PrfId::HmacSha2_256, suite, seed, ni, nr, 0x1111, 0x2222);
  REQUIRE(keys);
  return std::move(*keys);
}

SkCipherPair pairFor(const ProtectionSuite& suite, Role role) {
  IkeSaKeys keys = keysFor(suite);
  auto pair = makeSkCipherPair(suite, keys, role);
  REQUIRE(pair);
  CHECK(keys.skEi.empty());  // moved into the ciphers
  CHECK(keys.skD.size() == 32);
  return std::move(*pair);
}

// header(ivOffset) | IV | plaintext padded to the block size | ICV.
Bytes layout(const SkCipher& c, size_t ivOffset, size_t plainLen, std::mt19937& rng) {
  const size_t block = c.blockSize();
  const size_t padded = (plainLen + block - 1) / block * block;
  Bytes m(ivOffset + c.ivLength() + padded + c.icvLength());
  for (size_t i = 0; i < ivOffset; ++i) m[i] = static_cast<uint8_t>(rng());
  for (size_t i = 0; i < padded; ++i) m[ivOffset + c.ivLength() + i] = static_cast<uint8_t>(rng());
  return m;
}

Bytes plaintextOf(const SkCipher& c, const Bytes& m, size_t ivOffset) {
  return Bytes(m.begin() + ivOffset + c.ivLength(), m.end() - c.icvLength());
}

}  // namespace

TEST_CASE("SK ciphers: round trip between initiator and responder", "[sk]") {
  std::mt19937 rng(7);
  for (const auto& suite : kSuites) {
    INFO(nameOf(suite));
    SkCipherPair initiator = pairFor(suite, Role::Initiator);
    SkCipherPair responder = pairFor(suite, Role::Responder);
    for (size_t ivOffset : {size_t{28 + 4}, size_t{28 + 8}}) {  // after the SK or the SKF header
      for (size_t plainLen : {size_t{1}, size_t{16}, size_t{17}, size_t{100}, size_t{1400}}) {
        Bytes m = layout(*initiator.outbound, ivOffset, plainLen, rng);
        const Bytes original = m;
        REQUIRE(initiator.outbound->seal(m, ivOffset));
        CHECK(plaintextOf(*initiator.outbound, m, ivOffset) != plaintextOf(*initiator.outbound, original, ivOffset));
        CHECK(Bytes(m.begin(), m.begin() + ivOffset) == Bytes(original.begin(), original.begin() + ivOffset));
        // Only the other end's inbound cipher opens it.
        Bytes wrongKey = m;
        CHECK_FALSE(initiator.inbound->open(wrongKey, ivOffset));
        REQUIRE(responder.inbound->open(m, ivOffset));
        CHECK(plaintextOf(*responder.inbound, m, ivOffset) == plaintextOf(*initiator.outbound, original, ivOffset));
        // And the other direction.
        Bytes back = layout(*responder.outbound, ivOffset, plainLen, rng);
        const Bytes backOriginal = back;
        REQUIRE(responder.outbound->seal(back, ivOffset));
        REQUIRE(initiator.inbound->open(back, ivOffset));
        CHECK(plaintextOf(*initiator.inbound, back, ivOffset) ==
              plaintextOf(*responder.outbound, backOriginal, ivOffset));
      }
    }
  }
}

TEST_CASE("SK ciphers: any changed octet is refused and leaves the message as received", "[sk]") {
  std::mt19937 rng(11);
  for (const auto& suite : kSuites) {
    INFO(nameOf(suite));
    SkCipherPair initiator = pairFor(suite, Role::Initiator);
    SkCipherPair responder = pairFor(suite, Role::Responder);
    const size_t ivOffset = 32;
    Bytes sealed = layout(*initiator.outbound, ivOffset, 40, rng);
    REQUIRE(initiator.outbound->seal(sealed, ivOffset));
    // One flipped bit in the header (AAD / MAC'd), the IV, the ciphertext, the ICV.
    const size_t icvStart = sealed.size() - initiator.outbound->icvLength();
    for (size_t pos : {size_t{0}, size_t{27}, ivOffset, ivOffset + 3, ivOffset + 20, icvStart, sealed.size() - 1}) {
      INFO("flipped octet " << pos);
      Bytes m = sealed;
      m[pos] ^= 0x01;
      const Bytes tampered = m;
      CHECK_FALSE(responder.inbound->open(m, ivOffset));
      CHECK(m == tampered);
    }
    // The untouched message still opens.
    Bytes m = sealed;
    CHECK(responder.inbound->open(m, ivOffset));
  }
}

TEST_CASE("SK ciphers: truncated and ill-shaped messages are refused", "[sk]") {
  std::mt19937 rng(13);
  for (const auto& suite : kSuites) {
    INFO(nameOf(suite));
    SkCipherPair initiator = pairFor(suite, Role::Initiator);
    SkCipherPair responder = pairFor(suite, Role::Responder);
    const size_t ivOffset = 32;
    Bytes sealed = layout(*initiator.outbound, ivOffset, 40, rng);
    REQUIRE(initiator.outbound->seal(sealed, ivOffset));
    const size_t icv = initiator.outbound->icvLength(), iv = initiator.outbound->ivLength();
    for (size_t cut : {size_t{1}, size_t{4}, icv, sealed.size() - ivOffset - iv - icv + 1}) {
      INFO("cut " << cut);
      Bytes m(sealed.begin(), sealed.end() - cut);
      CHECK_FALSE(responder.inbound->open(m, ivOffset));
    }
    // ivOffset past the end, or leaving no room for IV and ICV.
    Bytes m = sealed;
    CHECK_FALSE(responder.inbound->open(m, m.size() + 1));
    CHECK_FALSE(responder.inbound->open(m, m.size() - icv));
    Bytes tiny(ivOffset + iv + icv - 1);
    CHECK_FALSE(responder.inbound->open(tiny, ivOffset));
    CHECK_FALSE(initiator.outbound->seal(tiny, ivOffset));
    if (!suite.integ) continue;
    // CBC: a ciphertext that is not whole blocks.
    Bytes ragged(ivOffset + iv + 20 + icv);
    CHECK_FALSE(initiator.outbound->seal(ragged, ivOffset));
    CHECK_FALSE(responder.inbound->open(ragged, ivOffset));
  }
}

TEST_CASE("SK ciphers: IVs never repeat under one key", "[sk]") {
  std::mt19937 rng(17);
  for (const auto& suite : kSuites) {
    INFO(nameOf(suite));
    SkCipherPair initiator = pairFor(suite, Role::Initiator);
    const size_t ivOffset = 32, iv = initiator.outbound->ivLength();
    const Bytes plain = layout(*initiator.outbound, ivOffset, 48, rng);
    std::set<Bytes> ivs, ciphertexts;
    for (int i = 0; i < 64; ++i) {
      Bytes m = plain;
      REQUIRE(initiator.outbound->seal(m, ivOffset));
      ivs.insert(Bytes(m.begin() + ivOffset, m.begin() + ivOffset + iv));
      ciphertexts.insert(plaintextOf(*initiator.outbound, m, ivOffset));
    }
    CHECK(ivs.size() == 64);
    CHECK(ciphertexts.size() == 64);
  }
}

TEST_CASE("SK ciphers: key lengths are checked", "[sk]") {
  CHECK(makeSkCipher(kSuites[0], SecretBytes(16), SecretBytes()).error() == CryptoError::BadKeyLength);  // no salt
  CHECK(makeSkCipher(kSuites[0], SecretBytes(20), SecretBytes(32)).error() == CryptoError::BadKeyLength);
  CHECK(makeSkCipher(kSuites[3], SecretBytes(16), SecretBytes(16)).error() == CryptoError::BadKeyLength);
  CHECK(makeSkCipher(kSuites[3], SecretBytes(32), SecretBytes(32)).error() == CryptoError::BadKeyLength);
  CHECK(makeSkCipher({EncrId::AesCbc, 128, {}}, SecretBytes(16), SecretBytes()).error() == CryptoError::BadSuite);
  auto ok = makeSkCipher(kSuites[3], SecretBytes(16), SecretBytes(32));
  REQUIRE(ok);
  CHECK((*ok)->icvLength() == 16);
  CHECK((*ok)->ivLength() == 16);
  CHECK((*ok)->blockSize() == 16);
}
