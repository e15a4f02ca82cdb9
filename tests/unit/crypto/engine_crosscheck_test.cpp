// Differential test of the two crypto engines (in the manner of WireGuard's
// selftest/allowedips.c): random ESP-shaped ops for every transform, encrypted
// by ipsec-mb and by OpenSSL, must agree byte for byte; each side's output,
// decrypted by the other engine, must give the plaintext and the same ICV.
#include <array>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crypto/engine_factory.hpp"
#include "util/hex.hpp"

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
using esp::TransformKind;

namespace {

using Bytes = std::vector<uint8_t>;
using Rng = std::mt19937_64;

constexpr Transform kAllTransforms[] = {
    Transform::AesGcm128,  Transform::AesGcm256,           Transform::ChaCha20Poly1305,    Transform::AesGmac128,
    Transform::AesGmac256, Transform::AesCbc128HmacSha256, Transform::AesCbc256HmacSha256, Transform::NullHmacSha256,
};
constexpr uint32_t kEspHeaderLen = 8;  // SPI + sequence number

uint32_t uniform(Rng& rng, uint32_t lo, uint32_t hi) { return std::uniform_int_distribution<uint32_t>(lo, hi)(rng); }

Bytes randomBytes(Rng& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// An ESP-shaped packet (RFC 4303 2): SPI | Seq | IV | payload, with the
// regions each kind of transform works on (lib/esp/esp_crypto_layout.hpp).
struct Packet {
  Bytes bytes;
  std::array<uint8_t, 12> aad{};
  uint32_t aadLen = 0;
  std::array<uint8_t, 12> nonce{};  // Aead, GmacOnly: salt || IV
  std::array<uint8_t, 16> icv{};
  uint32_t cipherOffset = 0, cipherLen = 0, authLen = 0;
  bool ivInPacket = false;  // CbcThenHmac: the IV is the 16 bytes after the header
  bool ivIsCounter = false;

  CryptoOp op(CryptoDirection dir) {
    CryptoOp o;
    o.data = bytes.data();
    o.cipherOffset = cipherOffset;
    o.cipherLen = cipherLen;
    o.authLen = authLen;
    o.aad = aad.data();
    o.aadLen = aadLen;
    o.iv = ivInPacket ? bytes.data() + kEspHeaderLen : nonce.data();
    // Only the sender turns a counter into an IV; the receiver uses what came.
    o.ivIsCounter = ivIsCounter && dir == CryptoDirection::Encrypt;
    o.digest = icv.data();
    return o;
  }
  Bytes payload() const { return Bytes(bytes.begin() + cipherOffset, bytes.end()); }
  Bytes icvBytes() const { return Bytes(icv.begin(), icv.end()); }
};

// Payload sizes 0..2000, leaning on the edges where engines tend to break:
// empty, one byte, block and vector-register boundaries.
uint32_t randomPayloadLen(Rng& rng, TransformKind kind) {
  static constexpr uint32_t kEdges[] = {0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1999, 2000};
  uint32_t n = uniform(rng, 0, 7) == 0 ? kEdges[uniform(rng, 0, std::size(kEdges) - 1)] : uniform(rng, 0, 2000);
  // CBC ciphers whole blocks (ESP pads to them, RFC 4303 2.4) and never none.
  if (kind == TransformKind::CbcThenHmac) n = std::max<uint32_t>(16, n / 16 * 16);
  return n;
}

Packet randomPacket(Transform t, Rng& rng) {
  const auto& info = esp::transformInfo(t);
  Packet p;
  const uint32_t payloadLen = randomPayloadLen(rng, info.kind);
  p.bytes = randomBytes(rng, kEspHeaderLen + info.ivLen + payloadLen);
  p.cipherOffset = kEspHeaderLen + info.ivLen;
  for (auto& x : p.aad) x = static_cast<uint8_t>(rng());
  for (auto& x : p.nonce) x = static_cast<uint8_t>(rng());
  switch (info.kind) {
    case TransformKind::Aead:
      p.cipherLen = payloadLen;
      p.aadLen = uniform(rng, 0, 1) ? 12 : 8;  // with and without ESN (RFC 4106 5)
      break;
    case TransformKind::GmacOnly:  // RFC 4543 3.3: the whole packet is AAD
      p.authLen = static_cast<uint32_t>(p.bytes.size());
      break;
    case TransformKind::CbcThenHmac:
      p.cipherLen = payloadLen;
      p.authLen = static_cast<uint32_t>(p.bytes.size());
      p.ivInPacket = true;
      p.ivIsCounter = uniform(rng, 0, 1) == 1;
      break;
    case TransformKind::HmacOnly: p.authLen = static_cast<uint32_t>(p.bytes.size()); break;
  }
  return p;
}

struct Side {
  esp::CryptoEnginePtr engine;
  esp::CryptoSessionPtr session;
};

// Both engines keyed with the same random keys for `t`.
std::array<Side, 2> keyedEngines(Transform t, Rng& rng) {
  const auto& info = esp::transformInfo(t);
  const Bytes cipherKey = randomBytes(rng, info.cipherKeyLen), authKey = randomBytes(rng, info.authKeyLen);
  std::array<Side, 2> sides;
  const char* names[] = {"ipsec-mb", "openssl"};
  for (size_t i = 0; i < 2; ++i) {
    sides[i].engine = crypto::makeEngine(names[i]);
    REQUIRE(sides[i].engine != nullptr);
    sides[i].session = sides[i].engine->createSession(t, cipherKey, authKey);
    REQUIRE(sides[i].session != nullptr);
  }
  return sides;
}

// Runs one burst; every op must be accepted.
void runBurst(Side& side, Transform t, CryptoDirection dir, std::vector<Packet>& pkts) {
  std::vector<CryptoOp> ops;
  ops.reserve(pkts.size());
  for (Packet& p : pkts) ops.push_back(p.op(dir));
  side.engine->process(*side.session, t, dir, ops);
  for (size_t i = 0; i < ops.size(); ++i) {
    CAPTURE(side.engine->name(), i);
    REQUIRE(ops[i].ok);
  }
}

// One burst of `n` random packets through both engines in both directions.
void crossCheckBurst(std::array<Side, 2>& sides, Transform t, size_t n, Rng& rng) {
  std::vector<Packet> plain;
  for (size_t i = 0; i < n; ++i) plain.push_back(randomPacket(t, rng));

  std::array<std::vector<Packet>, 2> sealed{plain, plain};
  for (size_t s = 0; s < 2; ++s) runBurst(sides[s], t, CryptoDirection::Encrypt, sealed[s]);
  for (size_t i = 0; i < n; ++i) {
    CAPTURE(i, plain[i].bytes.size(), plain[i].ivIsCounter);
    REQUIRE(sealed[0][i].bytes == sealed[1][i].bytes);
    REQUIRE(sealed[0][i].icvBytes() == sealed[1][i].icvBytes());
  }

  // Each side's packets opened by the other engine.
  for (size_t s = 0; s < 2; ++s) {
    std::vector<Packet> opened = sealed[s];
    for (Packet& p : opened) p.icv.fill(0);
    runBurst(sides[1 - s], t, CryptoDirection::Decrypt, opened);
    for (size_t i = 0; i < n; ++i) {
      CAPTURE(sides[1 - s].engine->name(), i, plain[i].bytes.size());
      REQUIRE(opened[i].payload() == plain[i].payload());
      REQUIRE(opened[i].icvBytes() == sealed[s][i].icvBytes());
    }
  }
}

}  // namespace

TEST_CASE("crosscheck: ipsec-mb and OpenSSL agree on random ops", "[crypto][crosscheck]") {
  for (Transform t : kAllTransforms) {
    CAPTURE(esp::transformInfo(t).name);
    Rng rng(0x1f5ec9a7u + static_cast<unsigned>(t));
    auto sides = keyedEngines(t, rng);
    size_t done = 0;
    while (done < 4000) {
      const size_t n = uniform(rng, 1, 64);
      crossCheckBurst(sides, t, n, rng);
      done += n;
    }
  }
}

TEST_CASE("crosscheck: bursts of 1, 32, 200 and 600 ops", "[crypto][crosscheck]") {
  // ipsec-mb hands jobs back late (a multi-buffer lane waits for company), a
  // lone op only comes out on flush, and 600 ops overrun the manager's
  // 256-job queue so that submit must return jobs mid-burst.
  for (Transform t : kAllTransforms) {
    CAPTURE(esp::transformInfo(t).name);
    Rng rng(0x5eed0000u + static_cast<unsigned>(t));
    auto sides = keyedEngines(t, rng);
    for (size_t n : {1, 32, 200, 600}) {
      CAPTURE(n);
      crossCheckBurst(sides, t, n, rng);
    }
  }
}

TEST_CASE("crosscheck: one session, used at once by an engine per thread", "[crypto]") {
  // ipsecgwd's shape: the control core's engine creates a CHILD_SA's
  // sessions, every worker runs them through an engine of its own (an engine
  // is single-threaded: an ipsec-mb manager's job queue, OpenSSL's
  // contexts). A session must therefore be read-only in process().
  constexpr size_t kThreads = 3, kRounds = 20;
  for (const char* name : {"ipsec-mb", "openssl"}) {
    for (Transform t : kAllTransforms) {
      CAPTURE(name, esp::transformInfo(t).name);
      Rng rng(0x7e4d0000u + static_cast<unsigned>(t));
      const auto& info = esp::transformInfo(t);
      Side owner{crypto::makeEngine(name), nullptr};
      REQUIRE(owner.engine != nullptr);
      owner.session = owner.engine->createSession(t, randomBytes(rng, info.cipherKeyLen),
                                                  randomBytes(rng, info.authKeyLen));
      REQUIRE(owner.session != nullptr);
      std::vector<Packet> plain;
      for (size_t i = 0; i < 48; ++i) plain.push_back(randomPacket(t, rng));
      std::vector<Packet> want = plain;
      runBurst(owner, t, CryptoDirection::Encrypt, want);

      // Each thread: its own engine, the owner's session, kRounds bursts of
      // every packet; counts the ops that failed or differ from `want`.
      std::vector<size_t> wrong(kThreads, 0);
      std::vector<std::thread> threads;
      for (size_t k = 0; k < kThreads; ++k)
        threads.emplace_back([&, k] {
          auto engine = crypto::makeEngine(name);
          if (!engine) {
            wrong[k] = SIZE_MAX;
            return;
          }
          for (size_t round = 0; round < kRounds; ++round) {
            std::vector<Packet> got = plain;
            std::vector<CryptoOp> ops;
            for (Packet& p : got) ops.push_back(p.op(CryptoDirection::Encrypt));
            engine->process(*owner.session, t, CryptoDirection::Encrypt, ops);
            for (size_t i = 0; i < got.size(); ++i)
              wrong[k] += !ops[i].ok || got[i].bytes != want[i].bytes || got[i].icv != want[i].icv;
          }
        });
      for (auto& th : threads) th.join();
      CHECK(wrong == std::vector<size_t>(kThreads, 0));
    }
  }
}

TEST_CASE("crosscheck: keys of the wrong length are refused", "[crypto]") {
  for (const char* name : {"ipsec-mb", "openssl"}) {
    auto engine = crypto::makeEngine(name);
    REQUIRE(engine != nullptr);
    for (Transform t : kAllTransforms) {
      const auto& info = esp::transformInfo(t);
      CAPTURE(name, info.name);
      const Bytes cipherKey(info.cipherKeyLen, 7), authKey(info.authKeyLen, 9);
      CHECK(engine->createSession(t, cipherKey, authKey) != nullptr);
      CHECK(engine->createSession(t, Bytes(info.cipherKeyLen + 1, 7), authKey) == nullptr);
      CHECK(engine->createSession(t, cipherKey, Bytes(info.authKeyLen + 1, 9)) == nullptr);
      if (info.cipherKeyLen != 0) CHECK(engine->createSession(t, Bytes(info.cipherKeyLen - 1, 7), authKey) == nullptr);
      if (info.authKeyLen != 0) CHECK(engine->createSession(t, cipherKey, {}) == nullptr);
    }
  }
}

TEST_CASE("crosscheck: a session used with another transform fails every op", "[crypto]") {
  for (const char* name : {"ipsec-mb", "openssl"}) {
    CAPTURE(name);
    auto engine = crypto::makeEngine(name);
    REQUIRE(engine != nullptr);
    auto session = engine->createSession(Transform::AesGcm128, Bytes(16, 1), {});
    REQUIRE(session != nullptr);
    Rng rng(42);
    std::vector<Packet> pkts;
    for (int i = 0; i < 4; ++i) pkts.push_back(randomPacket(Transform::AesGcm256, rng));
    std::vector<CryptoOp> ops;
    for (Packet& p : pkts) ops.push_back(p.op(CryptoDirection::Encrypt));
    for (CryptoOp& op : ops) op.ok = true;
    engine->process(*session, Transform::AesGcm256, CryptoDirection::Encrypt, ops);
    for (const CryptoOp& op : ops) CHECK_FALSE(op.ok);
  }
}

TEST_CASE("crosscheck: engine names and arch", "[crypto]") {
  CHECK(crypto::makeEngine("no-such-engine") == nullptr);
  for (const char* name : {"ipsec-mb", "openssl"}) {
    auto engine = crypto::makeEngine(name);
    REQUIRE(engine != nullptr);
    CHECK(engine->name() == name);
    CHECK_FALSE(engine->arch().empty());
    WARN(name << " arch: " << engine->arch());
  }
}
