// The Security Policy Database (RFC 4301 4.4.1): an ordered list of policies,
// each a selector and an action, searched for the first match.
//
// Build, then query: the control core collects policies in an SpdBuilder,
// validates them and builds an immutable Spd; workers only ever read an Spd.
// A change of policy builds a new Spd, which the control core publishes to the
// workers and frees after every worker passed a quiescent point (DESIGN.md),
// so no lookup ever sees a half-updated table.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/flow_key.hpp"
#include "policy/selector.hpp"

struct rte_acl_ctx;

namespace ipsecgw::policy {

// RFC 4301 4.4.1: PROTECT, BYPASS or DISCARD.
enum class PolicyAction : uint8_t { Protect, Bypass, Discard };

struct Policy {
  uint32_t id = 0;  // unique within one SPD; names the policy to the operator
  // RFC 4301 4.4.1 orders the SPD; here lower priority = earlier. Policies of
  // equal priority keep the order in which they were added.
  uint32_t priority = 0;
  TrafficSelector sel;
  PolicyAction action = PolicyAction::Discard;
  // PROTECT: index of the outbound SA (lib/esp) that protects this traffic.
  // Outbound SAs need no lookup table of their own: the SPD lookup that
  // decides PROTECT names the SA directly. Ignored for BYPASS and DISCARD.
  uint32_t saIndex = 0;
};

class Spd;
using SpdPtr = std::unique_ptr<Spd>;

// Control plane. Not thread-safe; lives on the control core.
class SpdBuilder {
 public:
  // Validates and appends a policy. On a bad policy returns false, sets
  // `error` and leaves the builder unchanged. Checks: both prefixes of one
  // family, prefix length within it, lo <= hi for each port range, port
  // ranges only with a protocol that has ports (RFC 7296 3.13.1: protocol 0
  // and port-less protocols carry the full range), unique id.
  bool add(const Policy& policy, std::string& error);

  size_t size() const { return policies_.size(); }
  void clear() { policies_.clear(); }

  // Builds the classifier (needs a running EAL: rte_acl allocates from DPDK
  // memory). Returns nullptr and sets `error` when DPDK refuses. The builder
  // keeps its policies, so it can build again after further adds.
  SpdPtr build(std::string& error) const;

 private:
  std::vector<Policy> policies_;  // in order of add()
};

// An immutable SPD on rte_acl: per address family one ACL context for keys
// with ports and one for OPAQUE keys.
//
// Concurrency: after build() nothing changes; any number of threads may call
// lookup()/lookupBurst() concurrently (rte_acl_classify only reads the
// context). The Spd must outlive every lookup and any Policy pointer handed
// out, which is what the RCU grace period before destruction guarantees.
class Spd {
 public:
  Spd(const Spd&) = delete;
  Spd& operator=(const Spd&) = delete;
  ~Spd();

  // The first policy, in SPD order, whose selector matches; nullptr if none
  // (the caller counts DropReason::NoPolicy). Data plane: no allocation,
  // exception or log.
  const Policy* lookup(const FlowKey& key) const;

  // out[i] = lookup(*keys[i]); out.size() must be >= keys.size(). IPv4 and
  // IPv6 keys may be mixed in one burst.
  void lookupBurst(std::span<const FlowKey* const> keys, std::span<const Policy*> out) const;

  // All policies in evaluation order, prefixes with their host bits cleared.
  std::span<const Policy> policies() const { return policies_; }

 private:
  friend class SpdBuilder;
  Spd() = default;

  std::vector<Policy> policies_;  // evaluation order; ACL userdata = index + 1
  // [0: IPv4, 1: IPv6][0: keys with ports, 1: OPAQUE keys] (spd.cpp); nullptr
  // where no policy could match such a key.
  rte_acl_ctx* ctx_[2][2] = {};
};

}  // namespace ipsecgw::policy
