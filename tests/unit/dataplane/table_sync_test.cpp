// Table publication to the workers (lib/dataplane/table_sync.hpp): a state
// reaches every worker through its ring, and what a change retired (old
// states, SA slots) is released only once every worker reported quiescent
// after it, never before; a reader thread that keeps adopting states while
// the control side publishes thousands of them never reads a freed one
// (the ASan build runs this too).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "dataplane/table_sync.hpp"

using namespace ipsecgw::dataplane;

TEST_CASE("table sync: a retired slot is freed only after every worker passed a quiescent state", "[table-sync]") {
  std::string error;
  auto q = Quiescence::create(2, error);
  REQUIRE(q);
  GatewayTables t;
  auto sync = TableSync::create(t, *q, error);
  REQUIRE(sync);
  TableSubscription& w0 = sync->subscription(0);
  TableSubscription& w1 = sync->subscription(1);
  w0.online();
  w1.online();
  REQUIRE(w0.refresh());
  CHECK(w0.current()->version == 1);
  CHECK(w1.refresh()->version == 1);

  t.outbound.emplace_back();  // a slot, as ChildSaTable::remove leaves it
  t.outboundInnerMtu.push_back(1400);
  t.retire({ipsecgw::esp::Direction::Outbound, 0, nullptr});
  t.changed();
  CHECK(sync->version() == 2);
  sync->poll();
  CHECK(t.freeOutbound.empty());  // neither worker has seen version 2

  CHECK(w0.refresh()->version == 2);
  CHECK(w0.current()->outboundInnerMtu.size() == 1);
  sync->poll();
  CHECK(t.freeOutbound.empty());  // worker 1 may still hold version 1
  CHECK(sync->counters().statesFreed == 0);

  CHECK(w1.refresh()->version == 2);
  sync->poll();
  CHECK(t.freeOutbound == std::vector<uint32_t>{0});
  CHECK(sync->counters().slotsReclaimed == 1);
  CHECK(sync->counters().statesFreed == 1);
  CHECK(sync->waitingForGrace() == 0);

  // Changes made while a worker does not poll pile up in its ring; once
  // the ring is full they wait (deferred), and nothing is freed meanwhile.
  for (uint32_t i = 0; i < TableSync::kRingSize + 5; ++i) t.changed();
  CHECK(sync->counters().deferred >= 5);
  const uint64_t published = sync->counters().published;
  w0.refresh();
  w1.refresh();
  sync->poll();  // the pending change goes out now
  CHECK(sync->counters().published == published + 1);
  CHECK(w0.refresh()->version == sync->version());
  w0.offline();
  w1.offline();
}

TEST_CASE("table sync: a reader thread never holds a freed state", "[table-sync]") {
  std::string error;
  auto q = Quiescence::create(1, error);
  REQUIRE(q);
  GatewayTables t;
  auto sync = TableSync::create(t, *q, error);
  REQUIRE(sync);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> adopted{0}, bad{0};
  std::thread reader([&] {
    TableSubscription& s = sync->subscription(0);
    s.online();
    uint64_t last = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const ForwardingState* st = s.refresh();
      if (!st) continue;
      // Reads the whole state: a freed one is a use-after-free for ASan,
      // and its contents must be what the control side wrote.
      if (st->version < last) bad++;
      for (size_t i = 0; i < st->outboundInnerMtu.size(); ++i)
        if (st->outboundInnerMtu[i] != static_cast<uint16_t>(i)) bad++;
      if (st->version != last) adopted++;
      last = st->version;
    }
    s.offline();
  });
  // At least 3000 changes, and on until the reader adopted 100 states (a
  // slow reader skips the ones its ring held at once).
  for (uint16_t i = 0; i < 3000 || adopted.load() < 100; ++i) {
    t.outboundInnerMtu.push_back(static_cast<uint16_t>(t.outboundInnerMtu.size()));
    t.changed();
    sync->poll();
    if (i >= 3000) std::this_thread::yield();
  }
  stop = true;
  reader.join();
  sync->poll();  // the reader is offline: everything older than the newest goes
  CHECK(bad.load() == 0);
  CHECK(adopted.load() >= 100);
  CHECK(sync->waitingForGrace() == 0);
  CHECK(sync->counters().statesFreed + 1 == sync->counters().published);
}
