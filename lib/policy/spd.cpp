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
// Ports are 32-bit RANGE fields so that OPAQUE (RFC 4301 4.4.1.1) can be a
// value no real port has: kOpaquePort. A rule with an ANY port range spans
// 0..kOpaquePort and so matches OPAQUE; a specific range does not. This keeps
// the ACL equal to TrafficSelector::matches without a separate flag field.
constexpr uint32_t kOpaquePort = 0x10000;

struct AclInputV4 {
  uint8_t proto;
  uint8_t pad[3];
  uint8_t src[4];
  uint8_t dst[4];
  uint8_t srcPort[4];
  uint8_t dstPort[4];
};
struct AclInputV6 {
  uint8_t proto;
  uint8_t pad[3];
  uint8_t src[16];
  uint8_t dst[16];
  uint8_t srcPort[4];
  uint8_t dstPort[4];
};

constexpr uint32_t kV4Fields = 5;   // proto, src, dst, sport, dport
constexpr uint32_t kV6Fields = 11;  // proto, src[4], dst[4], sport, dport
RTE_ACL_RULE_DEF(AclRuleV4, kV4Fields);
RTE_ACL_RULE_DEF(AclRuleV6, kV6Fields);

rte_acl_config makeConfig(bool v6) {
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  cfg.max_size = 0;  // no limit: the control core builds rarely
  uint8_t field = 0;
  auto def = [&](uint8_t type, uint8_t size, uint32_t offset) {
    rte_acl_field_def& d = cfg.defs[field];
    d.type = type;
    d.size = size;
    d.field_index = field;
    // Input group 0 is the leading byte; afterwards one group per 4 bytes.
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
  def(RTE_ACL_FIELD_TYPE_RANGE, 4, v6 ? offsetof(AclInputV6, srcPort) : offsetof(AclInputV4, srcPort));
  def(RTE_ACL_FIELD_TYPE_RANGE, 4, v6 ? offsetof(AclInputV6, dstPort) : offsetof(AclInputV4, dstPort));
  cfg.num_fields = field;
  return cfg;
}

// Fills `fields` (rte_acl wants host byte order in rules) from a selector.
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
  ports[0].value.u32 = sel.srcPortLo;
  ports[0].mask_range.u32 = sel.srcPortsAny() ? kOpaquePort : sel.srcPortHi;
  ports[1].value.u32 = sel.dstPortLo;
  ports[1].mask_range.u32 = sel.dstPortsAny() ? kOpaquePort : sel.dstPortHi;
}

template <typename Input>
void fillInput(const FlowKey& key, Input& in) {
  constexpr uint32_t addrLen = sizeof(in.src);
  in.proto = key.proto;
  std::memset(in.pad, 0, sizeof in.pad);
  std::memcpy(in.src, key.src.bytes.data(), addrLen);
  std::memcpy(in.dst, key.dst.bytes.data(), addrLen);
  storeBe32(in.srcPort, key.portsOpaque ? kOpaquePort : key.srcPort);
  storeBe32(in.dstPort, key.portsOpaque ? kOpaquePort : key.dstPort);
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

// Creates, fills and builds the ACL context for the policies of one family
// in `ordered` (SPD order). `out` stays nullptr when the family has none.
template <typename Rule>
bool buildContext(const std::vector<Policy>& ordered, IpFamily family, rte_acl_ctx*& out, std::string& error) {
  bool v6 = family == IpFamily::V6;
  std::vector<Rule> rules;
  for (size_t rank = 0; rank < ordered.size(); ++rank) {
    const Policy& p = ordered[rank];
    if (p.sel.src.address.family != family) continue;
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
  std::snprintf(name, sizeof name, "ipsecgw-spd%c-%u", v6 ? '6' : '4',
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
    rte_acl_config cfg = makeConfig(v6);
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
  if (!buildContext<AclRuleV4>(spd->policies_, IpFamily::V4, spd->v4_, error)) return nullptr;
  if (!buildContext<AclRuleV6>(spd->policies_, IpFamily::V6, spd->v6_, error)) return nullptr;  // ~Spd frees v4_
  return spd;
}

// ---- Spd ------------------------------------------------------------------------

Spd::~Spd() {
  rte_acl_free(v4_);
  rte_acl_free(v6_);
}

const Policy* Spd::lookup(const FlowKey& key) const {
  const FlowKey* keys[1] = {&key};
  const Policy* out[1] = {nullptr};
  lookupBurst(keys, out);
  return out[0];
}

void Spd::lookupBurst(std::span<const FlowKey* const> keys, std::span<const Policy*> out) const {
  assert(out.size() >= keys.size());
  for (size_t base = 0; base < keys.size(); base += kChunk) {
    size_t n = std::min(kChunk, keys.size() - base);
    std::array<AclInputV4, kChunk> in4;
    std::array<AclInputV6, kChunk> in6;
    std::array<const uint8_t*, kChunk> data4, data6;
    std::array<uint16_t, kChunk> slot4, slot6;  // position of the key within the chunk
    std::array<uint32_t, kChunk> result;
    uint32_t n4 = 0, n6 = 0;
    for (size_t i = 0; i < n; ++i) {
      const FlowKey& k = *keys[base + i];
      out[base + i] = nullptr;
      if (k.src.family != k.dst.family) continue;  // cannot come from a parsed packet
      if (k.src.isV4()) {
        if (v4_ == nullptr) continue;
        fillInput(k, in4[n4]);
        data4[n4] = reinterpret_cast<const uint8_t*>(&in4[n4]);
        slot4[n4++] = static_cast<uint16_t>(i);
      } else {
        if (v6_ == nullptr) continue;
        fillInput(k, in6[n6]);
        data6[n6] = reinterpret_cast<const uint8_t*>(&in6[n6]);
        slot6[n6++] = static_cast<uint16_t>(i);
      }
    }
    if (n4 != 0) {
      [[maybe_unused]] int rc = rte_acl_classify(v4_, data4.data(), result.data(), n4, 1);
      assert(rc == 0);
      for (uint32_t j = 0; j < n4; ++j) {
        if (result[j] != 0) out[base + slot4[j]] = &policies_[result[j] - 1];
      }
    }
    if (n6 != 0) {
      [[maybe_unused]] int rc = rte_acl_classify(v6_, data6.data(), result.data(), n6, 1);
      assert(rc == 0);
      for (uint32_t j = 0; j < n6; ++j) {
        if (result[j] != 0) out[base + slot6[j]] = &policies_[result[j] - 1];
      }
    }
  }
}

}  // namespace ipsecgw::policy
