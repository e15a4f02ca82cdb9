// An ESP security association: its configuration (cold, control plane) and the
// runtime state the burst routines touch for every packet (hot, one cache-line
// aligned block, after VPP's ipsec_sa_outb_rt_t). Everything per SA is decided
// here, once, at install time: transform layout, outer header template,
// nonce salt, crypto session.
//
// Concurrency: the control core creates an SA, publishes it to the workers
// (lib/dataplane/table_sync.hpp) and destroys it after an RCU grace period.
// An inbound SA is served by one worker (RSS keeps an SA's outer address
// pair on one queue); an outbound SA may be reached by several workers
// (inner flows spread over queues), so its sequence numbers are reserved
// with one atomic compare-and-swap per burst: never the same number twice
// on the wire. Its counters and lifetime charges are plain per-packet
// state: exact with one worker per SA, possibly a few packets short when
// workers share it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "esp/crypto_engine.hpp"
#include "esp/lifetime.hpp"
#include "esp/replay_window.hpp"
#include "esp/transform.hpp"
#include "net/ip_address.hpp"
#include "util/secret.hpp"

namespace ipsecgw::esp {

enum class Direction : uint8_t { Inbound, Outbound };
enum class Mode : uint8_t { Tunnel, Transport };
// How the outer IPv4 DF bit is set in tunnel mode (RFC 4301 8.1).
enum class DfPolicy : uint8_t { Copy, Set, Clear };

struct UdpEncap {
  uint16_t srcPort = 4500;
  uint16_t dstPort = 4500;
};

struct SaConfig {
  uint32_t spi = 0;
  Transform transform = Transform::AesGcm128;
  Mode mode = Mode::Tunnel;
  // KEYMAT as RFC 7296 2.17 draws it: cipher key || salt || integrity key,
  // lengths per transformInfo(). Moved into the SA, expanded into the crypto
  // session, then wiped: only the session and the salt remain.
  SecretBytes keymat;
  bool esn = false;
  uint32_t replayWindow = 128;  // inbound only, ReplayWindow::kMinSize..kMaxSize
  // Tunnel endpoints: outbound uses them as outer source/destination; inbound
  // SAs are found by (SPI, localAddress). Transport mode: the peers' addresses.
  IpAddress localAddress;
  IpAddress remoteAddress;
  std::optional<UdpEncap> udpEncap;  // RFC 3948
  LifetimeLimits lifetime;
  uint16_t tfcPadTo = 0;  // tunnel mode: pad inner packets up to this (RFC 4303 2.7)
  uint8_t outerTtl = 64;
  DfPolicy df = DfPolicy::Copy;
};

struct SaCounters {
  uint64_t packets = 0;  // packets protected / accepted
  uint64_t bytes = 0;    // inner bytes protected / accepted
  uint64_t drops = 0;    // packets refused on this SA, any reason
};

class SecurityAssociation;
using SecurityAssociationPtr = std::unique_ptr<SecurityAssociation>;

class SecurityAssociation {
 public:
  // Validates the config and builds the crypto session. Returns nullptr and
  // sets `error` on a bad config (wrong key length, window out of range...).
  static SecurityAssociationPtr create(SaConfig&& config, Direction dir, CryptoEngine& engine, std::string& error);

  SecurityAssociation(const SecurityAssociation&) = delete;
  SecurityAssociation& operator=(const SecurityAssociation&) = delete;
  ~SecurityAssociation();

  const SaConfig& config() const { return config_; }
  Direction direction() const { return direction_; }
  const TransformInfo& info() const { return *info_; }
  const CryptoSession& session() const { return *session_; }
  uint32_t spi() const { return config_.spi; }

  // Outbound: the last sequence number reserved (0 before the first packet).
  uint64_t lastSequence() const { return seq_.load(std::memory_order_relaxed); }
  // Test hook and rekey helper: continue numbering after `seq`.
  void setLastSequence(uint64_t seq) { seq_.store(seq, std::memory_order_relaxed); }
  // Reserve the next sequence number; false once the space is exhausted
  // (2^32 - 1 without ESN, 2^64 - 1 with it; RFC 4303 3.3.3: never wrap).
  bool nextSequence(uint64_t& seq) { return reserveSequences(1, seq); }
  // Burst form: reserves `n` consecutive numbers, the first in `first`, or
  // none (false) when fewer than `n` are left; raises the events
  // nextSequence() would have raised.
  bool reserveSequences(uint64_t n, uint64_t& first);
  uint64_t sequenceLimit() const { return config_.esn ? UINT64_MAX : UINT32_MAX; }

  ReplayWindow* replayWindow() { return replay_ ? &*replay_ : nullptr; }
  const ReplayWindow* replayWindow() const { return replay_ ? &*replay_ : nullptr; }
  LifetimeCounter& lifetime() { return lifetime_; }
  const LifetimeCounter& lifetime() const { return lifetime_; }
  SaCounters& counters() { return counters_; }
  const SaCounters& counters() const { return counters_; }

  // Bytes ESP adds in front of the payload: outer IP (tunnel) + UDP + ESP
  // header + IV. And the most it adds behind: pad + trailer + ICV.
  uint32_t headerOverhead() const { return outerLen_ + 8 + info_->ivLen; }
  uint32_t maxTrailerOverhead() const { return info_->blockLen - 1 + 2 + info_->icvLen + config_.tfcPadTo; }

  // Hot-path accessors used by esp_outbound.cpp / esp_inbound.cpp.
  const uint8_t* salt() const { return salt_; }
  const uint8_t* outerTemplate() const { return outerTemplate_; }
  uint32_t outerLen() const { return outerLen_; }          // outer IP (+UDP) bytes, tunnel mode
  uint32_t outerTemplateSum() const { return outerSum_; }  // IPv4 checksum partial sum

 private:
  SecurityAssociation(SaConfig&& config, Direction dir);
  void buildOuterTemplate();

  SaConfig config_;
  Direction direction_;
  const TransformInfo* info_;
  CryptoSessionPtr session_;

  // Hot runtime state.
  alignas(64) std::atomic<uint64_t> seq_{0};
  uint8_t salt_[4] = {};
  uint8_t outerTemplate_[48] = {};  // IPv4 (20) or IPv6 (40) + UDP (8)
  uint32_t outerLen_ = 0;
  uint32_t outerSum_ = 0;
  std::optional<ReplayWindow> replay_;
  LifetimeCounter lifetime_;
  SaCounters counters_;
};

inline bool SecurityAssociation::reserveSequences(uint64_t n, uint64_t& first) {
  // Ask for a rekey well before the end so traffic never stops (RFC 4303
  // 3.3.3 forbids cycling the counter): at 2^32 - 2^24 without ESN.
  constexpr uint64_t kSoftMark = UINT32_MAX - (1u << 24);
  const uint64_t limit = sequenceLimit();
  uint64_t last = seq_.load(std::memory_order_relaxed);
  do {
    if (limit - last < n) {
      lifetime_.raise(kEventSeqExhausted);
      return false;
    }
  } while (!seq_.compare_exchange_weak(last, last + n, std::memory_order_relaxed));
  if (!config_.esn && last < kSoftMark && last + n >= kSoftMark) lifetime_.raise(kEventSoftLifetime);
  first = last + 1;
  return true;
}

}  // namespace ipsecgw::esp
