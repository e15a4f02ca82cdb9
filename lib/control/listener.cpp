#include "control/listener.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ipsecgw::control {

namespace {
std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }
}  // namespace

Expected<Caller, std::string> peerCredentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return unexpected(errnoText("SO_PEERCRED"));
  Caller c{.pid = cred.pid, .uid = cred.uid, .gid = cred.gid, .groups = {}};
  // SO_PEERGROUPS (Linux 4.13): the supplementary groups at connect() time.
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 2; ++attempt) {
    socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) == 0) {
      groups.resize(glen / sizeof(gid_t));
      c.groups = std::move(groups);
      return c;
    }
    if (errno != ERANGE) return unexpected(errnoText("SO_PEERGROUPS"));
    groups.resize(glen / sizeof(gid_t) + 1);
  }
  return unexpected(std::string("SO_PEERGROUPS: the group list keeps growing"));
}

bool AccessRule::allows(const Caller& c) const {
  if (c.uid == 0 || c.uid == geteuid()) return true;
  if (!group) return false;
  if (c.gid == *group) return true;
  for (gid_t g : c.groups)
    if (g == *group) return true;
  return false;
}

std::string AccessRule::refusal(const Caller& c) const {
  return "permission denied: uid " + std::to_string(c.uid) + " is not root" +
         (group ? " and not in group " + groupName : std::string(" (no --control-group configured)"));
}

Expected<gid_t, std::string> lookupGroup(const std::string& name) {
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos && name.size() < 10)
    return static_cast<gid_t>(std::stoul(name));
  group g{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found) != 0 || !found)
    return unexpected("unknown group \"" + name + "\"");
  return found->gr_gid;
}

std::string defaultSocketPath(const std::vector<std::string>& ealArgs) {
  constexpr std::string_view kOption = "--file-prefix";
  std::string prefix;
  for (size_t i = 0; i < ealArgs.size(); ++i) {
    const std::string& a = ealArgs[i];
    if (a == kOption && i + 1 < ealArgs.size())
      prefix = ealArgs[i + 1];
    else if (a.starts_with(std::string(kOption) + "="))
      prefix = a.substr(kOption.size() + 1);
  }
  // A prefix is a file name for DPDK too; refuse path tricks all the same.
  if (prefix.empty() || prefix.find('/') != std::string::npos || prefix == "." || prefix == "..")
    return "/run/ipsecgw/ipsecgwd.sock";
  return "/run/ipsecgw/" + prefix + ".sock";
}

Expected<int, std::string> listenUnix(const std::string& path, std::optional<gid_t> group, int backlog) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    return unexpected("control socket path must be 1.." + std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  // The directory: created 0750 root:<group> if missing. An existing one is
  // left as the administrator made it (it may be /tmp or /run).
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    struct stat st{};
    if (stat(dir.c_str(), &st) != 0) {
      if (mkdir(dir.c_str(), 0750) != 0) return unexpected(errnoText("cannot create " + dir.string()));
      if (chmod(dir.c_str(), 0750) != 0 || (group && chown(dir.c_str(), static_cast<uid_t>(-1), *group) != 0))
        return unexpected(errnoText("cannot set owner/mode of " + dir.string()));
    } else if (!S_ISDIR(st.st_mode)) {
      return unexpected(dir.string() + " is not a directory");
    }
  }
  // A stale socket of a killed daemon is replaced; a live one (it accepts a
  // connection) or any other file stays, and we refuse to start.
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return unexpected(path + " exists and is not a socket");
    const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const bool live = probe >= 0 && (connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 ||
                                     errno == EAGAIN);  // backlog full: alive, just busy
    if (probe >= 0) close(probe);
    if (live) return unexpected(path + " is in use by a running daemon (give each its own --control-socket)");
    if (unlink(path.c_str()) != 0) return unexpected(errnoText("cannot remove stale " + path));
  }

  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected(errnoText("socket"));
  // bind() creates the file with mode ~umask: make it 0600 from birth, then
  // open it up to the group once the group owns it.
  const mode_t old = umask(0177);
  const int bound = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  umask(old);
  std::string error;
  if (bound != 0)
    error = errnoText("cannot bind " + path);
  else if (group && chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0)
    error = errnoText("cannot give " + path + " to its group");
  else if (chmod(path.c_str(), 0660) != 0)
    error = errnoText("cannot chmod " + path);
  else if (listen(fd, backlog) != 0)
    error = errnoText("listen");
  if (!error.empty()) {
    close(fd);
    if (bound == 0) unlink(path.c_str());
    return unexpected(std::move(error));
  }
  return fd;
}

}  // namespace ipsecgw::control
