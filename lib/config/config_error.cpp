#include "config/config_error.hpp"

#include <cctype>
#include <cstdio>

namespace ipsecgw::config {

std::string formatDiagnostic(std::string_view source, const Where& where, std::string_view message) {
  std::string out(source);
  out += ':' + std::to_string(where.line) + ':' + std::to_string(where.column) + ": ";
  if (!where.path.empty()) out += where.path + ": ";
  out += message;
  return out;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

std::string redactSecrets(std::string_view message) {
  // A word is a run of characters that can appear in a bare TOML value or a
  // key string. The shortest key we accept is 16 bytes (32 hex digits), but
  // toml++ may cut a token anywhere, so any word of 8+ characters holding a
  // digit goes: that spares toml++'s prose ("hexadecimal", "representable")
  // and table names, and costs the operator nothing the line number does
  // not already give.
  auto isWordChar = [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-' || c == '.'; };
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    if (!isWordChar(static_cast<unsigned char>(message[i]))) {
      out += message[i++];
      continue;
    }
    size_t j = i;
    bool digit = false;
    while (j < message.size() && isWordChar(static_cast<unsigned char>(message[j]))) {
      digit |= std::isdigit(static_cast<unsigned char>(message[j])) != 0;
      ++j;
    }
    if (digit && j - i >= 8)
      out += "<redacted>";
    else
      out.append(message.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace ipsecgw::config
