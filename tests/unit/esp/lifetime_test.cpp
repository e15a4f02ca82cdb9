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
