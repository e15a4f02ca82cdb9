// Known-answer tests for both crypto engines, every vector in both directions:
// encrypt must produce the published ciphertext and tag, decrypt must give the
// plaintext back and compute the same tag over the received bytes.
#include <openssl/hmac.h>

#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crypto/engine_factory.hpp"
#include "util/hex.hpp"

// Byte strings print as hex in failure messages.
namespace Catch {
template <>
struct StringMaker<std::vector<uint8_t>> {
  static std::string convert(const std::vector<uint8_t>& v) { return ipsecgw::encodeHex(v.data(), v.size()); }
};
}  // namespace Catch

using namespace ipsecgw;
using esp::CryptoDirection;
using esp::CryptoOp;
using esp::Transform;

namespace {

using Bytes = std::vector<uint8_t>;

// Throws on malformed text, which fails the test (or, for the static tables,
// the whole executable) loudly.
Bytes hex(std::string_view text) { return decodeHex(text).value(); }

Bytes ascii(std::string_view text) { return Bytes(text.begin(), text.end()); }

esp::CryptoEnginePtr engineNamed(const std::string& name) {
  auto e = crypto::makeEngine(name);
  REQUIRE(e != nullptr);
  return e;
}

// Runs one op and insists the engine accepted it.
void runOne(esp::CryptoEngine& e, const esp::CryptoSession& s, Transform t, CryptoDirection dir, CryptoOp op) {
  e.process(s, t, dir, {&op, 1});
  REQUIRE(op.ok);
}

struct AeadVector {
  const char* name;
  Transform transform;
  const char *key, *nonce, *aad, *plaintext, *ciphertext, *tag;
};

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B,
// test cases 2, 3, 4 (AES-128) and 14, 15, 16 (AES-256): the ones with a
// 96-bit IV and a non-empty plaintext.
constexpr const char* kGcmKey = "feffe9928665731c6d6a8f9467308308";
constexpr const char* kGcmIv = "cafebabefacedbaddecaf888";
constexpr const char* kGcmAad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
constexpr const char* kGcmP60 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr const char* kGcmP64 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr const char* kGcm128C60 =
    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091";
constexpr const char* kGcm256C60 =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";

const AeadVector kAeadVectors[] = {
    {"GCM spec test case 2", Transform::AesGcm128, "00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf"},
    {"GCM spec test case 3", Transform::AesGcm128, kGcmKey, kGcmIv, "", kGcmP64,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"GCM spec test case 4", Transform::AesGcm128, kGcmKey, kGcmIv, kGcmAad, kGcmP60, kGcm128C60,
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"GCM spec test case 14", Transform::AesGcm256, "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"GCM spec test case 15", Transform::AesGcm256, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     kGcmIv, "", kGcmP64,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"GCM spec test case 16", Transform::AesGcm256, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     kGcmIv, kGcmAad, kGcmP60, kGcm256C60, "76fc6ece0f4e1768cddf8853bb2d551b"},
    // RFC 8439 2.8.2: "Ladies and Gentlemen of the class of '99: If I could
    // offer you only one tip for the future, sunscreen would be it."
    {"RFC 8439 2.8.2", Transform::ChaCha20Poly1305, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
     "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
     "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a20496620"
     "4920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f722074686520667574757265"
     "2c2073756e73637265656e20776f756c642062652069742e",
     "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
     "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
     "3ff4def08e4b7a9de576d26586cec64b6116",
     "1ae10b594f09e26a7e902ecbd0600691"},
};

struct GmacVector {
  const char* name;
  Transform transform;
  const char *key, *nonce, *aad, *tag;
};

// GMAC is GCM with an empty plaintext (RFC 4543 3.1, NIST SP 800-38D 6.4), so
// GCM known answers with P = "" are GMAC known answers over A.
const GmacVector kGmacVectors[] = {
    // NIST CAVP gcmEncryptExtIV128.rsp [PTlen = 0][AADlen = 128] Count = 0
    {"CAVP AES-128 AAD-only", Transform::AesGmac128, "77be63708971c4e240d1cb79e8d77feb", "e0e00f19fed7ba0136a797f3",
     "7a43ec1d9c0a5a78a0b16533a6213cab", "209fcc8d3675ed938e9c7166709dd946"},
    // NIST CAVP gcmEncryptExtIV256.rsp [PTlen = 0][AADlen = 128] Count = 0
    {"CAVP AES-256 AAD-only", Transform::AesGmac256, "78dc4e0aaf52d935c3c01eea57428f00ca1fd475f5da86a49c8dd73d68c8e223",
     "d79cf22d504cc793c3fb6c8a", "b96baa8c1c75a671bfb2d08d06be5f36", "3e5d486aa2e30b22e040b85723a06e76"},
};

struct HmacVector {
  const char* name;
  Bytes key, data;
  const char* icv;  // the leftmost 128 bits
};

// RFC 4868 2.7.2.1, AUTH256-1..3: RFC 4231's cases 1-3 with the key grown to the
// 32 bytes HMAC-SHA-256-128 uses in IPsec (RFC 4231's own 20- and 4-byte keys
// are refused by createSession, as they must be).
const HmacVector kHmacVectors[] = {
    {"AUTH256-1", Bytes(32, 0x0b), ascii("Hi There"), "198a607eb44bfbc69903a0f1cf2bbdc5"},
    {"AUTH256-2", ascii("JefeJefeJefeJefeJefeJefeJefeJefe"), ascii("what do ya want for nothing?"),
     "167f928588c5cc2eef8e3093caa0e87c"},
    {"AUTH256-3", Bytes(32, 0xaa), Bytes(50, 0xdd), "cdcb1220d1ecccea91e53aba3092f962"},
};

struct CbcVector {
  const char* name;
  const char* key;
  const char* iv;
  Bytes plaintext;
  const char* ciphertext;
};

// RFC 3602 4, cases 1-4 (AES-128-CBC).
const CbcVector kCbcVectors[] = {
    {"case 1", "06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41", ascii("Single block msg"),
     "e353779c1079aeb82708942dbe77181a"},
    {"case 2", "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
     hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
     "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"},
    {"case 3", "6c3ea0477630ce21a2ce334aa746c2cd", "c782dc4c098c66cbd9cd27d825682c81",
     ascii("This is a 48-byte message (exactly 3 AES blocks)"),
     "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5021c19216bad525c8579695d83ba2684"},
    {"case 4", "56e47a38c5598974bc46903dba290349", "8ce82eefbea0da3c44699ed7db51b7d9",
     hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4"
         "d5d6d7d8d9dadbdcdddedf"),
     "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d4"
     "9"
     "a53e87f4c3da55"},
};

}  // namespace

TEST_CASE("engine vectors: AEAD (GCM spec, RFC 8439)", "[vectors][aead]") {
  const std::string engineName = GENERATE("ipsec-mb", "openssl");
  auto engine = engineNamed(engineName);
  for (const AeadVector& v : kAeadVectors) {
    CAPTURE(engineName, v.name);
    auto session = engine->createSession(v.transform, hex(v.key), {});
    REQUIRE(session != nullptr);
    Bytes nonce = hex(v.nonce), aad = hex(v.aad), text = hex(v.plaintext);
    std::array<uint8_t, 16> tag{};
    CryptoOp op;
    op.data = text.data();
    op.cipherLen = static_cast<uint32_t>(text.size());
    op.aad = aad.data();
    op.aadLen = static_cast<uint32_t>(aad.size());
    op.iv = nonce.data();
    op.digest = tag.data();

    runOne(*engine, *session, v.transform, CryptoDirection::Encrypt, op);
    CHECK(text == hex(v.ciphertext));
    CHECK(Bytes(tag.begin(), tag.end()) == hex(v.tag));

    tag.fill(0);
    runOne(*engine, *session, v.transform, CryptoDirection::Decrypt, op);
    CHECK(text == hex(v.plaintext));
    CHECK(Bytes(tag.begin(), tag.end()) == hex(v.tag));
  }
}

TEST_CASE("engine vectors: AES-GMAC (RFC 4543)", "[vectors][gmac]") {
  const std::string engineName = GENERATE("ipsec-mb", "openssl");
  auto engine = engineNamed(engineName);
  for (const GmacVector& v : kGmacVectors) {
    CAPTURE(engineName, v.name);
    auto session = engine->createSession(v.transform, hex(v.key), {});
    REQUIRE(session != nullptr);
    Bytes nonce = hex(v.nonce), region = hex(v.aad);
    for (CryptoDirection dir : {CryptoDirection::Encrypt, CryptoDirection::Decrypt}) {
      std::array<uint8_t, 16> tag{};
      CryptoOp op;
      op.data = region.data();
      op.authLen = static_cast<uint32_t>(region.size());
      op.iv = nonce.data();
      op.digest = tag.data();
      runOne(*engine, *session, v.transform, dir, op);
      CHECK(region == hex(v.aad));  // integrity only: nothing is enciphered
      CHECK(Bytes(tag.begin(), tag.end()) == hex(v.tag));
    }
  }
}

TEST_CASE("engine vectors: HMAC-SHA-256-128 (RFC 4868)", "[vectors][hmac]") {
  const std::string engineName = GENERATE("ipsec-mb", "openssl");
  auto engine = engineNamed(engineName);
  for (const HmacVector& v : kHmacVectors) {
    CAPTURE(engineName, v.name);
    auto session = engine->createSession(Transform::NullHmacSha256, {}, v.key);
    REQUIRE(session != nullptr);
    for (CryptoDirection dir : {CryptoDirection::Encrypt, CryptoDirection::Decrypt}) {
      Bytes data = v.data;
      std::array<uint8_t, 16> icv{};
      CryptoOp op;
      op.data = data.data();
      op.authLen = static_cast<uint32_t>(data.size());
      op.digest = icv.data();
      runOne(*engine, *session, Transform::NullHmacSha256, dir, op);
      CHECK(data == v.data);
      CHECK(Bytes(icv.begin(), icv.end()) == hex(v.icv));
    }
  }
}

TEST_CASE("engine vectors: AES-128-CBC (RFC 3602) with HMAC-SHA-256-128", "[vectors][cbc]") {
  const std::string engineName = GENERATE("ipsec-mb", "openssl");
  auto engine = engineNamed(engineName);
  const Bytes authKey(32, 0x5a);
  for (const CbcVector& v : kCbcVectors) {
    CAPTURE(engineName, v.name);
    auto session = engine->createSession(Transform::AesCbc128HmacSha256, hex(v.key), authKey);
    REQUIRE(session != nullptr);
    // As in ESP (RFC 4303 2): IV || ciphertext, and the MAC over both.
    const Bytes iv = hex(v.iv), ciphertext = hex(v.ciphertext);
    Bytes packet = iv;
    packet.insert(packet.end(), v.plaintext.begin(), v.plaintext.end());
    Bytes sealed = iv;
    sealed.insert(sealed.end(), ciphertext.begin(), ciphertext.end());
    // The MAC computed independently of either engine, by OpenSSL's one-shot HMAC().
    uint8_t mac[32];
    unsigned macLen = 0;
    REQUIRE(HMAC(EVP_sha256(), authKey.data(), static_cast<int>(authKey.size()), sealed.data(), sealed.size(), mac,
                 &macLen) != nullptr);
    const Bytes expectedIcv(mac, mac + 16);

    std::array<uint8_t, 16> icv{};
    CryptoOp op;
    op.data = packet.data();
    op.iv = packet.data();
    op.cipherOffset = 16;
    op.cipherLen = static_cast<uint32_t>(v.plaintext.size());
    op.authLen = static_cast<uint32_t>(packet.size());
    op.digest = icv.data();

    runOne(*engine, *session, Transform::AesCbc128HmacSha256, CryptoDirection::Encrypt, op);
    CHECK(packet == sealed);
    CHECK(Bytes(icv.begin(), icv.end()) == expectedIcv);

    icv.fill(0);
    runOne(*engine, *session, Transform::AesCbc128HmacSha256, CryptoDirection::Decrypt, op);
    CHECK(Bytes(packet.begin() + 16, packet.end()) == v.plaintext);
    CHECK(Bytes(icv.begin(), icv.end()) == expectedIcv);
  }
}

TEST_CASE("engine vectors: a counter IV becomes AES_K(counter) (FIPS-197 C.1, C.3)", "[vectors][cbc]") {
  const std::string engineName = GENERATE("ipsec-mb", "openssl");
  auto engine = engineNamed(engineName);
  struct {
    Transform transform;
    const char *key, *block, *expected;
  } const cases[] = {
      {Transform::AesCbc128HmacSha256, "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
       "69c4e0d86a7b0430d8cdb78070b4c55a"},
      {Transform::AesCbc256HmacSha256, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
       "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089"},
  };
  for (const auto& c : cases) {
    CAPTURE(engineName, c.key);
    auto session = engine->createSession(c.transform, hex(c.key), Bytes(32, 1));
    REQUIRE(session != nullptr);
    Bytes packet = hex(c.block);
    packet.resize(32, 0);  // counter block, then one block of payload
    std::array<uint8_t, 16> icv{};
    CryptoOp op;
    op.data = packet.data();
    op.iv = packet.data();
    op.ivIsCounter = true;
    op.cipherOffset = 16;
    op.cipherLen = 16;
    op.authLen = 32;
    op.digest = icv.data();
    runOne(*engine, *session, c.transform, CryptoDirection::Encrypt, op);
    CHECK(Bytes(packet.begin(), packet.begin() + 16) == hex(c.expected));
  }
}
