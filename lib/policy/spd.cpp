#include "policy/spd.hpp"

#include <rte_acl.h>
#include <rte_errno.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "util/byte_order.hpp"

namespace ipsecgw::policy {

namespace {

// ---- ACL layout -------------------------------------------------------------
//
// rte_acl classifies a buffer we fill per key (network byte order, as
// rte_acl_classify expects). Its first field must be one byte; every later
// input group is four consecutive bytes. IPv6 addresses are four 32-bit
// fields each, as in DPDK's l3fwd-acl and ipsec-secgw.
//
// The trie takes one step per input byte, so the input is kept short: the
// two ports are 16-bit RANGE fields sharing one input group (as in l3fwd-acl).
// OPAQUE ports (RFC 4301 4.4.1.1) match only a selector whose port ranges are
// both ANY, which no port value can express; so each family has two
// contexts: "ports" (every policy, for keys with ports) and "opaque" (only
// the policies with ANY ports, and no port fields, for OPAQUE keys). Together
// they equal TrafficSelector::matches, and a key costs 13 steps (IPv4 with
// ports) or 9 (OPAQUE) instead of 17 with 32-bit port fields and a
// beyond-any-port value for OPAQUE.
struct AclInputV4 {
  uint8_t proto;
  uint8_t pad[3];
  uint8_t src[4];
  uint8_t dst[4];
  uint8_t srcPort[2];
  uint8_t dstPort[2];
};
struct AclInputV6 {
  uint8_t proto;
  uint8_t pad[3];
  uint8_t src[16];
  uint8_t dst[16];
  uint8_t srcPort[2];
  uint8_t dstPort[2];
};

constexpr uint32_t kV4Fields = 5;   // proto, src, dst, sport, dport
constexpr uint32_t kV6Fields = 11;  // proto, src[4], dst[4], sport, dport
RTE_ACL_RULE_DEF(AclRuleV4, kV4Fields);
RTE_ACL_RULE_DEF(AclRuleV6, kV6Fields);

rte_acl_config makeConfig(bool v6, bool withPorts) {
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  cfg.max_size = 0;  // no limit: the control core builds rarely
  uint8_t field = 0;
  auto def = [&](uint8_t type, uint8_t size, uint32_t offset) {
    rte_acl_field_def& d = cfg.defs[field];
    d.type = type;
    d.size = size;
    d.field_index = field;
    // Input group 0 is the leading byte; afterwards one group per 4 bytes
    // (both ports fall into one).
    d.input_index = static_cast<uint8_t>(offset / 4);
    d.offset = offset;
    ++field;
  };
  def(RTE_ACL_FIELD_TYPE_BITMASK, 1, 0);
  uint32_t addrWords = v6 ? 4 : 1;
  uint32_t src = v6 ? offsetof(AclInputV6, src) : offsetof(AclInputV4, src);
  uint32_t dst = v6 ? offsetof(AclInputV6, dst) : offsetof(AclInputV4, dst);
  for (uint32_t w = 0; w < addrWords; ++w) def(RTE_ACL_FIELD_TYPE_MASK, 4, src + 4 * w);
  for (uint32_t w = 0; w < addrWords; ++w) def(RTE_ACL_FIELD_TYPE_MASK, 4, dst + 4 * w);
  if (withPorts) {
    def(RTE_ACL_FIELD_TYPE_RANGE, 2, v6 ? offsetof(AclInputV6, srcPort) : offsetof(AclInputV4, srcPort));
    def(RTE_ACL_FIELD_TYPE_RANGE, 2, v6 ? offsetof(AclInputV6, dstPort) : offsetof(AclInputV4, dstPort));
  }
  cfg.num_fields = field;
  return cfg;
}

// Fills `fields` (rte_acl wants host byte order in rules) from a selector;
// the port fields are ignored by an "opaque" context, which defines none.
void fillRuleFields(const TrafficSelector& sel, rte_acl_field* fields) {
  uint32_t words = sel.src.address.isV4() ? 1 : 4;
  fields[0].value.u8 = sel.proto;
  fields[0].mask_range.u8 = sel.proto == 0 ? 0 : 0xff;
  auto prefix = [&](const IpPrefix& p, rte_acl_field* f) {
    for (uint32_t w = 0; w < words; ++w) {
      int bits = std::clamp(static_cast<int>(p.length) - static_cast<int>(32 * w), 0, 32);
      f[w].value.u32 = loadBe32(p.address.bytes.data() + 4 * w);
      f[w].mask_range.u32 = static_cast<uint32_t>(bits);
    }
  };
  prefix(sel.src, fields + 1);
  prefix(sel.dst, fields + 1 + words);
  rte_acl_field* ports = fields + 1 + 2 * words;
  ports[0].value.u16 = sel.srcPortLo;
  ports[0].mask_range.u16 = sel.srcPortHi;
  ports[1].value.u16 = sel.dstPortLo;
  ports[1].mask_range.u16 = sel.dstPortHi;
}

template <typename Input>
void fillInput(const FlowKey& key, Input& in) {
  constexpr uint32_t addrLen = sizeof(in.src);
  in.proto = key.proto;
  std::memset(in.pad, 0, sizeof in.pad);
  std::memcpy(in.src, key.src.bytes.data(), addrLen);
  std::memcpy(in.dst, key.dst.bytes.data(), addrLen);
  // Unread for OPAQUE keys (their context has no port fields).
  storeBe16(in.srcPort, key.srcPort);
  storeBe16(in.dstPort, key.dstPort);
}

void clearHostBits(IpPrefix& p) {
  for (unsigned bit = p.length; bit < 128; ++bit) {
    p.address.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
}

std::atomic<uint32_t> aclNameCounter{0};

// The classify routine, chosen once per context rather than left implicit:
// the widest vector routine this CPU and the EAL's SIMD limit
// (--force-max-simd-bitwidth; AVX-512 needs 512) allow. rte_acl_set_ctx_classify
// refuses what cannot run here, so the list falls through to scalar, which
// runs everywhere. Whatever the choice, rte_acl runs bursts shorter than a
// routine's width through the narrower ones (e.g. AVX2: 16 keys at a time,
// then SSE for 4..15, scalar below 4), which is why the worker classifies a
// whole burst in one call.
void chooseClassifyAlgorithm(rte_acl_ctx* ctx) {
  static constexpr enum rte_acl_classify_alg kByPreference[] = {
      RTE_ACL_CLASSIFY_AVX512X32, RTE_ACL_CLASSIFY_AVX512X16, RTE_ACL_CLASSIFY_AVX2,
      RTE_ACL_CLASSIFY_SSE,       RTE_ACL_CLASSIFY_NEON,      RTE_ACL_CLASSIFY_ALTIVEC,
      RTE_ACL_CLASSIFY_SCALAR,
  };
  for (enum rte_acl_classify_alg alg : kByPreference) {
    if (rte_acl_set_ctx_classify(ctx, alg) == 0) return;
  }
  // Not even scalar: keep what rte_acl_create chose (its own best guess).
}

// Creates, fills and builds one ACL context for the policies of one family
// in `ordered` (SPD order): the "ports" context (withPorts) or the "opaque"
// one, which holds only the policies whose port ranges are both ANY. `out`
// stays nullptr when no policy belongs in it.
template <typename Rule>
bool buildContext(const std::vector<Policy>& ordered, IpFamily family, bool withPorts, rte_acl_ctx*& out,
                  std::string& error) {
  bool v6 = family == IpFamily::V6;
  std::vector<Rule> rules;
  for (size_t rank = 0; rank < ordered.size(); ++rank) {
    const Policy& p = ordered[rank];
    if (p.sel.src.address.family != family) continue;
    if (!withPorts && !(p.sel.srcPortsAny() && p.sel.dstPortsAny())) continue;  // never matches OPAQUE
    Rule r{};
    r.data.category_mask = 1;
    // rte_acl returns the highest-priority match; the SPD wants the first
    // match in order (RFC 4301 4.4.1). Rank 0 gets the highest ACL priority
    // and every rank its own value, so no two rules tie and the result never
    // depends on how rte_acl breaks ties.
    r.data.priority = static_cast<int32_t>(RTE_ACL_MAX_PRIORITY - rank);
    r.data.userdata = static_cast<uint32_t>(rank + 1);  // 0 means "no match"
    fillRuleFields(p.sel, r.field);
    rules.push_back(r);
  }
  if (rules.empty()) return true;

  char name[RTE_ACL_NAMESIZE];
  std::snprintf(name, sizeof name, "ipsecgw-spd%c%s-%u", v6 ? '6' : '4', withPorts ? "" : "o",
                aclNameCounter.fetch_add(1, std::memory_order_relaxed));
  rte_acl_param param{};
  param.name = name;
  param.socket_id = SOCKET_ID_ANY;
  param.rule_size = sizeof(Rule);
  param.max_rule_num = static_cast<uint32_t>(rules.size());
  rte_acl_ctx* ctx = rte_acl_create(&param);
  if (ctx == nullptr) {
    error = std::string("rte_acl_create: ") + rte_strerror(rte_errno);
    return false;
  }
  int rc = rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                             static_cast<uint32_t>(rules.size()));
  if (rc == 0) {
    rte_acl_config cfg = makeConfig(v6, withPorts);
    rc = rte_acl_build(ctx, &cfg);
  }
  if (rc != 0) {
    error = std::string(v6 ? "IPv6" : "IPv4") + " SPD classifier build failed: " + rte_strerror(-rc);
    rte_acl_free(ctx);
    return false;
  }
  chooseClassifyAlgorithm(ctx);
  out = ctx;
  return true;
}

// Enough for a burst on the stack, without allocation.
constexpr size_t kChunk = 64;

}  // namespace

// ---- SpdBuilder -----------------------------------------------------------------

bool SpdBuilder::add(const Policy& policy, std::string& error) {
  const TrafficSelector& s = policy.sel;
  if (s.src.address.family != s.dst.address.family) {
    error = "policy " + std::to_string(policy.id) + ": source and destination prefixes of different families";
    return false;
  }
  uint32_t maxLen = s.src.address.size() * 8;
  if (s.src.length > maxLen || s.dst.length > maxLen) {
    error = "policy " + std::to_string(policy.id) + ": prefix length beyond the address";
    return false;
  }
  if (s.srcPortLo > s.srcPortHi || s.dstPortLo > s.dstPortHi) {
    error = "policy " + std::to_string(policy.id) + ": port range with lo > hi";
    return false;
  }
  if ((!s.srcPortsAny() || !s.dstPortsAny()) && !protocolHasPorts(s.proto)) {
    // RFC 7296 3.13.1: protocol 0 and port-less protocols carry 0..65535.
    // Such a selector would match nothing or something surprising (ICMP
    // type/code under "any protocol"), so refuse it.
    error = "policy " + std::to_string(policy.id) + ": port range needs a protocol with ports (TCP, UDP, SCTP, ICMP...)";
    return false;
  }
  if (policy.action != PolicyAction::Protect && policy.action != PolicyAction::Bypass &&
      policy.action != PolicyAction::Discard) {
    error = "policy " + std::to_string(policy.id) + ": unknown action";
    return false;
  }
  for (const Policy& p : policies_) {
    if (p.id == policy.id) {
      error = "policy " + std::to_string(policy.id) + ": duplicate id";
      return false;
    }
  }
  if (policies_.size() + 1 >= RTE_ACL_MAX_PRIORITY) {
    error = "too many policies";
    return false;
  }
  policies_.push_back(policy);
  return true;
}

SpdPtr SpdBuilder::build(std::string& error) const {
  SpdPtr spd(new Spd());
  spd->policies_ = policies_;
  // Stable: equal priorities keep the order of add().
  std::stable_sort(spd->policies_.begin(), spd->policies_.end(),
                   [](const Policy& a, const Policy& b) { return a.priority < b.priority; });
  for (Policy& p : spd->policies_) {
    clearHostBits(p.sel.src);
    clearHostBits(p.sel.dst);
  }
  // On failure ~Spd frees the contexts built so far.
  for (const bool withPorts : {true, false}) {
    if (!buildContext<AclRuleV4>(spd->policies_, IpFamily::V4, withPorts, spd->ctx_[0][withPorts ? 0 : 1], error) ||
        !buildContext<AclRuleV6>(spd->policies_, IpFamily::V6, withPorts, spd->ctx_[1][withPorts ? 0 : 1], error))
      return nullptr;
  }
  return spd;
}

// ---- Spd ------------------------------------------------------------------------

Spd::~Spd() {
  for (auto& family : ctx_)
    for (rte_acl_ctx* c : family) rte_acl_free(c);
}

const Policy* Spd::lookup(const FlowKey& key) const {
  const FlowKey* keys[1] = {&key};
  const Policy* out[1] = {nullptr};
  lookupBurst(keys, out);
  return out[0];
}

void Spd::lookupBurst(std::span<const FlowKey* const> keys, std::span<const Policy*> out) const {
  assert(out.size() >= keys.size());
  // A lane per context: [family][OPAQUE]; one rte_acl_classify per lane.
  struct Lane {
    std::array<const uint8_t*, kChunk> data;
    std::array<uint16_t, kChunk> slot;  // position of the key within the chunk
    uint32_t n = 0;
  };
  for (size_t base = 0; base < keys.size(); base += kChunk) {
    size_t n = std::min(kChunk, keys.size() - base);
    std::array<AclInputV4, kChunk> in4;
    std::array<AclInputV6, kChunk> in6;
    uint32_t n4 = 0, n6 = 0;
    Lane lanes[2][2];
    for (size_t i = 0; i < n; ++i) {
      const FlowKey& k = *keys[base + i];
      out[base + i] = nullptr;
      if (k.src.family != k.dst.family) continue;  // cannot come from a parsed packet
      const bool v6 = !k.src.isV4();
      const uint32_t opaque = k.portsOpaque ? 1 : 0;
      if (ctx_[v6][opaque] == nullptr) continue;  // no policy could match
      const uint8_t* data;
      if (v6) {
        fillInput(k, in6[n6]);
        data = reinterpret_cast<const uint8_t*>(&in6[n6++]);
      } else {
        fillInput(k, in4[n4]);
        data = reinterpret_cast<const uint8_t*>(&in4[n4++]);
      }
      Lane& lane = lanes[v6][opaque];
      lane.data[lane.n] = data;
      lane.slot[lane.n++] = static_cast<uint16_t>(i);
    }
    std::array<uint32_t, kChunk> result;
    for (uint32_t f = 0; f < 2; ++f) {
      for (uint32_t o = 0; o < 2; ++o) {
        Lane& lane = lanes[f][o];
        if (lane.n == 0) continue;
        [[maybe_unused]] int rc = rte_acl_classify(ctx_[f][o], lane.data.data(), result.data(), lane.n, 1);
        assert(rc == 0);
        for (uint32_t j = 0; j < lane.n; ++j) {
          if (result[j] != 0) out[base + lane.slot[j]] = &policies_[result[j] - 1];
        }
      }
    }
  }
}

}  // namespace ipsecgw::policy
