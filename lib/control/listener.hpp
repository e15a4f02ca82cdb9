// The control socket on the file system and who may use it. The daemon runs
// as root; operators reach it as root or as members of one group:
//
//   <dir>/            0750 root:<group>  (only when we create it)
//   <dir>/<socket>    0660 root:<group>
//
// and every accepted connection is checked again with SO_PEERCRED /
// SO_PEERGROUPS, so a socket whose mode was loosened by hand still refuses
// strangers.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/expected.hpp"

namespace ipsecgw::control {

// The identity of the process at the other end of a connection (its
// credentials at connect() time, as the kernel recorded them).
struct Caller {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
};

// Credentials of a connected Unix stream socket, or an error sentence.
Expected<Caller, std::string> peerCredentials(int fd);

// Who may talk to the daemon: root, the daemon's own user, and members of
// `group` (primary or supplementary) when one is configured.
struct AccessRule {
  std::optional<gid_t> group;
  std::string groupName;  // for messages
  bool allows(const Caller& c) const;
  std::string refusal(const Caller& c) const;
};

// Resolves a group name (or a decimal gid).
Expected<gid_t, std::string> lookupGroup(const std::string& name);

// /run/ipsecgw/ipsecgwd.sock, or /run/ipsecgw/<prefix>.sock when the EAL
// arguments carry --file-prefix: one socket per daemon, as DPDK keeps one
// runtime directory per prefix.
std::string defaultSocketPath(const std::vector<std::string>& ealArgs);

// Creates the listening socket at `path` (non-blocking, close-on-exec) with
// the modes above; a stale socket left by a killed daemon is replaced, any
// other file at `path` is an error. Returns the fd.
Expected<int, std::string> listenUnix(const std::string& path, std::optional<gid_t> group, int backlog);

}  // namespace ipsecgw::control
