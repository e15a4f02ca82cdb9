// The Internet checksum against a naive RFC 1071 reference (16-bit
// big-endian words, one at a time) on random data of every length and start
// offset, since the fast sum reads several words at once in host order; and
// RFC 1624's incremental update against a full recomputation.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "net/checksum.hpp"

using namespace ipsecgw;

namespace {

uint16_t referenceChecksum(const uint8_t* p, size_t len, uint32_t initial) {
  uint64_t acc = initial;
  for (size_t i = 0; i < len; i += 2) acc += (uint32_t{p[i]} << 8) | (i + 1 < len ? p[i + 1] : 0);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

}  // namespace

TEST_CASE("checksumPartial equals the 16-bit reference at every length and offset", "[checksum]") {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(160);
  for (int round = 0; round < 20; ++round) {
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    for (size_t off = 0; off < 8; ++off) {
      for (size_t len = 0; len + off <= 140; ++len) {
        const uint32_t initial = round % 2 ? static_cast<uint32_t>(rng()) & 0x3ffff : 0;
        INFO("offset " << off << " length " << len << " initial " << initial);
        REQUIRE(checksumFinish(checksumPartial(buf.data() + off, len, initial)) ==
                referenceChecksum(buf.data() + off, len, initial));
      }
    }
  }
}

TEST_CASE("checksumPartial: all-ones and all-zero data, chained sums", "[checksum]") {
  std::vector<uint8_t> ones(64, 0xff), zeros(64, 0);
  for (size_t len : {0u, 1u, 2u, 7u, 8u, 20u, 63u, 64u}) {
    CHECK(checksumFinish(checksumPartial(ones.data(), len)) == referenceChecksum(ones.data(), len, 0));
    CHECK(checksumFinish(checksumPartial(zeros.data(), len)) == 0xffff);
  }
  // A sum carried from one region into the next (pseudo-header, then data).
  std::vector<uint8_t> a = {0x12, 0x34, 0xff, 0xff, 0x80}, b = {0xab, 0xcd, 0xef};
  std::vector<uint8_t> ab = {0x12, 0x34, 0xff, 0xff, 0x80, 0x00, 0xab, 0xcd, 0xef};  // a padded to even
  CHECK(checksumFinish(checksumPartial(b.data(), b.size(), checksumPartial(a.data(), a.size()))) ==
        referenceChecksum(ab.data(), ab.size(), 0));
  // A 20-byte IPv4 header with its checksum filled in verifies to zero.
  uint8_t h[20] = {0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 0x01, 0xc0, 0xa8, 0, 0xc7};
  const uint16_t c = ipv4HeaderChecksum(h, sizeof h);
  CHECK(c == 0xb861);  // a commonly cited worked example (UDP, 192.168.0.1 -> 192.168.0.199)
  h[10] = static_cast<uint8_t>(c >> 8);
  h[11] = static_cast<uint8_t>(c);
  CHECK(checksumFinish(checksumPartial(h, sizeof h)) == 0);
}

TEST_CASE("checksumUpdate16 equals a full recomputation", "[checksum]") {
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    uint8_t h[20];
    for (auto& b : h) b = static_cast<uint8_t>(rng());
    h[10] = h[11] = 0;
    const uint16_t before = ipv4HeaderChecksum(h, sizeof h);
    const uint16_t oldWord = static_cast<uint16_t>(h[8] << 8 | h[9]);
    const uint16_t newWord = static_cast<uint16_t>(rng());
    h[8] = static_cast<uint8_t>(newWord >> 8);
    h[9] = static_cast<uint8_t>(newWord);
    const uint16_t full = ipv4HeaderChecksum(h, sizeof h);
    const uint16_t inc = checksumUpdate16(before, oldWord, newWord);
    // 0x0000 and 0xffff are the same number in one's complement (RFC 1624 3).
    CHECK((inc == full || (inc == 0xffff && full == 0) || (inc == 0 && full == 0xffff)));
  }
}
