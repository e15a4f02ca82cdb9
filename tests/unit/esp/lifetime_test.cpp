// SA volume lifetimes: exact counting, soft event once, hard stop.
#include <catch2/catch.hpp>

#include "esp/lifetime.hpp"

using namespace ipsecgw::esp;

TEST_CASE("lifetime: packet limits are exact", "[lifetime]") {
  LifetimeCounter c({.softPackets = 3, .hardPackets = 5});
  CHECK(c.consume(100));
  CHECK(c.consume(100));
  CHECK(c.takeEvents() == 0);
  CHECK(c.consume(100));  // third packet reaches the soft limit
  CHECK(c.takeEvents() == kEventSoftLifetime);
  CHECK(c.consume(100));
  CHECK(c.takeEvents() == 0);  // raised once only
  CHECK(c.consume(100));       // fifth: still allowed
  CHECK_FALSE(c.consume(1));   // sixth would pass the hard limit
  CHECK(c.takeEvents() == kEventHardLifetime);
  CHECK(c.expired());
  CHECK(c.packets() == 5);
  CHECK_FALSE(c.consume(1));
  CHECK(c.takeEvents() == 0);
}

TEST_CASE("lifetime: byte limits are exact", "[lifetime]") {
  LifetimeCounter c({.softBytes = 1000, .hardBytes = 1500});
  CHECK(c.consume(999));
  CHECK(c.takeEvents() == 0);
  CHECK(c.consume(1));
  CHECK(c.takeEvents() == kEventSoftLifetime);
  CHECK(c.consume(500));  // exactly at the hard limit
  CHECK_FALSE(c.consume(1));
  CHECK(c.bytes() == 1500);
  CHECK(c.takeEvents() == kEventHardLifetime);
}

TEST_CASE("lifetime: zero means unlimited", "[lifetime]") {
  LifetimeCounter c({});
  for (int i = 0; i < 10000; ++i) REQUIRE(c.consume(65535));
  CHECK(c.takeEvents() == 0);
}

// allowance() is what the burst routines may count without asking: up to a
// hard limit inclusive (consume() refuses only past it), up to one short of a
// soft limit (consume() raises at it) until the soft event was raised.
TEST_CASE("lifetime: allowance stops at a hard limit and one short of a soft one", "[lifetime][burst]") {
  struct Row {
    LifetimeLimits limits;
    uint64_t packets, bytes;  // expected allowance from zero
  };
  const Row rows[] = {
      {{}, UINT64_MAX, UINT64_MAX},
      {{.hardPackets = 5}, 5, UINT64_MAX},
      {{.softPackets = 5}, 4, UINT64_MAX},
      {{.softPackets = 1}, 0, UINT64_MAX},
      {{.hardPackets = 1}, 1, UINT64_MAX},
      {{.softPackets = 5, .hardPackets = 3}, 3, UINT64_MAX},
      {{.softPackets = 3, .hardPackets = 3}, 2, UINT64_MAX},
      {{.hardBytes = 1500}, UINT64_MAX, 1500},
      {{.softBytes = 1000}, UINT64_MAX, 999},
      {{.softBytes = 1000, .hardBytes = 1500, .softPackets = 7, .hardPackets = 9}, 6, 999},
      {{.softBytes = UINT64_MAX, .hardBytes = UINT64_MAX}, UINT64_MAX, UINT64_MAX - 1},
  };
  for (const Row& r : rows) {
    CAPTURE(r.limits.softBytes, r.limits.hardBytes, r.limits.softPackets, r.limits.hardPackets);
    LifetimeCounter c(r.limits);
    auto a = c.allowance();
    CHECK(a.packets == r.packets);
    CHECK(a.bytes == r.bytes);
  }
}

TEST_CASE("lifetime: tryAdd charges a burst only when no packet of it could reach a limit", "[lifetime][burst]") {
  SECTION("packets") {
    LifetimeCounter c({.softPackets = 4, .hardPackets = 6});
    CHECK_FALSE(c.tryAdd(4, 400));  // the 4th would reach soft: refused, nothing charged
    CHECK(c.packets() == 0);
    CHECK(c.bytes() == 0);
    CHECK(c.takeEvents() == 0);
    CHECK(c.tryAdd(3, 300));  // one short of soft
    CHECK(c.allowance().packets == 0);
    CHECK(c.tryAdd(0, 0));  // an empty burst always fits
    CHECK_FALSE(c.tryAdd(1, 1));
    CHECK(c.consume(100));  // the 4th, one at a time: raises soft
    CHECK(c.takeEvents() == kEventSoftLifetime);
    CHECK(c.allowance().packets == 2);  // soft raised: only hard counts now
    CHECK_FALSE(c.tryAdd(3, 3));
    CHECK(c.tryAdd(2, 200));  // exactly up to hard
    CHECK(c.packets() == 6);
    CHECK(c.takeEvents() == 0);  // reaching hard is allowed; passing it is not
    CHECK_FALSE(c.tryAdd(1, 1));
    CHECK_FALSE(c.expired());  // tryAdd never expires the SA: consume() does
    CHECK_FALSE(c.consume(1));
    CHECK(c.expired());
    CHECK(c.takeEvents() == kEventHardLifetime);
    CHECK(c.allowance().packets == 0);
    CHECK(c.allowance().bytes == 0);
    CHECK(c.tryAdd(0, 0));  // nothing to charge, nothing refused
    CHECK(c.packets() == 6);
  }
  SECTION("bytes") {
    LifetimeCounter c({.softBytes = 1000, .hardBytes = 1500});
    CHECK_FALSE(c.tryAdd(2, 1000));
    CHECK(c.tryAdd(2, 999));
    CHECK(c.allowance().bytes == 0);
    CHECK(c.allowance().packets == UINT64_MAX);
    CHECK_FALSE(c.tryAdd(1, 1));
    CHECK(c.consume(1));  // 1000: soft
    CHECK(c.takeEvents() == kEventSoftLifetime);
    CHECK(c.allowance().bytes == 500);
    CHECK_FALSE(c.tryAdd(1, 501));
    CHECK(c.tryAdd(1, 500));
    CHECK(c.bytes() == 1500);
    CHECK_FALSE(c.consume(1));
    CHECK(c.takeEvents() == kEventHardLifetime);
  }
  SECTION("soft raised by someone else (the sequence-number rekey mark) lifts the soft clip") {
    LifetimeCounter c({.softPackets = 2, .hardPackets = 10});
    CHECK(c.allowance().packets == 1);
    c.raise(kEventSoftLifetime);
    CHECK(c.allowance().packets == 10);
    CHECK(c.tryAdd(10, 10));
    CHECK(c.takeEvents() == kEventSoftLifetime);  // once, from raise()
  }
}

TEST_CASE("lifetime: LifetimeBatch matches consume() packet by packet", "[lifetime][burst]") {
  // Every limit from 1 to 12 packets and every soft/hard byte limit around
  // bursts of 100-byte packets: verdicts, events and totals equal those of a
  // plain counter charged one packet at a time.
  for (uint64_t soft = 0; soft <= 12; ++soft)
    for (uint64_t hard = 0; hard <= 12; ++hard)
      for (uint64_t bytesLimit : {uint64_t{0}, uint64_t{499}, uint64_t{500}, uint64_t{501}}) {
        CAPTURE(soft, hard, bytesLimit);
        LifetimeLimits l{.softBytes = bytesLimit / 2, .hardBytes = bytesLimit, .softPackets = soft, .hardPackets = hard};
        LifetimeCounter one(l), batched(l);
        for (int burst = 0; burst < 3; ++burst) {
          LifetimeBatch b(batched);
          for (int i = 0; i < 5; ++i) CHECK(b.consume(100) == one.consume(100));
          b.commit();
          CHECK(int(batched.takeEvents()) == int(one.takeEvents()));
          CHECK(batched.packets() == one.packets());
          CHECK(batched.bytes() == one.bytes());
          CHECK(batched.expired() == one.expired());
        }
      }
}
