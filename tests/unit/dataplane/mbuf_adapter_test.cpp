// The mbuf adapter runs the same ESP code as the PacketBuffer path: same bytes
// out, offsets written back, chained mbufs refused with a reason.
#include <catch2/catch.hpp>

#include <rte_mbuf.h>

#include <cstring>
#include <random>

#include "common/packet_builder.hpp"
#include "crypto/engine_factory.hpp"
#include "dataplane/mbuf_packet.hpp"
#include "esp/esp_outbound.hpp"
#include "net/ip.hpp"
#include "unit/esp/sa_pair.hpp"

using namespace ipsecgw;
using namespace ipsecgw::esp;

namespace {

rte_mempool* pool() {
  static rte_mempool* p = rte_pktmbuf_pool_create("adapter_test", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  return p;
}

rte_mbuf* mbufWith(const std::vector<uint8_t>& bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool());
  REQUIRE(m);
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())), bytes.data(), bytes.size());
  return m;
}

std::vector<uint8_t> bytesOf(const rte_mbuf* m) {
  const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
  REQUIRE(m->pkt_len == m->data_len);
  return {d, d + m->data_len};
}

IpAddress addr(const char* s) { return *IpAddress::parse(s); }

}  // namespace

TEST_CASE("mbuf adapter: same ESP bytes as the PacketBuffer path, and back", "[dataplane]") {
  REQUIRE(pool());
  auto eng = crypto::makeEngine("ipsec-mb");
  std::mt19937 keys1(5), keys2(5), rng(9);
  test::SaPairOptions o;
  auto viaMbuf = test::makeSaPair(o, *eng, keys1);
  auto viaBuffer = test::makeSaPair(o, *eng, keys2);

  std::vector<std::vector<uint8_t>> plain;
  std::vector<rte_mbuf*> mbufs;
  for (int i = 0; i < 40; ++i) {
    plain.push_back(test::makeIpPacket(addr("10.0.0.1"), addr("10.0.1.1"), ip::kProtoUdp, rng() % 1400, rng));
    mbufs.push_back(mbufWith(plain.back()));
  }
  std::vector<DropReason> why(mbufs.size());
  REQUIRE(dataplane::encapsulateMbufs(*viaMbuf.out, *eng, mbufs, why) == mbufs.size());
  for (size_t i = 0; i < mbufs.size(); ++i) {
    test::OwnedPacket p(plain[i]);
    PacketBuffer* ptr = &p.buf;
    DropReason w;
    REQUIRE(espEncapsulate(*viaBuffer.out, *eng, {&ptr, 1}, {&w, 1}) == 1);
    REQUIRE(bytesOf(mbufs[i]) == p.bytes());
  }
  REQUIRE(dataplane::decapsulateMbufs(*viaMbuf.in, *eng, mbufs, why) == mbufs.size());
  for (size_t i = 0; i < mbufs.size(); ++i) {
    REQUIRE(bytesOf(mbufs[i]) == plain[i]);
    rte_pktmbuf_free(mbufs[i]);
  }
}

TEST_CASE("mbuf adapter: failures keep their mbufs and reasons", "[dataplane]") {
  auto eng = crypto::makeEngine("ipsec-mb");
  std::mt19937 keys(6), rng(10);
  auto sa = test::makeSaPair({}, *eng, keys);
  auto p = test::makeIpPacket(addr("10.0.0.1"), addr("10.0.1.1"), ip::kProtoUdp, 100, rng);

  rte_mbuf* good = mbufWith(p);
  rte_mbuf* chainedHead = mbufWith(p);
  rte_mbuf* tail = mbufWith(std::vector<uint8_t>(10, 0));
  REQUIRE(rte_pktmbuf_chain(chainedHead, tail) == 0);
  // A packet that starts at the very beginning of its buffer: no headroom.
  rte_mbuf* cramped = rte_pktmbuf_alloc(pool());
  REQUIRE(cramped);
  cramped->data_off = 0;
  std::memcpy(rte_pktmbuf_append(cramped, static_cast<uint16_t>(p.size())), p.data(), p.size());

  std::vector<rte_mbuf*> burst = {chainedHead, good, cramped};
  std::vector<DropReason> why(burst.size());
  REQUIRE(dataplane::encapsulateMbufs(*sa.out, *eng, burst, why) == 1);
  CHECK(burst[0] == good);
  CHECK(burst[1] == cramped);
  CHECK(why[1] == DropReason::NoHeadroom);
  CHECK(burst[2] == chainedHead);
  CHECK(why[2] == DropReason::Chained);
  CHECK(sa.out->counters().drops == 2);
  for (rte_mbuf* m : burst) rte_pktmbuf_free(m);
}
