// The public entry points: read the file, run toml++ and the section parsers,
// turn the first ConfigError (or toml::parse_error) into ConfigResult::error,
// and wipe what held key material on every exit.
#include "config/config_parser.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <toml++/toml.h>

#include "config/config_error.hpp"
#include "config/sections.hpp"
#include "config/table_reader.hpp"
#include "util/secret.hpp"

namespace ipsecgw::config {

namespace {

// Far beyond any real file (10 000 SAs take ~4 MB); a bound on what a
// mistaken path (a disk image, /dev/zero behind a symlink) can cost.
constexpr size_t kMaxConfigBytes = 64u << 20;

// Every string in the tree: `key` values hold KEYMAT, and so would a
// misspelt key ("kye") that the parse refused.
void wipeStrings(toml::node& n) {
  if (auto* t = n.as_table()) {
    for (auto&& [k, v] : *t) wipeStrings(v);
  } else if (auto* a = n.as_array()) {
    for (auto& e : *a) wipeStrings(e);
  } else if (auto* s = n.as_string()) {
    std::string& str = s->get();
    secureWipe(str.data(), str.size());
  }
}

class TreeWiper {
 public:
  explicit TreeWiper(toml::table& root) : root_(root) {}
  ~TreeWiper() { wipeStrings(root_); }
  TreeWiper(const TreeWiper&) = delete;
  TreeWiper& operator=(const TreeWiper&) = delete;

 private:
  toml::table& root_;
};

std::string directoryOf(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return "";
  return slash == 0 ? "/" : std::string(path.substr(0, slash));
}

// toml++ says "Error while parsing X: ..."; make it "syntax error while
// parsing X: ...", scrubbed of anything that could be a key.
std::string syntaxMessage(std::string_view description) {
  constexpr std::string_view kPrefix = "Error while ";
  if (description.starts_with(kPrefix)) return "syntax error while " + redactSecrets(description.substr(kPrefix.size()));
  return "syntax error: " + redactSecrets(description);
}

GatewayConfig parseDocument(const toml::table& root, ParseContext& ctx) {
  topLevel(root);  // unknown top-level keys fail first
  GatewayConfig c;
  c.gateway = parseGatewaySection(root);
  c.ports = parsePortSections(root);
  c.routes = parseRouteSections(root, c.ports);
  c.sas = parseSaSections(root, c.ports, ctx);
  c.policies = parsePolicySections(root, c.sas);
  c.ike = parseIkeSection(root);
  c.connections = parseConnectionSections(root, c.ports, ctx);
  crossCheck(root, c, ctx);
  return c;
}

ConfigResult parseText(std::string_view text, std::string_view sourceName, ParseContext& ctx) noexcept {
  ConfigResult result;
  try {
    toml::table root;
    try {
      root = toml::parse(text, sourceName);
    } catch (const toml::parse_error& e) {
      result.error = formatDiagnostic(sourceName, whereOf(e.source(), ""), syntaxMessage(e.description()));
      return result;
    }
    TreeWiper wiper(root);
    try {
      result.config = parseDocument(root, ctx);
    } catch (const ConfigError& e) {
      result.error = formatDiagnostic(sourceName, e.where(), e.message());
    }
    for (const auto& [where, note] : ctx.notes) result.notes.push_back(formatDiagnostic(sourceName, where, note));
  } catch (const std::exception& e) {
    // Out of memory and the like: nothing the file could fix, but still no
    // exception across the API.
    result.config.reset();
    result.error = std::string(sourceName) + ": internal error: " + e.what();
  } catch (...) {
    result.config.reset();
    result.error = "internal error";
  }
  return result;
}

// Reads a regular file of bounded size in one allocation (so no stale
// copies of inline keys are left by a growing buffer).
bool readConfigFile(const std::string& path, std::string& text, bool& shared, std::string& error) {
  auto fail = [&](std::string what) {
    error = path + ": " + what;
    return false;
  };
  auto sysError = [] { return std::error_code(errno, std::generic_category()).message(); };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return fail("cannot open: " + sysError());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("cannot stat: " + sysError());
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxConfigBytes) return fail("larger than " + std::to_string(kMaxConfigBytes) + " bytes");
  shared = (st.st_mode & 077) != 0;
  text.resize(static_cast<size_t>(st.st_size));
  size_t len = 0;
  while (len < text.size()) {
    ssize_t r = ::read(fd, text.data() + len, text.size() - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail("cannot read: " + sysError());
    if (r == 0) break;  // shrank under us: parse what is there
    len += static_cast<size_t>(r);
  }
  text.resize(len);
  return true;
}

}  // namespace

ConfigResult parseConfigString(std::string_view text, std::string_view sourceName) noexcept {
  try {
    ParseContext ctx;
    ctx.baseDir = directoryOf(sourceName);
    return parseText(text, sourceName, ctx);
  } catch (...) {
    ConfigResult result;
    result.error = "internal error";
    return result;
  }
}

ConfigResult parseConfigFile(const std::string& path) noexcept {
  std::string text;
  ConfigResult result;
  try {
    ParseContext ctx;
    ctx.baseDir = directoryOf(path);
    if (!readConfigFile(path, text, ctx.sourceShared, result.error)) {
      secureWipe(text.data(), text.size());
      return result;
    }
    result = parseText(text, path, ctx);
  } catch (...) {
    result.config.reset();
    result.error = "internal error";
  }
  secureWipe(text.data(), text.size());
  return result;
}

}  // namespace ipsecgw::config
