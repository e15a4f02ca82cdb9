// The inbound half of the Security Association Database (RFC 4301 4.4.2):
// maps what an arriving ESP packet names, (SPI, destination address), to the
// index of the inbound SA that lib/esp keeps. The SA objects themselves are
// lib/esp's; this is only the index.
//
// RFC 4301 4.1 lets a receiver find unicast SAs by SPI alone or by SPI and
// destination; we key on (SPI, destination, family) so that the same SPI may
// be reused towards different local addresses.
//
// Outbound SAs have no table here: an SPD policy whose action is PROTECT
// names its outbound SA by Policy::saIndex, so the SPD lookup is the
// outbound SAD lookup.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "net/ip_address.hpp"

struct rte_hash;
struct rte_rcu_qsbr;

namespace ipsecgw::policy {

// The hash key. Fixed size and fully initialised (no padding holes: rte_hash
// compares all key_len bytes), so build it only with make().
struct SadKey {
  uint32_t spi;                   // host byte order
  uint8_t family;                 // 4 or 6
  uint8_t pad[3];                 // always zero
  std::array<uint8_t, 16> dst;    // IPv4 in the first 4 bytes, rest zero

  static SadKey make(uint32_t spi, const IpAddress& dst);
};
static_assert(sizeof(SadKey) == 24);

class Sad;
using SadPtr = std::unique_ptr<Sad>;

class Sad {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  struct Config {
    uint32_t capacity = 4096;  // maximum number of inbound SAs
    // With an RCU QSBR variable whose readers are the workers, remove() is
    // safe while workers look up: the slot of a removed key is reused only
    // after every worker reported quiescent (rte_hash_rcu_qsbr_add, defer
    // queue mode). Without one, remove() frees the slot at once and must not
    // run concurrently with lookups.
    rte_rcu_qsbr* rcu = nullptr;
  };

  // Control plane; needs a running EAL. Returns nullptr and sets `error`
  // when DPDK refuses (no memory, bad capacity, RCU attach failed).
  static SadPtr create(const Config& config, std::string& error);

  Sad(const Sad&) = delete;
  Sad& operator=(const Sad&) = delete;
  ~Sad();

  // Control plane, one writer at a time (the control core). Adds or replaces
  // the mapping. Fails (false, `error` set) when the table is full or the
  // index is kNotFound.
  bool add(const SadKey& key, uint32_t saIndex, std::string& error);
  // Returns false if the key was not present.
  bool remove(const SadKey& key);
  uint32_t size() const;

  // Data plane, any number of threads concurrently with each other and with
  // one control-plane writer (lock-free reader/writer concurrency). No
  // allocation, exception or log.
  uint32_t lookup(const SadKey& key) const;
  // out[i] = lookup(keys[i]); out.size() must be >= keys.size(). Returns the
  // number of keys found.
  uint32_t lookupBurst(std::span<const SadKey> keys, std::span<uint32_t> out) const;

 private:
  Sad(rte_hash* hash, bool rcu) : hash_(hash), rcu_(rcu) {}

  rte_hash* hash_;
  bool rcu_;  // slots of removed keys are reclaimed by RCU
};

}  // namespace ipsecgw::policy
