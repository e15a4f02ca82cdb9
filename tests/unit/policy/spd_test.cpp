// The rte_acl SPD: order, actions, port-range edges, protocols, prefix
// lengths, both families in one SPD, the empty SPD, builder validation.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "net/ip.hpp"
#include "packets.hpp"
#include "policy/spd.hpp"
#include "policy/spd_reference.hpp"

using namespace ipsecgw;
using namespace ipsecgw::policy;
using namespace ipsecgw::test;

namespace {

Policy pol(uint32_t id, uint32_t priority, const char* src, const char* dst, PolicyAction action, uint8_t proto = 0,
           uint16_t dLo = 0, uint16_t dHi = 65535, uint16_t sLo = 0, uint16_t sHi = 65535) {
  Policy p;
  p.id = id;
  p.priority = priority;
  p.sel.src = prefix(src);
  p.sel.dst = prefix(dst);
  p.sel.proto = proto;
  p.sel.srcPortLo = sLo;
  p.sel.srcPortHi = sHi;
  p.sel.dstPortLo = dLo;
  p.sel.dstPortHi = dHi;
  p.action = action;
  p.saIndex = id * 10;
  return p;
}

FlowKey key(const char* src, const char* dst, uint8_t proto = ip::kProtoUdp, uint16_t sport = 1000,
            uint16_t dport = 2000, bool opaque = false) {
  FlowKey k;
  k.src = addr(src);
  k.dst = addr(dst);
  k.proto = proto;
  k.srcPort = sport;
  k.dstPort = dport;
  k.portsOpaque = opaque;
  return k;
}

// Builds both the rte_acl SPD and the reference from the same policies.
struct Both {
  SpdPtr spd;
  SpdReference ref;

  explicit Both(const std::vector<Policy>& policies) : ref(policies) {
    SpdBuilder b;
    std::string error;
    for (const Policy& p : policies) REQUIRE(b.add(p, error));
    spd = b.build(error);
    INFO(error);
    REQUIRE(spd);
  }
  // The id of the policy both agree on; 0 for none (no test uses id 0).
  uint32_t idOf(const FlowKey& k) const {
    const Policy* a = spd->lookup(k);
    const Policy* r = ref.lookup(k);
    uint32_t ida = a ? a->id : 0, idr = r ? r->id : 0;
    CHECK(ida == idr);
    return ida;
  }
};

}  // namespace

TEST_CASE("SPD: the earlier of overlapping policies wins", "[spd]") {
  SECTION("by priority") {
    Both t({pol(1, 20, "10.0.0.0/8", "0.0.0.0/0", PolicyAction::Protect),
            pol(2, 10, "10.1.0.0/16", "0.0.0.0/0", PolicyAction::Bypass),
            pol(3, 30, "10.1.2.0/24", "0.0.0.0/0", PolicyAction::Discard)});
    CHECK(t.idOf(key("10.1.2.3", "192.0.2.1")) == 2);  // 2 (prio 10) before 1 (20) and 3 (30)
    CHECK(t.idOf(key("10.2.0.1", "192.0.2.1")) == 1);
    CHECK(t.idOf(key("11.0.0.1", "192.0.2.1")) == 0);
    std::span<const Policy> order = t.spd->policies();
    REQUIRE(order.size() == 3);
    CHECK(order[0].id == 2);
    CHECK(order[1].id == 1);
    CHECK(order[2].id == 3);
  }
  SECTION("equal priorities keep the order of add()") {
    Both t({pol(7, 5, "10.0.0.0/8", "0.0.0.0/0", PolicyAction::Discard),
            pol(4, 5, "10.1.0.0/16", "0.0.0.0/0", PolicyAction::Bypass),
            pol(9, 1, "10.1.1.0/24", "0.0.0.0/0", PolicyAction::Protect)});
    CHECK(t.idOf(key("10.1.2.3", "192.0.2.1")) == 7);
    CHECK(t.idOf(key("10.1.1.3", "192.0.2.1")) == 9);
  }
  SECTION("a broad early policy shadows a narrow late one") {
    Both t({pol(1, 0, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Discard),
            pol(2, 1, "10.0.0.1/32", "10.0.0.2/32", PolicyAction::Bypass, ip::kProtoUdp, 2000, 2000)});
    CHECK(t.idOf(key("10.0.0.1", "10.0.0.2")) == 1);
  }
}

TEST_CASE("SPD: actions and SA index come back with the policy", "[spd]") {
  Both t({pol(1, 0, "10.0.0.0/24", "10.9.0.0/24", PolicyAction::Protect),
          pol(2, 1, "10.0.1.0/24", "10.9.0.0/24", PolicyAction::Bypass),
          pol(3, 2, "10.0.2.0/24", "10.9.0.0/24", PolicyAction::Discard)});
  const Policy* p = t.spd->lookup(key("10.0.0.5", "10.9.0.5"));
  REQUIRE(p);
  CHECK(p->action == PolicyAction::Protect);
  CHECK(p->saIndex == 10);
  p = t.spd->lookup(key("10.0.1.5", "10.9.0.5"));
  REQUIRE(p);
  CHECK(p->action == PolicyAction::Bypass);
  p = t.spd->lookup(key("10.0.2.5", "10.9.0.5"));
  REQUIRE(p);
  CHECK(p->action == PolicyAction::Discard);
  CHECK(t.spd->lookup(key("10.0.3.5", "10.9.0.5")) == nullptr);
}

TEST_CASE("SPD: port ranges at their edges", "[spd]") {
  Both t({pol(1, 0, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, ip::kProtoTcp, 1000, 2000, 30000, 30010),
          pol(2, 1, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Protect, ip::kProtoUdp, 0, 10),
          pol(3, 2, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Protect, ip::kProtoUdp, 65000, 65535, 5, 5),
          pol(4, 3, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Discard)});
  auto tcp = [&](uint16_t s, uint16_t d) { return t.idOf(key("1.2.3.4", "5.6.7.8", ip::kProtoTcp, s, d)); };
  auto udp = [&](uint16_t s, uint16_t d) { return t.idOf(key("1.2.3.4", "5.6.7.8", ip::kProtoUdp, s, d)); };
  // dst 1000..2000: lo-1, lo, hi, hi+1 (source inside)
  CHECK(tcp(30005, 999) == 4);
  CHECK(tcp(30005, 1000) == 1);
  CHECK(tcp(30005, 2000) == 1);
  CHECK(tcp(30005, 2001) == 4);
  // src 30000..30010 (destination inside)
  CHECK(tcp(29999, 1500) == 4);
  CHECK(tcp(30000, 1500) == 1);
  CHECK(tcp(30010, 1500) == 1);
  CHECK(tcp(30011, 1500) == 4);
  // ranges touching 0 and 65535
  CHECK(udp(7, 0) == 2);
  CHECK(udp(7, 10) == 2);
  CHECK(udp(7, 11) == 4);
  CHECK(udp(5, 64999) == 4);
  CHECK(udp(5, 65000) == 3);
  CHECK(udp(5, 65535) == 3);
  CHECK(udp(4, 65535) == 4);
  CHECK(udp(6, 65535) == 4);
  // OPAQUE ports (non-first fragment) skip every port-specific policy.
  CHECK(t.idOf(key("1.2.3.4", "5.6.7.8", ip::kProtoTcp, 0, 0, true)) == 4);
  CHECK(t.idOf(key("1.2.3.4", "5.6.7.8", ip::kProtoUdp, 0, 0, true)) == 4);
}

TEST_CASE("SPD: protocol ANY against a specific protocol", "[spd]") {
  Both t({pol(1, 0, "10.0.0.0/8", "10.0.0.0/8", PolicyAction::Bypass, ip::kProtoUdp),
          pol(2, 1, "10.0.0.0/8", "10.0.0.0/8", PolicyAction::Protect, ip::kProtoIcmp, 0, 0, 8, 8),
          pol(3, 2, "10.0.0.0/8", "10.0.0.0/8", PolicyAction::Protect, 0),
          pol(4, 3, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Discard, ip::kProtoEsp)});
  CHECK(t.idOf(key("10.1.1.1", "10.2.2.2", ip::kProtoUdp)) == 1);
  CHECK(t.idOf(key("10.1.1.1", "10.2.2.2", ip::kProtoTcp)) == 3);
  CHECK(t.idOf(key("10.1.1.1", "10.2.2.2", ip::kProtoIcmp, 8, 0)) == 2);  // echo request
  CHECK(t.idOf(key("10.1.1.1", "10.2.2.2", ip::kProtoIcmp, 0, 0)) == 3);  // echo reply
  CHECK(t.idOf(key("10.1.1.1", "10.2.2.2", ip::kProtoEsp, 0, 0, true)) == 3);
  CHECK(t.idOf(key("11.1.1.1", "10.2.2.2", ip::kProtoEsp, 0, 0, true)) == 4);
  CHECK(t.idOf(key("11.1.1.1", "10.2.2.2", 0, 0, 0, true)) == 0);  // protocol 0 (HOPOPT) is a value, not ANY
  CHECK(t.idOf(key("10.1.1.1", "10.2.2.2", 255, 0, 0, true)) == 3);
}

TEST_CASE("SPD: /0, /32, /128 and odd prefix lengths", "[spd]") {
  Both t({pol(1, 0, "192.0.2.1/32", "198.51.100.1/32", PolicyAction::Bypass),
          pol(2, 1, "2001:db8::1/128", "2001:db8::2/128", PolicyAction::Bypass),
          pol(3, 2, "128.0.0.0/1", "0.0.0.0/0", PolicyAction::Protect),
          pol(4, 3, "10.0.0.2/31", "0.0.0.0/0", PolicyAction::Protect),
          pol(5, 4, "2001:db8::/65", "::/0", PolicyAction::Protect),
          pol(6, 5, "2001:db8::ffff:0:0:0/127", "::/0", PolicyAction::Protect),
          pol(7, 6, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Discard),
          pol(8, 7, "::/0", "::/0", PolicyAction::Discard)});
  CHECK(t.idOf(key("192.0.2.1", "198.51.100.1")) == 1);
  CHECK(t.idOf(key("192.0.2.0", "198.51.100.1")) == 3);  // /32 neighbours fall to the /1
  CHECK(t.idOf(key("192.0.2.1", "198.51.100.2")) == 3);
  CHECK(t.idOf(key("2001:db8::1", "2001:db8::2")) == 2);
  CHECK(t.idOf(key("2001:db8::1", "2001:db8::3")) == 5);  // inside the /65
  CHECK(t.idOf(key("2001:db8::8000:0:0:1", "2001:db8::2")) == 8);  // bit 65 set: outside the /65
  CHECK(t.idOf(key("2001:db8::7fff:ffff:ffff:ffff", "::9")) == 5);
  CHECK(t.idOf(key("2001:db8::ffff:0:0:1", "::9")) == 6);  // /127 pair
  CHECK(t.idOf(key("2001:db8::ffff:0:0:2", "::9")) == 8);
  CHECK(t.idOf(key("127.255.255.255", "1.1.1.1")) == 7);
  CHECK(t.idOf(key("128.0.0.0", "1.1.1.1")) == 3);
  CHECK(t.idOf(key("255.255.255.255", "0.0.0.0")) == 3);
  CHECK(t.idOf(key("10.0.0.1", "1.1.1.1")) == 7);
  CHECK(t.idOf(key("10.0.0.2", "1.1.1.1")) == 4);
  CHECK(t.idOf(key("10.0.0.3", "1.1.1.1")) == 4);
  CHECK(t.idOf(key("10.0.0.4", "1.1.1.1")) == 7);
  CHECK(t.idOf(key("0.0.0.0", "0.0.0.0")) == 7);
  CHECK(t.idOf(key("::", "::")) == 8);
  CHECK(t.idOf(key("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1")) == 8);
}

TEST_CASE("SPD: IPv4 and IPv6 in one SPD stay apart", "[spd]") {
  Both t({pol(1, 0, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass),
          pol(2, 1, "::/0", "::/0", PolicyAction::Protect, ip::kProtoTcp)});
  CHECK(t.idOf(key("10.0.0.1", "10.0.0.2")) == 1);
  CHECK(t.idOf(key("::ffff:10.0.0.1", "::ffff:10.0.0.2", ip::kProtoTcp)) == 2);  // v4-mapped is still IPv6
  CHECK(t.idOf(key("2001:db8::1", "2001:db8::2", ip::kProtoUdp)) == 0);
  SECTION("only one family present") {
    Both v4only({pol(1, 0, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass)});
    CHECK(v4only.idOf(key("::1", "::2")) == 0);
    Both v6only({pol(1, 0, "::/0", "::/0", PolicyAction::Bypass)});
    CHECK(v6only.idOf(key("1.1.1.1", "2.2.2.2")) == 0);
  }
}

TEST_CASE("SPD: host bits in a prefix are ignored", "[spd]") {
  Policy p = pol(1, 0, "10.1.2.0/24", "0.0.0.0/0", PolicyAction::Bypass);
  p.sel.src.address = addr("10.1.2.77");  // not canonical: host bits set
  Both t({p});
  CHECK(t.idOf(key("10.1.2.1", "1.1.1.1")) == 1);
  CHECK(t.spd->policies()[0].sel.src.address == addr("10.1.2.0"));
}

TEST_CASE("SPD: empty", "[spd]") {
  SpdBuilder b;
  std::string error;
  SpdPtr spd = b.build(error);
  REQUIRE(spd);
  CHECK(spd->policies().empty());
  CHECK(spd->lookup(key("10.0.0.1", "10.0.0.2")) == nullptr);
  CHECK(spd->lookup(key("::1", "::2")) == nullptr);
  FlowKey k1 = key("10.0.0.1", "10.0.0.2"), k2 = key("::1", "::2");
  const FlowKey* keys[] = {&k1, &k2};
  const Policy* out[] = {reinterpret_cast<const Policy*>(&k1), reinterpret_cast<const Policy*>(&k2)};
  spd->lookupBurst(keys, out);
  CHECK(out[0] == nullptr);
  CHECK(out[1] == nullptr);
  spd->lookupBurst({}, {});
}

TEST_CASE("SPD: burst lookup across chunks and families equals single lookups", "[spd]") {
  Both t({pol(1, 0, "10.0.0.0/9", "0.0.0.0/0", PolicyAction::Bypass),
          pol(2, 1, "2001:db8::/33", "::/0", PolicyAction::Protect),
          pol(3, 2, "10.0.0.0/8", "0.0.0.0/0", PolicyAction::Discard)});
  std::vector<FlowKey> keys;
  for (int i = 0; i < 300; ++i) {
    std::string v4 = "10." + std::to_string(i % 256) + ".0.1";
    std::string v6 = "2001:db8:" + std::to_string(i % 2 ? 8000 : 1) + "::1";
    keys.push_back(i % 3 == 0 ? key(v6.c_str(), "::1") : key(v4.c_str(), "1.1.1.1"));
  }
  std::vector<const FlowKey*> ptrs;
  for (const FlowKey& k : keys) ptrs.push_back(&k);
  std::vector<const Policy*> out(keys.size()), ref(keys.size());
  t.spd->lookupBurst(ptrs, out);
  t.ref.lookupBurst(ptrs, ref);
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO("key " << i);
    CHECK(out[i] == t.spd->lookup(keys[i]));
    CHECK((out[i] ? out[i]->id : 0) == (ref[i] ? ref[i]->id : 0));
  }
}

TEST_CASE("SPD: concurrent readers see the same answers", "[spd]") {
  Both t({pol(1, 0, "10.0.0.0/16", "0.0.0.0/0", PolicyAction::Bypass, ip::kProtoUdp, 100, 200),
          pol(2, 1, "10.0.0.0/8", "0.0.0.0/0", PolicyAction::Protect),
          pol(3, 2, "::/0", "::/0", PolicyAction::Discard)});
  std::vector<FlowKey> keys;
  for (int i = 0; i < 512; ++i) {
    keys.push_back(i % 5 == 0 ? key("2001:db8::1", "::2") : key(i % 2 ? "10.0.9.9" : "10.9.9.9", "1.1.1.1",
                                                                  ip::kProtoUdp, 7, static_cast<uint16_t>(i)));
  }
  std::vector<const Policy*> expected;
  for (const FlowKey& k : keys) expected.push_back(t.spd->lookup(k));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      std::vector<const FlowKey*> ptrs;
      for (const FlowKey& k : keys) ptrs.push_back(&k);
      std::vector<const Policy*> out(keys.size());
      for (int round = 0; round < 200; ++round) {
        t.spd->lookupBurst(ptrs, out);
        for (size_t i = 0; i < out.size(); ++i) mismatches += out[i] != expected[i];
      }
    });
  }
  for (auto& th : readers) th.join();
  CHECK(mismatches == 0);
}

TEST_CASE("SPD builder refuses bad policies", "[spd]") {
  SpdBuilder b;
  std::string error;
  REQUIRE(b.add(pol(1, 0, "10.0.0.0/8", "0.0.0.0/0", PolicyAction::Bypass), error));
  CHECK_FALSE(b.add(pol(1, 0, "10.0.0.0/8", "0.0.0.0/0", PolicyAction::Bypass), error));  // duplicate id
  CHECK(error.find("duplicate") != std::string::npos);
  CHECK_FALSE(b.add(pol(2, 0, "10.0.0.0/8", "::/0", PolicyAction::Bypass), error));  // mixed families
  CHECK_FALSE(b.add(pol(3, 0, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, ip::kProtoTcp, 10, 9), error));
  CHECK_FALSE(b.add(pol(4, 0, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, ip::kProtoTcp, 0, 65535, 2, 1), error));
  CHECK_FALSE(b.add(pol(5, 0, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, 0, 80, 80), error));  // ANY + port
  CHECK_FALSE(b.add(pol(6, 0, "0.0.0.0/0", "0.0.0.0/0", PolicyAction::Bypass, ip::kProtoEsp, 80, 80), error));
  Policy longPrefix = pol(7, 0, "10.0.0.0/8", "0.0.0.0/0", PolicyAction::Bypass);
  longPrefix.sel.src.length = 33;
  CHECK_FALSE(b.add(longPrefix, error));
  CHECK(b.size() == 1);
  // The builder keeps its policies and can build again.
  REQUIRE(b.add(pol(8, 0, "::/0", "::/0", PolicyAction::Discard), error));
  SpdPtr a = b.build(error), c = b.build(error);
  REQUIRE(a);
  REQUIRE(c);
  CHECK(a->policies().size() == 2);
  CHECK(c->lookup(key("::1", "::2"))->id == 8);
}
