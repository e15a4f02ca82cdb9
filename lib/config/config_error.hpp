// Internal to lib/config: where in the file a value sits, and the exception
// that carries the first error out of the section parsers to
// parseConfigString, which turns it into ConfigResult::error. Nothing outside
// lib/config sees either.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ipsecgw::config {

struct Where {
  std::string path;  // key path, e.g. "sa[1].transform"; empty for syntax errors
  uint32_t line = 0;
  uint32_t column = 0;
};

class ConfigError {
 public:
  ConfigError(Where where, std::string message) : where_(std::move(where)), message_(std::move(message)) {}

  const Where& where() const { return where_; }
  const std::string& message() const { return message_; }

 private:
  Where where_;
  std::string message_;
};

// "SOURCE:LINE:COLUMN: PATH: MESSAGE" (PATH left out when empty).
std::string formatDiagnostic(std::string_view source, const Where& where, std::string_view message);

// Quotes `text` for a message: "text", with control characters escaped so a
// hostile file cannot forge lines in a log. Never pass key material.
std::string quoted(std::string_view text);

// toml++'s syntax messages can quote the offending token, which may be key
// material (`key = 0x<64 hex digits>` overflows an integer and is echoed).
// Replaces every word that could be a key or part of one with "<redacted>".
std::string redactSecrets(std::string_view message);

}  // namespace ipsecgw::config
