#include "policy/sad.hpp"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstdio>
#include <cstring>

namespace ipsecgw::policy {

namespace {

std::atomic<uint32_t> hashNameCounter{0};

// rte_hash stores a void* per key; ours carries the SA index itself (a hit is
// reported by the return value or hit mask, so index 0 is a valid value).
void* toData(uint32_t saIndex) { return reinterpret_cast<void*>(static_cast<uintptr_t>(saIndex)); }
uint32_t fromData(void* data) { return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data)); }

}  // namespace

SadKey SadKey::make(uint32_t spi, const IpAddress& dst) {
  SadKey k;
  std::memset(&k, 0, sizeof k);
  k.spi = spi;
  k.family = static_cast<uint8_t>(dst.family);
  std::memcpy(k.dst.data(), dst.bytes.data(), dst.size());
  return k;
}

SadPtr Sad::create(const Config& config, std::string& error) {
  if (config.capacity == 0) {
    error = "SAD capacity must be positive";
    return nullptr;
  }
  char name[RTE_HASH_NAMESIZE];
  std::snprintf(name, sizeof name, "ipsecgw-sad-%u", hashNameCounter.fetch_add(1, std::memory_order_relaxed));
  rte_hash_parameters params{};
  params.name = name;
  // Cuckoo buckets can overflow before `entries` keys are in; the extendable
  // bucket table guarantees room for `capacity` keys however they hash.
  params.entries = config.capacity;
  params.key_len = sizeof(SadKey);
  params.hash_func = rte_hash_crc;
  params.hash_func_init_val = 0;
  params.socket_id = SOCKET_ID_ANY;
  // Workers read while the control core writes, without locks.
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  rte_hash* hash = rte_hash_create(&params);
  if (hash == nullptr) {
    error = std::string("rte_hash_create: ") + rte_strerror(rte_errno);
    return nullptr;
  }
  if (config.rcu != nullptr) {
    rte_hash_rcu_config rcu{};
    rcu.v = config.rcu;
    rcu.mode = RTE_HASH_QSBR_MODE_DQ;
    if (rte_hash_rcu_qsbr_add(hash, &rcu) != 0) {
      error = std::string("rte_hash_rcu_qsbr_add: ") + rte_strerror(rte_errno);
      rte_hash_free(hash);
      return nullptr;
    }
  }
  return SadPtr(new Sad(hash, config.rcu != nullptr));
}

Sad::~Sad() { rte_hash_free(hash_); }

bool Sad::add(const SadKey& key, uint32_t saIndex, std::string& error) {
  if (saIndex == kNotFound) {
    error = "SA index reserved for 'not found'";
    return false;
  }
  int rc = rte_hash_add_key_data(hash_, &key, toData(saIndex));
  if (rc != 0) {
    error = std::string("SAD add: ") + rte_strerror(-rc);
    return false;
  }
  return true;
}

bool Sad::remove(const SadKey& key) {
  int32_t pos = rte_hash_del_key(hash_, &key);
  if (pos < 0) return false;
  // Lock-free mode keeps the slot until told; with RCU the defer queue frees
  // it after a grace period, without RCU the contract is "no concurrent
  // readers", so it is free at once.
  if (!rcu_) rte_hash_free_key_with_position(hash_, pos);
  return true;
}

uint32_t Sad::size() const {
  int32_t n = rte_hash_count(hash_);
  return n < 0 ? 0 : static_cast<uint32_t>(n);
}

uint32_t Sad::lookup(const SadKey& key) const {
  void* data = nullptr;
  if (rte_hash_lookup_data(hash_, &key, &data) < 0) return kNotFound;
  return fromData(data);
}

uint32_t Sad::lookupBurst(std::span<const SadKey> keys, std::span<uint32_t> out) const {
  assert(out.size() >= keys.size());
  constexpr size_t kChunk = RTE_HASH_LOOKUP_BULK_MAX;
  uint32_t found = 0;
  for (size_t base = 0; base < keys.size(); base += kChunk) {
    uint32_t n = static_cast<uint32_t>(std::min(kChunk, keys.size() - base));
    std::array<const void*, kChunk> ptrs;
    std::array<void*, kChunk> data;
    for (uint32_t i = 0; i < n; ++i) ptrs[i] = &keys[base + i];
    uint64_t hits = 0;
    [[maybe_unused]] int rc = rte_hash_lookup_bulk_data(hash_, ptrs.data(), n, &hits, data.data());
    assert(rc >= 0);
    for (uint32_t i = 0; i < n; ++i) {
      bool hit = (hits >> i) & 1u;
      out[base + i] = hit ? fromData(data[i]) : kNotFound;
      found += hit;
    }
  }
  return found;
}

}  // namespace ipsecgw::policy
