// A minimal valid configuration and the text surgery the table tests apply
// to it. Expected line numbers are found by searching the mutated text for a
// marker, so editing kBase does not silently shift what a test checks.
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace ipsecgw::config::test {

// KEYMAT of the two SAs: distinct, so a leak of either can be searched for.
inline constexpr std::string_view kOutKeyHex = "c0ffee0011223344556677889900aabbccddeeff";
inline constexpr std::string_view kInKeyHex = "5ec12e7f00112233445566778899aabbccddeeff";

inline std::string baseConfig() {
  return std::string(R"([gateway]
crypto_engine = "ipsec-mb"

[[port]]
name = "lan"
device = "net_null0"
ipv4 = "10.0.0.254/24"
role = "protected"

[[port]]
name = "wan"
device = "net_null1"
ipv4 = "192.0.2.1/24"
role = "unprotected"

[[route]]
prefix = "0.0.0.0/0"
port = "wan"
via = "192.0.2.254"

[[sa]]
name = "out"
direction = "outbound"
spi = 0x1000
transform = "aes128gcm16"
mode = "tunnel"
local = "192.0.2.1"
remote = "192.0.2.2"
key = "0x)") + std::string(kOutKeyHex) + R"("

[[sa]]
name = "in"
direction = "inbound"
spi = 0x2000
transform = "aes128gcm16"
mode = "tunnel"
local = "192.0.2.1"
remote = "192.0.2.2"
key = ")" + std::string(kInKeyHex) + R"("

[[policy]]
name = "lan-out"
direction = "outbound"
src = "10.0.0.0/24"
dst = "10.0.1.0/24"
action = "protect"
sa = "out"

[[policy]]
name = "lan-in"
direction = "inbound"
src = "10.0.1.0/24"
dst = "10.0.0.0/24"
action = "protect"
sa = "in"
)";
}

// `text` with the `occurrence`-th (0-based) `from` replaced by `to`; fails
// the test if there is no such occurrence (a stale marker).
inline std::string replaced(std::string text, std::string_view from, std::string_view to, int occurrence = 0) {
  size_t pos = text.find(from);
  for (int i = 0; i < occurrence && pos != std::string::npos; ++i) pos = text.find(from, pos + 1);
  INFO("marker: " << from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), to);
  return text;
}

// 1-based line of the `occurrence`-th `marker` in `text`.
inline int lineOf(std::string_view text, std::string_view marker, int occurrence = 0) {
  size_t pos = text.find(marker);
  for (int i = 0; i < occurrence && pos != std::string::npos; ++i) pos = text.find(marker, pos + 1);
  INFO("marker: " << marker);
  REQUIRE(pos != std::string::npos);
  int line = 1;
  for (size_t i = 0; i < pos; ++i) line += text[i] == '\n';
  return line;
}

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ipsecgw-config-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

  std::string write(const std::string& name, std::string_view content, mode_t mode) const {
    std::string p = path_ + "/" + name;
    {
      std::ofstream f(p, std::ios::binary);
      f << content;
    }
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
  }

 private:
  std::string path_;
};

}  // namespace ipsecgw::config::test
