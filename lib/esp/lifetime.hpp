// SA lifetimes by volume (RFC 4301 4.4.2.1): soft and hard limits in bytes and
// packets. Crossing a soft limit raises SoftLifetime once (the control core
// starts a rekey); a packet that would cross a hard limit is refused and the SA
// stops for good. Time-based lifetimes belong to the control core's timers.
#pragma once

#include <atomic>
#include <cstdint>

namespace ipsecgw::esp {

struct LifetimeLimits {
  // 0 means "no limit".
  uint64_t softBytes = 0;
  uint64_t hardBytes = 0;
  uint64_t softPackets = 0;
  uint64_t hardPackets = 0;
};

// Events an SA raises towards the control core, each at most once per SA.
enum SaEvent : uint8_t {
  kEventSoftLifetime = 1 << 0,  // time to rekey
  kEventHardLifetime = 1 << 1,  // the SA refuses traffic from now on
  kEventSeqExhausted = 1 << 2,  // outbound sequence space used up: rekey now
};

class LifetimeCounter {
 public:
  explicit LifetimeCounter(const LifetimeLimits& limits) : limits_(limits) {}

  // Account one packet of `bytes`. False if it would pass a hard limit; the
  // packet must then be dropped and is not counted.
  bool consume(uint64_t bytes) {
    if (expired_) return false;
    uint64_t packets = packets_ + 1;
    uint64_t total = bytes_ + bytes;
    if ((limits_.hardPackets && packets > limits_.hardPackets) || (limits_.hardBytes && total > limits_.hardBytes)) {
      expired_ = true;
      raise(kEventHardLifetime);
      return false;
    }
    packets_ = packets;
    bytes_ = total;
    if ((limits_.softPackets && packets >= limits_.softPackets) || (limits_.softBytes && total >= limits_.softBytes))
      raise(kEventSoftLifetime);
    return true;
  }

  // Burst accounting. How many more packets, and bytes in total, consume()
  // would accept without refusing or raising anything: the burst routines
  // count within this allowance in registers and charge it once with add(),
  // and call consume() only for a packet that would step outside it, so the
  // limits stay exact to the packet.
  struct Allowance {
    uint64_t packets;
    uint64_t bytes;
  };
  Allowance allowance() const {
    if (expired_) return {0, 0};
    Allowance a{UINT64_MAX, UINT64_MAX};
    // consume() refuses past a hard limit (> limit) and raises at a soft one
    // (>= limit) unless that event was raised already.
    const bool soft = (raised_ & kEventSoftLifetime) == 0;
    clip(a.packets, packets_, limits_.hardPackets, 0);
    clip(a.bytes, bytes_, limits_.hardBytes, 0);
    if (soft) {
      clip(a.packets, packets_, limits_.softPackets, 1);
      clip(a.bytes, bytes_, limits_.softBytes, 1);
    }
    return a;
  }
  // Charges a whole burst at once if it fits the allowance; false (nothing
  // charged) when some packet of it might reach a limit.
  bool tryAdd(uint64_t packets, uint64_t bytes) {
    Allowance a = allowance();
    if (packets > a.packets || bytes > a.bytes) return false;
    add(packets, bytes);
    return true;
  }
  // Charge what was counted within allowance() (which it must not exceed).
  void add(uint64_t packets, uint64_t bytes) {
    packets_ += packets;
    bytes_ += bytes;
  }

  void raise(SaEvent e) {
    if (raised_ & e) return;
    raised_ |= e;
    pending_.fetch_or(e, std::memory_order_relaxed);
  }
  // Events raised since the last call; each is reported exactly once.
  uint8_t takeEvents() {
    return pending_.exchange(0, std::memory_order_relaxed);
  }

  bool expired() const { return expired_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t packets() const { return packets_; }
  const LifetimeLimits& limits() const { return limits_; }

 private:
  // Lowers `room` to what keeps used + room at least `margin` below `limit`
  // (0: no limit).
  static void clip(uint64_t& room, uint64_t used, uint64_t limit, uint64_t margin) {
    if (limit == 0) return;
    uint64_t r = used + margin <= limit ? limit - used - margin : 0;
    if (r < room) room = r;
  }

  LifetimeLimits limits_;
  uint64_t bytes_ = 0;
  uint64_t packets_ = 0;
  bool expired_ = false;
  uint8_t raised_ = 0;
  // Raised by the worker, taken by the control core (ChildSaTable::
  // softExpired) on another lcore: an atomic exchange, so none is lost.
  std::atomic<uint8_t> pending_{0};
};

// A burst's view of a LifetimeCounter: packets within the allowance are
// counted in registers (keep the object local and its address unescaped) and
// charged once by commit(); one that would reach a limit goes through
// consume() with everything before it charged, so limits and events stay
// exact to the packet.
class LifetimeBatch {
 public:
  explicit LifetimeBatch(LifetimeCounter& c) : counter_(c), allow_(c.allowance()) {}
  LifetimeBatch(const LifetimeBatch&) = delete;
  LifetimeBatch& operator=(const LifetimeBatch&) = delete;

  bool consume(uint64_t bytes) {
    if (packets_ < allow_.packets && allow_.bytes - bytes_ >= bytes) {
      ++packets_;
      bytes_ += bytes;
      return true;
    }
    commit();
    bool ok = counter_.consume(bytes);
    allow_ = counter_.allowance();
    return ok;
  }
  // Must run before anyone else reads or charges the counter.
  void commit() {
    counter_.add(packets_, bytes_);
    packets_ = bytes_ = 0;
  }

 private:
  LifetimeCounter& counter_;
  LifetimeCounter::Allowance allow_;
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace ipsecgw::esp
