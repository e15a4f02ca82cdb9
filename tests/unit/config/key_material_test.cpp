// Key files (permissions, format, relative paths), hex decoding into
// SecretBytes, key lengths per transform, and the helpers that keep keys out
// of messages.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_error.hpp"
#include "config/config_parser.hpp"
#include "config/key_material.hpp"
#include "config/spelling.hpp"
#include "config_text.hpp"
#include "util/hex.hpp"

using namespace ipsecgw;
using namespace ipsecgw::config;
using namespace ipsecgw::config::test;

namespace {

// The base config with the outbound SA's inline key swapped for key_file.
std::string withKeyFile(std::string_view keyFile) {
  return replaced(baseConfig(), "key = \"0x" + std::string(kOutKeyHex) + "\"",
                  "key_file = \"" + std::string(keyFile) + "\"");
}

std::string keyHex(const SecretBytes& k) { return encodeHex(k.view().data(), k.size()); }

void checkNoKey(const std::string& message) {
  CHECK(message.find(std::string(kOutKeyHex.substr(0, 16))) == std::string::npos);
  CHECK(message.find(std::string(kOutKeyHex.substr(20, 16))) == std::string::npos);
}

}  // namespace

TEST_CASE("a key file of mode 0600 is read, first line only", "[config][keys]") {
  TempDir dir;
  std::string key = dir.write("out.key", "0x" + std::string(kOutKeyHex) + "\r\n# rotated 2024-01-01\n", 0600);
  ConfigResult r = parseConfigString(withKeyFile(key), "test.toml");
  INFO(r.error);
  REQUIRE(r.ok());
  CHECK(keyHex(r.config->sas[0].sa.keymat) == kOutKeyHex);
}

TEST_CASE("a relative key_file is found next to the config file", "[config][keys]") {
  TempDir dir;
  std::filesystem::create_directory(dir.path() + "/keys");
  REQUIRE(::chmod((dir.path() + "/keys").c_str(), 0700) == 0);
  dir.write("keys/out.key", std::string(kOutKeyHex) + "\n", 0400);
  std::string conf = dir.write("gateway.toml", withKeyFile("keys/out.key"), 0600);
  ConfigResult r = parseConfigFile(conf);
  INFO(r.error);
  REQUIRE(r.ok());
  CHECK(keyHex(r.config->sas[0].sa.keymat) == kOutKeyHex);
  // The config file is private, so its other (inline) key draws no note.
  CHECK(r.notes.empty());
}

TEST_CASE("key files others may access are refused", "[config][keys]") {
  TempDir dir;
  for (mode_t mode : {mode_t{0644}, mode_t{0640}, mode_t{0604}, mode_t{0602}}) {
    std::string key = dir.write("out.key", std::string(kOutKeyHex) + "\n", mode);
    std::string text = withKeyFile(key);
    ConfigResult r = parseConfigString(text, "test.toml");
    char modeText[8];
    std::snprintf(modeText, sizeof modeText, "%04o", static_cast<unsigned>(mode));
    INFO(r.error);
    CHECK_FALSE(r.ok());
    CHECK(r.error == "test.toml:" + std::to_string(lineOf(text, "key_file")) + ":12: sa[0].key_file: key file \"" + key +
                         "\" is accessible by group or others (mode " + modeText + "); chmod 600 it");
    checkNoKey(r.error);
  }
}

TEST_CASE("key file errors name the file, never its content", "[config][keys]") {
  TempDir dir;
  SECTION("missing") {
    ConfigResult r = parseConfigString(withKeyFile(dir.path() + "/none.key"), "test.toml");
    CHECK(r.error.find("sa[0].key_file: cannot open key file \"" + dir.path() + "/none.key\": No such file or directory") !=
          std::string::npos);
  }
  SECTION("a directory") {
    ConfigResult r = parseConfigString(withKeyFile(dir.path()), "test.toml");
    CHECK(r.error.find("sa[0].key_file: key file \"" + dir.path() + "\" is not a regular file") != std::string::npos);
  }
  SECTION("wrong length") {
    std::string key = dir.write("short.key", std::string(kOutKeyHex.substr(0, 32)) + "\n", 0600);
    ConfigResult r = parseConfigString(withKeyFile(key), "test.toml");
    CHECK(r.error.find("sa[0].key_file: key file \"" + key +
                       "\": aes128gcm16 needs 20 bytes of KEYMAT (16 cipher key + 4 salt), got 16") != std::string::npos);
    checkNoKey(r.error);
  }
  SECTION("not hex") {
    std::string key = dir.write("bad.key", std::string(kOutKeyHex) + "g\n", 0600);
    ConfigResult r = parseConfigString(withKeyFile(key), "test.toml");
    CHECK(r.error.find("sa[0].key_file: the first line of key file \"" + key + "\" is not hex KEYMAT (content not shown)") !=
          std::string::npos);
    checkNoKey(r.error);
  }
  SECTION("empty") {
    std::string key = dir.write("empty.key", "", 0600);
    ConfigResult r = parseConfigString(withKeyFile(key), "test.toml");
    CHECK(r.error.find("is not hex KEYMAT") != std::string::npos);
  }
  SECTION("too large") {
    std::string key = dir.write("big.key", std::string(5000, 'a'), 0600);
    ConfigResult r = parseConfigString(withKeyFile(key), "test.toml");
    CHECK(r.error.find("is larger than 4096 bytes") != std::string::npos);
  }
}

TEST_CASE("inline keys in a config file others can read draw a note", "[config][keys]") {
  TempDir dir;
  std::string conf = dir.write("gateway.toml", baseConfig(), 0644);
  ConfigResult r = parseConfigFile(conf);
  INFO(r.error);
  REQUIRE(r.ok());
  REQUIRE(r.notes.size() == 2);
  CHECK(r.notes[0] == conf + ":" + std::to_string(lineOf(baseConfig(), "key = \"0x")) +
                          ":7: sa[0].key: inline key in a file that group or others can read; use key_file or chmod 600 "
                          "the config");
  for (const std::string& n : r.notes) checkNoKey(n);
}

TEST_CASE("decodeHexSecret reads what decodeHex reads", "[config][keys]") {
  for (std::string_view text : {"0x00ff10", "00:ff:10", "00 FF 10", "0X00fF10", "\t00ff10\n"}) {
    INFO(text);
    auto k = decodeHexSecret(text);
    REQUIRE(k);
    CHECK(keyHex(*k) == "00ff10");
    auto reference = decodeHex(text);
    REQUIRE(reference);
    CHECK(encodeHex(reference->data(), reference->size()) == "00ff10");
  }
  // And a CR, for key files written on Windows.
  CHECK(keyHex(*decodeHexSecret("00ff10\r")) == "00ff10");
  CHECK_FALSE(decodeHexSecret("0x0"));
  CHECK_FALSE(decodeHexSecret("0g"));
  CHECK_FALSE(decodeHexSecret("0x0x00"));
  CHECK(decodeHexSecret("")->empty());
}

TEST_CASE("KEYMAT length per transform", "[config][keys]") {
  CHECK(keymatLength(esp::Transform::AesGcm128) == 20);
  CHECK(keymatLength(esp::Transform::AesGcm256) == 36);
  CHECK(keymatLength(esp::Transform::ChaCha20Poly1305) == 36);
  CHECK(keymatLength(esp::Transform::AesGmac128) == 20);
  CHECK(keymatLength(esp::Transform::AesCbc256HmacSha256) == 64);
  CHECK(keymatLength(esp::Transform::NullHmacSha256) == 32);
  CHECK_FALSE(keyLengthError(esp::Transform::AesGcm256, 36));
  CHECK(keyLengthError(esp::Transform::NullHmacSha256, 20) ==
        "null-sha256 needs 32 bytes of KEYMAT (32 integrity key), got 20");
  CHECK(keyLengthError(esp::Transform::ChaCha20Poly1305, 32) ==
        "chacha20poly1305 needs 36 bytes of KEYMAT (32 cipher key + 4 salt), got 32");
}

TEST_CASE("looksLikeKeyMaterial spots pasted keys, not paths", "[config][keys]") {
  CHECK(looksLikeKeyMaterial(std::string("0x") + std::string(kOutKeyHex)));
  CHECK(looksLikeKeyMaterial(kInKeyHex));
  CHECK_FALSE(looksLikeKeyMaterial("/etc/ipsecgw/keys/gwa-to-gwb.key"));
  CHECK_FALSE(looksLikeKeyMaterial("deadbeef"));
}

TEST_CASE("redactSecrets removes anything key-like from toml++ messages", "[config][keys]") {
  CHECK(redactSecrets("Error while parsing hexadecimal integer: '0xc0ffee0011223344556677' is not representable in 64 "
                      "bits") == "Error while parsing hexadecimal integer: '<redacted>' is not representable in 64 bits");
  CHECK(redactSecrets("cannot redefine existing table 'gateway'") == "cannot redefine existing table 'gateway'");
  CHECK(redactSecrets("unknown escape sequence '\\q'") == "unknown escape sequence '\\q'");
  CHECK(redactSecrets("expected decimal digit, saw 'a'") == "expected decimal digit, saw 'a'");
}

TEST_CASE("spelling hints", "[config]") {
  CHECK(editDistance("transfrom", "transform") == 2);
  CHECK(editDistance("", "abc") == 3);
  CHECK(editDistance("spi", "spi") == 0);
  constexpr std::string_view names[] = {"src_port", "dst_port"};
  CHECK(closestMatch("src_prt", names) == "src_port");
  CHECK_FALSE(closestMatch("port", names));           // distance 4
  constexpr std::string_view twins[] = {"abc", "abd"};
  CHECK_FALSE(closestMatch("abx", twins));  // a tie: no coin toss
  CHECK(didYouMean("dst_prot", names) == " (did you mean \"dst_port\"?)");
  CHECK(quoted("a\"b\n") == "\"a\\\"b\\x0a\"");
}
