// The engine's run-time configuration API used by `ipsecgwctl reload` and
// `rekey` by id (ike_engine.hpp): addConnection, removeConnection,
// connectionConfig, rekeyIkeSa, rekeyChildSa. Two engines back to back.
#include "exchange_harness.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {
const std::vector<std::string> kIke{"aes128gcm16-prfsha256-x25519"};
const std::vector<std::string> kEsp{"aes128gcm16"};
}  // namespace

TEST_CASE("removeConnection deletes the IKE SA on both sides and forgets the connection", "[ike][engine][reload]") {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  REQUIRE(h.i->connectionConfig("site") != nullptr);
  CHECK(h.i->connectionConfig("site")->children[0].name == "lan");
  std::string error;
  REQUIRE(h.i->removeConnection("site", h.now, error));
  h.settle();
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(Harness::state(*h.r) == "NONE");  // the peer got the Delete (RFC 7296 1.4.1)
  CHECK(eventsOf<ChildSaDown>(h.eventsI).size() == 1);
  CHECK(h.i->connectionConfig("site") == nullptr);
  CHECK_FALSE(h.i->initiate("site", "", h.now, error));
  CHECK_FALSE(h.i->removeConnection("site", h.now, error));
  CHECK(error == "no connection site");
  // As responder too: B's initiation finds no connection on A any more.
  REQUIRE(h.r->initiate("site", "", h.now, error));
  h.settle();
  CHECK(Harness::state(*h.i) == "NONE");
  CHECK(Harness::state(*h.r) != "ESTABLISHED");
}

TEST_CASE("addConnection: a new connection can be initiated; a name in use is refused", "[ike][engine][reload]") {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  std::string error;
  CHECK_FALSE(h.i->addConnection(connection(kA, kB, kIke, kEsp), error));
  CHECK(error == "connection site exists");
  // Replace A's "site" by one with another PSK: the old SA goes, the new
  // connection fails authentication against B, then the right PSK works.
  h.start();
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  const uint64_t firstId = h.i->listSas()[0].ikeSaId;
  REQUIRE(h.i->removeConnection("site", h.now, error));
  REQUIRE(h.i->addConnection(connection(kA, kB, kIke, kEsp, "another psk"), error));
  h.settle();
  REQUIRE(h.i->initiate("site", "", h.now, error));
  h.settle();
  CHECK(Harness::state(*h.i) != "ESTABLISHED");
  for (int k = 0; k < 20; ++k) {  // let the failed attempt end
    h.now += 1000;
    h.i->tick(h.now);
    h.r->tick(h.now);
    h.settle();
  }
  REQUIRE(h.i->removeConnection("site", h.now, error));
  h.settle();
  REQUIRE(h.i->addConnection(connection(kA, kB, kIke, kEsp), error));
  REQUIRE(h.i->initiate("site", "", h.now, error));
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  CHECK(h.i->listSas()[0].ikeSaId != firstId);
  CHECK(eventsOf<ChildSaUp>(h.eventsI).size() == 2);
}

TEST_CASE("rekeyIkeSa and rekeyChildSa name one SA by id or inbound SPI", "[ike][engine][rekey]") {
  Harness h(connection(kA, kB, kIke, kEsp), connection(kB, kA, kIke, kEsp));
  h.start();
  h.settle();
  REQUIRE(Harness::state(*h.i) == "ESTABLISHED");
  const IkeSaInfo before = h.i->listSas()[0];
  std::string error;
  CHECK_FALSE(h.i->rekeyIkeSa(before.ikeSaId + 100, h.now, error));
  CHECK(error == "no established IKE SA with id " + std::to_string(before.ikeSaId + 100));
  CHECK_FALSE(h.i->rekeyChildSa(0x1234, h.now, error));
  CHECK(error == "no CHILD_SA with inbound SPI 0x00001234");

  REQUIRE(h.i->rekeyChildSa(before.children[0].inboundSpi, h.now, error));
  h.settle();
  auto ups = eventsOf<ChildSaUp>(h.eventsI);
  REQUIRE(ups.size() == 2);
  CHECK(ups[1]->replacesInboundSpi == before.children[0].inboundSpi);
  REQUIRE(h.i->listSas()[0].children.size() == 1);
  CHECK(h.i->listSas()[0].children[0].inboundSpi == ups[1]->inbound.spi);

  REQUIRE(h.i->rekeyIkeSa(before.ikeSaId, h.now, error));
  h.settle();
  const auto after = h.i->listSas();
  REQUIRE(after.size() == 1);
  CHECK(after[0].ikeSaId != before.ikeSaId);
  CHECK(after[0].spiI != before.spiI);
  CHECK(after[0].children.size() == 1);  // moved, not renegotiated
  CHECK(eventsOf<ChildSaUp>(h.eventsI).size() == 2);
  CHECK_FALSE(h.i->rekeyIkeSa(before.ikeSaId, h.now, error));  // the old one is gone
}
