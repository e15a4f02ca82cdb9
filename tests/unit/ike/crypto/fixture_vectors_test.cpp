// lib/ike/crypto against values computed independently, from the RFC
// definitions, by tests/vectors/ike_crypto/gen_ike_crypto_vectors.py
// (python3-cryptography): prf+ (RFC 7296 2.13), SKEYSEED and the IKE SA keys
// (2.14), the rekey SKEYSEED (2.18), CHILD_SA KEYMAT (2.17), PSK AUTH (2.15)
// and the SK payload under AES-GCM, ChaCha20-Poly1305 and AES-CBC + HMAC.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

#include "ike/crypto/key_derivation.hpp"
#include "ike/crypto/prf.hpp"
#include "ike/crypto/psk_auth.hpp"
#include "ike/crypto/sk_cipher_factory.hpp"
#include "test_support.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {

PrfId prfOf(const FixtureSection& s) { return static_cast<PrfId>(s.number("prf")); }

ProtectionSuite suiteOf(const FixtureSection& s) {
  ProtectionSuite suite{static_cast<EncrId>(s.number("encr")), static_cast<uint16_t>(s.number("keybits")), {}};
  if (s.fields.count("integ") != 0 && s.number("integ") != 0) suite.integ = static_cast<IntegId>(s.number("integ"));
  return suite;
}

}  // namespace

TEST_CASE("prf+ matches its definition", "[prf][vectors]") {
  for (const auto& s : fixtureSections("prfplus")) {
    INFO("vector " << s.name);
    const Bytes key = s.bytes("key"), seed = s.bytes("seed");
    const ByteView seedView(seed);
    // The seed given whole and in parts must agree.
    auto whole = prfPlus(prfOf(s), key, {seed}, s.number("length"));
    auto parts = prfPlus(prfOf(s), key, {seedView.first(10), seedView.subspan(10)}, s.number("length"));
    REQUIRE(whole);
    REQUIRE(parts);
    CHECK(bytesOf(*whole) == s.bytes("output"));
    CHECK(bytesOf(*parts) == s.bytes("output"));
  }
}

TEST_CASE("SKEYSEED and IKE SA keys match RFC 7296 2.14", "[keys][vectors]") {
  for (const auto& s : fixtureSections("ike_sa")) {
    INFO("vector " << s.name);
    auto seed = skeyseed(prfOf(s), s.bytes("ni"), s.bytes("nr"), s.bytes("gir"));
    REQUIRE(seed);
    CHECK(bytesOf(*seed) == s.bytes("skeyseed"));
    auto keys = deriveIkeSaKeys(prfOf(s), suiteOf(s), seed->view(), s.bytes("ni"), s.bytes("nr"),
                                s.number64("spi_i"), s.number64("spi_r"));
    REQUIRE(keys);
    CHECK(bytesOf(keys->skD) == s.bytes("sk_d"));
    CHECK(bytesOf(keys->skAi) == s.bytes("sk_ai"));
    CHECK(bytesOf(keys->skAr) == s.bytes("sk_ar"));
    CHECK(bytesOf(keys->skEi) == s.bytes("sk_ei"));
    CHECK(bytesOf(keys->skEr) == s.bytes("sk_er"));
    CHECK(bytesOf(keys->skPi) == s.bytes("sk_pi"));
    CHECK(bytesOf(keys->skPr) == s.bytes("sk_pr"));
  }
}

TEST_CASE("rekeyed SKEYSEED matches RFC 7296 2.18", "[keys][vectors]") {
  for (const auto& s : fixtureSections("rekey")) {
    INFO("vector " << s.name);
    auto seed = rekeySkeyseed(prfOf(s), s.bytes("sk_d"), s.bytes("gir"), s.bytes("ni"), s.bytes("nr"));
    REQUIRE(seed);
    CHECK(bytesOf(*seed) == s.bytes("skeyseed"));
  }
}

TEST_CASE("CHILD_SA KEYMAT matches RFC 7296 2.17", "[keys][vectors]") {
  for (const auto& s : fixtureSections("child_sa")) {
    INFO("vector " << s.name);
    auto keys = deriveChildSaKeys(prfOf(s), s.bytes("sk_d"), suiteOf(s), s.bytes("gir"), s.bytes("ni"), s.bytes("nr"));
    REQUIRE(keys);
    CHECK(bytesOf(keys->encrI2R) == s.bytes("encr_i2r"));
    CHECK(bytesOf(keys->integI2R) == s.bytes("integ_i2r"));
    CHECK(bytesOf(keys->encrR2I) == s.bytes("encr_r2i"));
    CHECK(bytesOf(keys->integR2I) == s.bytes("integ_r2i"));
  }
}

TEST_CASE("PSK AUTH matches RFC 7296 2.15", "[auth][vectors]") {
  for (const auto& s : fixtureSections("psk_auth")) {
    INFO("vector " << s.name);
    auto auth = computePskAuth(prfOf(s), s.bytes("psk"), s.bytes("message"), s.bytes("nonce"), s.bytes("sk_p"),
                               s.bytes("idbody"));
    REQUIRE(auth);
    CHECK(*auth == s.bytes("auth"));
    CHECK(verifyPskAuth(prfOf(s), s.bytes("psk"), s.bytes("message"), s.bytes("nonce"), s.bytes("sk_p"),
                        s.bytes("idbody"), s.bytes("auth")));
  }
}

TEST_CASE("AEAD SK payload: seal matches python3-cryptography, open inverts it", "[sk][vectors]") {
  for (const auto& s : fixtureSections("sk_aead")) {
    INFO("vector " << s.name);
    const size_t ivOffset = s.number("iv_offset");
    auto sealer = makeSkCipher(suiteOf(s), SecretBytes(s.bytes("key")), SecretBytes());
    REQUIRE(sealer);
    // The first two messages use IVs 0 and 1 (the per-direction counter).
    for (const char* expected : {"sealed0", "sealed1"}) {
      Bytes message = s.bytes("message");
      REQUIRE((*sealer)->seal(message, ivOffset));
      CHECK(message == s.bytes(expected));
    }
    auto opener = makeSkCipher(suiteOf(s), SecretBytes(s.bytes("key")), SecretBytes());
    REQUIRE(opener);
    Bytes received = s.bytes("sealed1");
    REQUIRE((*opener)->open(received, ivOffset));
    const Bytes plain = s.bytes("message");
    // Header and plaintext are back; the IV and ICV fields keep the received bytes.
    CHECK(Bytes(received.begin(), received.begin() + ivOffset) == Bytes(plain.begin(), plain.begin() + ivOffset));
    CHECK(Bytes(received.begin() + ivOffset + 8, received.end() - 16) ==
          Bytes(plain.begin() + ivOffset + 8, plain.end() - 16));
  }
}

TEST_CASE("CBC+HMAC SK payload: open of python3-cryptography's message", "[sk][vectors]") {
  for (const auto& s : fixtureSections("sk_cbc")) {
    INFO("vector " << s.name);
    auto cipher = makeSkCipher(suiteOf(s), SecretBytes(s.bytes("key")), SecretBytes(s.bytes("integ_key")));
    REQUIRE(cipher);
    Bytes message = s.bytes("sealed");
    REQUIRE((*cipher)->open(message, s.number("iv_offset")));
    const Bytes plain = s.bytes("plain");
    const size_t icv = (*cipher)->icvLength();
    CHECK(Bytes(message.begin(), message.end() - icv) == Bytes(plain.begin(), plain.end() - icv));
  }
}

// CBC's IV is random, so its seal has no fixed answer: check the sealed
// message with OpenSSL's one-shot HMAC and a separate AES-CBC decryption
// instead (RFC 7296 3.14: ICV over everything from the IKE header to the end
// of the ciphertext, truncated per RFC 4868).
TEST_CASE("CBC+HMAC SK payload: seal checked by direct HMAC and AES-CBC", "[sk][vectors]") {
  for (const auto& s : fixtureSections("sk_cbc")) {
    INFO("vector " << s.name);
    const Bytes key = s.bytes("key"), integKey = s.bytes("integ_key"), plain = s.bytes("plain");
    const size_t ivOffset = s.number("iv_offset");
    auto cipher = makeSkCipher(suiteOf(s), SecretBytes(key), SecretBytes(integKey));
    REQUIRE(cipher);
    const size_t icv = (*cipher)->icvLength();
    Bytes m = plain;
    REQUIRE((*cipher)->seal(m, ivOffset));

    const EVP_MD* md = icv == 16 ? EVP_sha256() : icv == 24 ? EVP_sha384() : EVP_sha512();
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned macLen = 0;
    REQUIRE(HMAC(md, integKey.data(), static_cast<int>(integKey.size()), m.data(), m.size() - icv, mac, &macLen));
    CHECK(Bytes(mac, mac + icv) == Bytes(m.end() - icv, m.end()));

    const size_t textLen = m.size() - ivOffset - 16 - icv;
    Bytes decrypted(textLen + 16);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0, tail = 0;
    const bool ok = EVP_DecryptInit_ex(ctx, key.size() == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc(), nullptr,
                                       key.data(), m.data() + ivOffset) == 1 &&
                    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
                    EVP_DecryptUpdate(ctx, decrypted.data(), &n, m.data() + ivOffset + 16, static_cast<int>(textLen)) == 1 &&
                    EVP_DecryptFinal_ex(ctx, decrypted.data() + n, &tail) == 1;
    EVP_CIPHER_CTX_free(ctx);
    REQUIRE(ok);
    decrypted.resize(static_cast<size_t>(n + tail));
    CHECK(decrypted == Bytes(plain.begin() + ivOffset + 16, plain.end() - icv));
    CHECK(Bytes(m.begin(), m.begin() + ivOffset) == Bytes(plain.begin(), plain.begin() + ivOffset));
  }
}
