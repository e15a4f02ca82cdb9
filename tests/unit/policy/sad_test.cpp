// The inbound SAD index on rte_hash.
#include <catch2/catch.hpp>

#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "packets.hpp"
#include "policy/sad.hpp"

using namespace ipsecgw;
using namespace ipsecgw::policy;
using namespace ipsecgw::test;

namespace {

SadPtr makeSad(uint32_t capacity = 1024, rte_rcu_qsbr* rcu = nullptr) {
  std::string error;
  SadPtr sad = Sad::create({capacity, rcu}, error);
  INFO(error);
  REQUIRE(sad);
  return sad;
}

}  // namespace

TEST_CASE("SAD: add, lookup, remove", "[sad]") {
  SadPtr sad = makeSad();
  std::string error;
  SadKey k = SadKey::make(0x1000, addr("192.0.2.1"));
  CHECK(sad->lookup(k) == Sad::kNotFound);
  REQUIRE(sad->add(k, 0, error));  // index 0 is a valid SA index
  CHECK(sad->lookup(k) == 0);
  CHECK(sad->size() == 1);
  REQUIRE(sad->add(k, 42, error));  // replaces
  CHECK(sad->lookup(k) == 42);
  CHECK(sad->size() == 1);
  CHECK(sad->remove(k));
  CHECK(sad->lookup(k) == Sad::kNotFound);
  CHECK_FALSE(sad->remove(k));
  CHECK(sad->size() == 0);
  CHECK_FALSE(sad->add(k, Sad::kNotFound, error));
}

TEST_CASE("SAD: the same SPI towards different destinations", "[sad]") {
  SadPtr sad = makeSad();
  std::string error;
  SadKey a = SadKey::make(0xdeadbeef, addr("192.0.2.1"));
  SadKey b = SadKey::make(0xdeadbeef, addr("192.0.2.2"));
  SadKey c = SadKey::make(0xdeadbeef, addr("2001:db8::1"));
  // Same 16 bytes, other family: 192.0.2.1 as the first four bytes of an
  // IPv6 address.
  SadKey d = SadKey::make(0xdeadbeef, addr("c000:201::"));
  REQUIRE(sad->add(a, 1, error));
  REQUIRE(sad->add(b, 2, error));
  REQUIRE(sad->add(c, 3, error));
  REQUIRE(sad->add(d, 4, error));
  CHECK(sad->lookup(a) == 1);
  CHECK(sad->lookup(b) == 2);
  CHECK(sad->lookup(c) == 3);
  CHECK(sad->lookup(d) == 4);
  CHECK(sad->lookup(SadKey::make(0xdeadbeef, addr("192.0.2.3"))) == Sad::kNotFound);
  CHECK(sad->lookup(SadKey::make(0xdeadbeee, addr("192.0.2.1"))) == Sad::kNotFound);  // unknown SPI
  REQUIRE(sad->remove(b));
  CHECK(sad->lookup(a) == 1);
  CHECK(sad->lookup(b) == Sad::kNotFound);
}

TEST_CASE("SAD: burst lookup", "[sad]") {
  SadPtr sad = makeSad();
  std::string error;
  std::vector<SadKey> keys;
  for (uint32_t i = 0; i < 150; ++i) {
    std::string dst = i % 2 ? "2001:db8::" + std::to_string(i % 7) : "10.0.0." + std::to_string(i % 7);
    keys.push_back(SadKey::make(0x100 + i, addr(dst.c_str())));
    if (i % 3 != 0) REQUIRE(sad->add(keys.back(), i * 2, error));
  }
  std::vector<uint32_t> out(keys.size(), 12345);
  uint32_t found = sad->lookupBurst(keys, out);
  CHECK(found == 100);
  for (uint32_t i = 0; i < keys.size(); ++i) {
    INFO("key " << i);
    CHECK(out[i] == (i % 3 != 0 ? i * 2 : Sad::kNotFound));
    CHECK(out[i] == sad->lookup(keys[i]));
  }
  CHECK(sad->lookupBurst({}, {}) == 0);
  // Exactly one rte_hash bulk (64) and one more.
  std::vector<uint32_t> out64(65);
  CHECK(sad->lookupBurst(std::span<const SadKey>(keys).first(64), out64) ==
        static_cast<uint32_t>(std::count_if(out.begin(), out.begin() + 64, [](uint32_t v) { return v != Sad::kNotFound; })));
  CHECK(sad->lookupBurst(std::span<const SadKey>(keys).first(65), out64) ==
        static_cast<uint32_t>(std::count_if(out.begin(), out.begin() + 65, [](uint32_t v) { return v != Sad::kNotFound; })));
}

TEST_CASE("SAD: capacity is honoured and freed slots are reused", "[sad]") {
  SadPtr sad = makeSad(64);
  std::string error;
  for (uint32_t i = 0; i < 64; ++i) REQUIRE(sad->add(SadKey::make(i + 1, addr("10.0.0.1")), i, error));
  CHECK_FALSE(sad->add(SadKey::make(1000, addr("10.0.0.1")), 1000, error));
  CHECK_FALSE(error.empty());
  for (int round = 0; round < 3; ++round) {
    REQUIRE(sad->remove(SadKey::make(5, addr("10.0.0.1"))));
    REQUIRE(sad->add(SadKey::make(5, addr("10.0.0.1")), 99, error));
  }
  CHECK(sad->lookup(SadKey::make(5, addr("10.0.0.1"))) == 99);
  CHECK(sad->size() == 64);
}

TEST_CASE("SAD: with RCU, removed slots come back after a grace period", "[sad]") {
  size_t sz = rte_rcu_qsbr_get_memsize(1);
  std::unique_ptr<uint8_t, void (*)(uint8_t*)> mem(static_cast<uint8_t*>(std::aligned_alloc(RTE_CACHE_LINE_SIZE, sz)),
                                                   [](uint8_t* p) { std::free(p); });
  auto* qs = reinterpret_cast<rte_rcu_qsbr*>(mem.get());
  REQUIRE(rte_rcu_qsbr_init(qs, 1) == 0);
  // One reader (thread id 0), online: nothing it may hold is reclaimed until
  // it reports a quiescent state.
  REQUIRE(rte_rcu_qsbr_thread_register(qs, 0) == 0);
  rte_rcu_qsbr_thread_online(qs, 0);
  {
    SadPtr sad = makeSad(16, qs);
    std::string error;
    for (uint32_t i = 0; i < 16; ++i) REQUIRE(sad->add(SadKey::make(i + 1, addr("10.0.0.1")), i, error));
    REQUIRE(sad->remove(SadKey::make(3, addr("10.0.0.1"))));
    CHECK(sad->lookup(SadKey::make(3, addr("10.0.0.1"))) == Sad::kNotFound);
    // The reader may still hold the removed slot: a new key must not take it.
    CHECK_FALSE(sad->add(SadKey::make(100, addr("10.0.0.1")), 100, error));
    rte_rcu_qsbr_quiescent(qs, 0);
    REQUIRE(sad->add(SadKey::make(100, addr("10.0.0.1")), 100, error));
    CHECK(sad->lookup(SadKey::make(100, addr("10.0.0.1"))) == 100);
  }
  rte_rcu_qsbr_thread_offline(qs, 0);
  rte_rcu_qsbr_thread_unregister(qs, 0);
}

TEST_CASE("SAD: readers find stable keys while the writer adds", "[sad]") {
  SadPtr sad = makeSad(8192);
  std::string error;
  std::vector<SadKey> stable;
  for (uint32_t i = 0; i < 256; ++i) {
    stable.push_back(SadKey::make(0x5000 + i, addr("198.51.100.1")));
    REQUIRE(sad->add(stable.back(), i, error));
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> misses{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      std::vector<uint32_t> out(stable.size());
      while (!stop.load(std::memory_order_relaxed)) {
        sad->lookupBurst(stable, out);
        for (uint32_t i = 0; i < out.size(); ++i) misses += out[i] != i;
      }
    });
  }
  for (uint32_t i = 0; i < 6000; ++i) {
    REQUIRE(sad->add(SadKey::make(0x10000 + i, addr("198.51.100.1")), i, error));
  }
  stop = true;
  for (auto& th : readers) th.join();
  CHECK(misses == 0);
}
