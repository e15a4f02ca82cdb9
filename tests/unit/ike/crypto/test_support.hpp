// Helpers shared by the lib/ike/crypto tests: hex, byte-vector printing and
// the fixture written by tests/vectors/ike_crypto/gen_ike_crypto_vectors.py.
// Only test vectors are ever printed.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "util/hex.hpp"
#include "util/secret.hpp"

namespace Catch {
template <>
struct StringMaker<std::vector<uint8_t>> {
  static std::string convert(const std::vector<uint8_t>& v) { return ipsecgw::encodeHex(v.data(), v.size()); }
};
}  // namespace Catch

namespace ipsecgw::ike::test {

using Bytes = std::vector<uint8_t>;

// Throws on malformed text, which fails the test loudly.
inline Bytes hex(std::string_view text) { return decodeHex(text).value(); }
inline Bytes ascii(std::string_view text) { return Bytes(text.begin(), text.end()); }
// Copies a test key out for comparison with an expected test vector.
inline Bytes bytesOf(const SecretBytes& s) { return Bytes(s.view().begin(), s.view().end()); }

// Equality of two secrets that a failing check must not print.
inline bool sameSecret(const SecretBytes& a, const SecretBytes& b) {
  return a.size() == b.size() && constantTimeEqual(a.view().data(), b.view().data(), a.size());
}

struct FixtureSection {
  std::string kind, name;
  std::map<std::string, std::string> fields;

  Bytes bytes(const std::string& field) const { return hex(fields.at(field)); }
  unsigned long number(const std::string& field) const { return std::stoul(fields.at(field), nullptr, 0); }
  unsigned long long number64(const std::string& field) const { return std::stoull(fields.at(field)); }
};

// Every "[kind name]" section of the fixture file with the given kind.
inline std::vector<FixtureSection> fixtureSections(const std::string& kind) {
  std::ifstream in(IKE_CRYPTO_VECTORS_FILE);
  REQUIRE(in.good());
  std::vector<FixtureSection> all;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      const size_t space = line.find(' ');
      all.push_back({line.substr(1, space - 1), line.substr(space + 1, line.size() - space - 2), {}});
      continue;
    }
    const size_t eq = line.find(" = ");
    REQUIRE(eq != std::string::npos);
    REQUIRE(!all.empty());
    all.back().fields[line.substr(0, eq)] = line.substr(eq + 3);
  }
  std::vector<FixtureSection> out;
  for (auto& s : all)
    if (s.kind == kind) out.push_back(std::move(s));
  REQUIRE(!out.empty());  // a missing kind must fail, not pass vacuously
  return out;
}

}  // namespace ipsecgw::ike::test
