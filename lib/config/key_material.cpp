#include "config/key_material.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "config/config_error.hpp"

namespace ipsecgw::config {

namespace {

// A key file holds one line of hex; anything near this size is not one.
constexpr size_t kMaxKeyFileBytes = 4096;
// A PEM private key: RSA 8192 is about 6.4 KB; chains do not belong here.
constexpr size_t kMaxPemKeyFileBytes = 16384;
// The shortest KEYMAT of any transform is 16 bytes (aes128gmac: 16 + 4 salt;
// null-sha256: 32): shorter hex is not worth hiding.
constexpr size_t kMinKeyBytes = 16;

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isSeparator(char c) { return c == ' ' || c == ':' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view stripHexPrefix(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  return text;
}

// Number of hex digits in `text`, or nullopt on any other character.
std::optional<size_t> countHexDigits(std::string_view text) {
  size_t digits = 0;
  for (char c : text) {
    if (isSeparator(c)) continue;
    if (nibble(c) < 0) return std::nullopt;
    ++digits;
  }
  return digits;
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

std::string systemError(int err) { return std::error_code(err, std::generic_category()).message(); }

}  // namespace

std::optional<SecretBytes> decodeHexSecret(std::string_view text) {
  text = stripHexPrefix(text);
  auto digits = countHexDigits(text);
  if (!digits || *digits % 2 != 0) return std::nullopt;
  // Sized once up front: no reallocation, so no stray copies.
  SecretBytes out(*digits / 2);
  auto dst = out.mutableView();
  size_t n = 0;
  int high = -1;
  for (char c : text) {
    if (isSeparator(c)) continue;
    int v = nibble(c);
    if (high < 0) {
      high = v;
    } else {
      dst[n++] = static_cast<uint8_t>(high << 4 | v);
      high = -1;
    }
  }
  return out;
}

std::optional<SecretBytes> decodePsk(std::string_view text) {
  // strongSwan's rule (swanctl.conf secrets): "0x..." is hex, anything else
  // is the key's bytes as written. A CR left by an editor is not part of it.
  if (text.starts_with("0x") || text.starts_with("0X")) return decodeHexSecret(text);
  if (text.ends_with('\r')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  return SecretBytes(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

bool looksLikeKeyMaterial(std::string_view text) {
  auto digits = countHexDigits(stripHexPrefix(text));
  return digits && *digits >= 2 * kMinKeyBytes;
}

namespace {

// The one place that opens a secret file: regular file, mode & 077 == 0,
// bounded size, buffer wiped on every exit. `decode` turns the first line
// into the secret; `what` names the expected content in messages.
template <class Decode>
bool readSecretFile(const std::string& path, SecretBytes& out, std::string& error, std::string_view what,
                    bool firstLineOnly, size_t maxBytes, Decode decode) {
  // O_NONBLOCK: a FIFO planted at the path must not hang the daemon in
  // open(); it is refused below as not a regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    error = "cannot open key file " + quoted(path) + ": " + systemError(errno);
    return false;
  }
  FdCloser closer(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = "cannot stat key file " + quoted(path) + ": " + systemError(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "key file " + quoted(path) + " is not a regular file";
    return false;
  }
  // Whoever owns the file can replace the key: only root or the daemon's
  // own user may.
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    error = "key file " + quoted(path) + " is owned by uid " + std::to_string(st.st_uid) + ", not by root";
    return false;
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = "key file " + quoted(path) + " is accessible by group or others (mode " + mode + "); chmod 600 it";
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > maxBytes) {
    error = "key file " + quoted(path) + " is larger than " + std::to_string(maxBytes) + " bytes; expected " +
            (firstLineOnly ? "one line of " : "") + std::string(what);
    return false;
  }

  // One buffer, sized up front (no reallocation leaves copies behind) and
  // wiped when it goes, on every path.
  SecretBytes buffer(maxBytes);
  auto buf = buffer.mutableView();
  size_t len = 0;
  bool ok = true;
  while (len < buf.size()) {
    ssize_t r = ::read(fd, buf.data() + len, buf.size() - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      error = "cannot read key file " + quoted(path) + ": " + systemError(errno);
      ok = false;
      break;
    }
    if (r == 0) break;
    len += static_cast<size_t>(r);
  }
  if (ok) {
    std::string_view text(reinterpret_cast<const char*>(buf.data()), len);
    std::optional<SecretBytes> decoded = decode(firstLineOnly ? text.substr(0, text.find('\n')) : text);
    if (!decoded || decoded->empty()) {
      error = std::string(firstLineOnly ? "the first line of key file " : "key file ") + quoted(path) + " is not " +
              std::string(what) + " (content not shown)";
      ok = false;
    } else {
      out = std::move(*decoded);
    }
  }
  return ok;
}

}  // namespace

bool readKeyFile(const std::string& path, SecretBytes& out, std::string& error) {
  return readSecretFile(path, out, error, "hex KEYMAT", true, kMaxKeyFileBytes, decodeHexSecret);
}

bool readPskFile(const std::string& path, SecretBytes& out, std::string& error) {
  return readSecretFile(path, out, error, "a pre-shared key", true, kMaxKeyFileBytes, decodePsk);
}

bool readPrivateKeyFile(const std::string& path, SecretBytes& out, std::string& error) {
  return readSecretFile(path, out, error, "a PEM private key", false, kMaxPemKeyFileBytes,
                        [](std::string_view t) -> std::optional<SecretBytes> {
                          if (t.empty()) return std::nullopt;
                          return SecretBytes(std::span(reinterpret_cast<const uint8_t*>(t.data()), t.size()));
                        });
}

size_t keymatLength(esp::Transform t) {
  const esp::TransformInfo& info = esp::transformInfo(t);
  return size_t{info.cipherKeyLen} + info.saltLen + info.authKeyLen;
}

std::optional<std::string> keyLengthError(esp::Transform t, size_t got) {
  size_t want = keymatLength(t);
  if (got == want) return std::nullopt;
  const esp::TransformInfo& info = esp::transformInfo(t);
  std::string parts;
  auto part = [&](uint8_t n, const char* what) {
    if (n == 0) return;
    if (!parts.empty()) parts += " + ";
    parts += std::to_string(n) + " " + what;
  };
  part(info.cipherKeyLen, "cipher key");
  part(info.saltLen, "salt");
  part(info.authKeyLen, "integrity key");
  return std::string(info.name) + " needs " + std::to_string(want) + " bytes of KEYMAT (" + parts + "), got " +
         std::to_string(got);
}

}  // namespace ipsecgw::config
