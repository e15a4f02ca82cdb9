// Fragments and ICMP errors in mbufs from the pool: right bytes, nothing
// leaked when the pool runs dry halfway; and the ICMP rate limiter's budget.
#include <catch2/catch.hpp>

#include <rte_mbuf.h>

#include <random>
#include <vector>

#include "common/packet_builder.hpp"
#include "dataplane/packet_factory.hpp"
#include "dataplane/token_bucket.hpp"
#include "net/ip.hpp"
#include "net/ipv4_fragment.hpp"
#include "util/byte_order.hpp"
#include "mbuf_bytes.hpp"

using namespace ipsecgw;
using namespace ipsecgw::dataplane;

namespace {

// Room for a jumbo datagram in one segment (the default 2 KB data room would
// not hold the packets fragmented here).
constexpr uint16_t kJumboBuf = RTE_PKTMBUF_HEADROOM + 9216;

using test::bytesOf;
using test::mbufWith;

std::vector<uint8_t> udpV4(uint32_t payload, bool df) {
  std::mt19937 rng(5);
  return test::makeIpPacket(*IpAddress::parse("10.0.1.10"), *IpAddress::parse("10.0.2.10"), ip::kProtoUdp, payload,
                            rng, df);
}

}  // namespace

TEST_CASE("fragmentIpv4: mbuf fragments equal the plain-buffer ones, original freed", "[dataplane][frag]") {
  rte_mempool* pool = rte_pktmbuf_pool_create("frag_test", 255, 0, 0, kJumboBuf, 0);
  REQUIRE(pool);
  const unsigned before = rte_mempool_avail_count(pool);
  auto p = udpV4(2972, false);
  rte_mbuf* m = mbufWith(pool, p);
  rte_mbuf* out[kMaxFragments];
  DropReason why;
  REQUIRE(fragmentIpv4(m, 1446, pool, out, why) == 3);
  Ipv4FragmentPlan plan;
  REQUIRE(planIpv4Fragments(p, 1446, plan) == DropReason::None);
  for (uint32_t i = 0; i < 3; ++i) {
    std::vector<uint8_t> want(1446);
    want.resize(writeIpv4Fragment(p, plan, i, want));
    CHECK(bytesOf(out[i]) == want);
    CHECK(out[i]->pkt_len == out[i]->data_len);
    CHECK(rte_pktmbuf_headroom(out[i]) >= 64);  // room for the ESP outer headers
    rte_pktmbuf_free(out[i]);
  }
  CHECK(rte_mempool_avail_count(pool) == before);  // the original went back too

  // DF set: refused, original untouched.
  m = mbufWith(pool, udpV4(2972, true));
  CHECK(fragmentIpv4(m, 1446, pool, out, why) == 0);
  CHECK(why == DropReason::MtuExceeded);
  rte_pktmbuf_free(m);
  // More fragments than the caller has room for.
  m = mbufWith(pool, udpV4(2972, false));
  CHECK(fragmentIpv4(m, 1446, pool, std::span<rte_mbuf*>(out, 2), why) == 0);
  CHECK(why == DropReason::FragFailed);
  rte_pktmbuf_free(m);
  CHECK(rte_mempool_avail_count(pool) == before);
  rte_mempool_free(pool);
}

TEST_CASE("fragmentIpv4 with the pool running dry frees what it made", "[dataplane][frag]") {
  rte_mempool* pool = rte_pktmbuf_pool_create("frag_dry", 7, 0, 0, kJumboBuf, 0);
  REQUIRE(pool);
  const unsigned before = rte_mempool_avail_count(pool);
  rte_mbuf* m = mbufWith(pool, udpV4(8000, false));  // 6 fragments of 1424, 6 mbufs left
  rte_mbuf* hog = rte_pktmbuf_alloc(pool);             // 5 left
  rte_mbuf* out[kMaxFragments];
  DropReason why;
  CHECK(fragmentIpv4(m, 1446, pool, out, why) == 0);
  CHECK(why == DropReason::NoMbuf);
  rte_pktmbuf_free(hog);
  CHECK(rte_mempool_avail_count(pool) == before - 1);  // only `m`, still the caller's
  rte_pktmbuf_free(m);
  rte_mempool_free(pool);
}

TEST_CASE("makeIcmpError puts the error in a fresh mbuf", "[dataplane][icmp]") {
  rte_mempool* pool = rte_pktmbuf_pool_create("icmp_test", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  REQUIRE(pool);
  auto p = udpV4(1472, true);
  rte_mbuf* m = mbufWith(pool, p);
  DropReason why = DropReason::None;
  rte_mbuf* e = makeIcmpError(m, IcmpError::PacketTooBig, 1446, *IpAddress::parse("10.0.1.1"), pool, why);
  REQUIRE(e);
  std::vector<uint8_t> want(kIcmpV4ErrorMax);
  want.resize(buildIcmpError(p, IcmpError::PacketTooBig, 1446, *IpAddress::parse("10.0.1.1"), want));
  CHECK(bytesOf(e) == want);
  CHECK(e->pkt_len == 576);
  // A mismatched source family is refused, and the mbuf goes back.
  const unsigned avail = rte_mempool_avail_count(pool);
  CHECK(makeIcmpError(m, IcmpError::PacketTooBig, 1446, *IpAddress::parse("fd00::1"), pool, why) == nullptr);
  CHECK(why == DropReason::IcmpSuppressed);
  CHECK(rte_mempool_avail_count(pool) == avail);
  rte_pktmbuf_free(e);
  rte_pktmbuf_free(m);
  rte_mempool_free(pool);
}

TEST_CASE("token bucket: a burst, then the rate", "[dataplane][icmp]") {
  TokenBucket b(100, 20);  // 100/s: a token every 10 ms
  uint64_t now = 1000;
  int granted = 0;
  for (int i = 0; i < 50; ++i) granted += b.take(now);
  CHECK(granted == 20);
  CHECK_FALSE(b.take(now + 9));
  CHECK(b.take(now + 10));
  CHECK_FALSE(b.take(now + 10));
  granted = 0;
  for (uint64_t t = now + 11; t <= now + 1010; ++t) granted += b.take(t);  // one second
  CHECK(granted == 100);
  CHECK(b.take(now + 1000000));  // refills, but only to the burst
  granted = 1;
  while (b.take(now + 1000000)) ++granted;
  CHECK(granted == 20);
}
