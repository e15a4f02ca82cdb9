// Outer reassembly on rte_ip_frag: fragments in any order give back the
// original packet in one segment; stale, oversize and malformed cases are
// given up and counted, and every mbuf returns to the pool.
#include <catch2/catch.hpp>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "common/packet_builder.hpp"
#include "dataplane/ike_datagram.hpp"
#include "dataplane/outer_reassembly.hpp"
#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"
#include "net/ipv4_fragment.hpp"
#include "util/byte_order.hpp"
#include "mbuf_bytes.hpp"

using namespace ipsecgw;
using namespace ipsecgw::dataplane;

namespace {

using test::bytesOf;
using test::mbufWith;

// An outer ESP packet (the payload is opaque to reassembly), DF clear.
std::vector<uint8_t> espV4(uint32_t payload) {
  std::mt19937 rng(9);
  auto p = test::makeIpPacket(*IpAddress::parse("192.0.2.2"), *IpAddress::parse("192.0.2.1"), ip::kProtoUdp,
                              payload, rng, false);
  p[ip::kV4Proto] = ip::kProtoEsp;
  storeBe16(&p[ip::kV4Checksum], 0);
  storeBe16(&p[ip::kV4Checksum], ipv4HeaderChecksum(p.data(), 20));
  return p;
}

std::vector<std::vector<uint8_t>> fragmentsOf(const std::vector<uint8_t>& p, uint32_t mtu) {
  Ipv4FragmentPlan plan;
  REQUIRE(planIpv4Fragments(p, mtu, plan) == DropReason::None);
  std::vector<std::vector<uint8_t>> out;
  for (uint32_t i = 0; i < plan.count; ++i) {
    std::vector<uint8_t> f(mtu);
    f.resize(writeIpv4Fragment(p, plan, i, f));
    out.push_back(f);
  }
  return out;
}

// IPv6 fragments with the fragment header right after the fixed header
// (RFC 8200 4.5), `chunk` payload bytes each.
std::vector<std::vector<uint8_t>> fragmentsV6(const std::vector<uint8_t>& p, uint32_t chunk) {
  std::vector<std::vector<uint8_t>> out;
  const uint32_t payload = static_cast<uint32_t>(p.size() - 40);
  for (uint32_t off = 0; off < payload; off += chunk) {
    const uint32_t len = std::min(chunk, payload - off);
    std::vector<uint8_t> f(p.begin(), p.begin() + 40);
    f[ip::kV6NextHeader] = ip::kExtFragment;
    const uint8_t fh[8] = {p[ip::kV6NextHeader], 0, static_cast<uint8_t>(off >> 8),
                           static_cast<uint8_t>((off & 0xf8) | (off + len < payload ? 1 : 0)), 0, 0, 0x12, 0x34};
    f.insert(f.end(), fh, fh + 8);
    f.insert(f.end(), p.begin() + 40 + off, p.begin() + 40 + off + len);
    storeBe16(&f[ip::kV6PayloadLen], static_cast<uint16_t>(f.size() - 40));
    out.push_back(f);
  }
  return out;
}

// Feeds the fragments in `order`; returns the whole packet's bytes (empty if
// none came out) and frees it.
std::vector<uint8_t> feed(OuterReassembly& r, rte_mempool* pool, const std::vector<std::vector<uint8_t>>& frags,
                          std::vector<size_t> order, uint64_t now, DropReason& why) {
  std::vector<uint8_t> whole;
  for (size_t i : order) {
    rte_mbuf* m = mbufWith(pool, frags[i]);
    IpLayout lay;
    REQUIRE(locateUpperLayer(bytesOf(m), lay) == DropReason::None);
    REQUIRE(lay.fragment);
    if (rte_mbuf* w = r.add(m, lay, now, why)) {
      CHECK(whole.empty());
      CHECK(w->nb_segs == 1);
      whole = bytesOf(w);
      rte_pktmbuf_free(w);
    }
  }
  return whole;
}

// A pool of 255 mbufs of `dataRoom` bytes and a reassembly table for one
// test, which checks at its end that every mbuf is back (avail() == before).
struct Bench {
  Bench(const char* poolName, uint16_t dataRoom)
      : pool(rte_pktmbuf_pool_create(poolName, 255, 0, 0, dataRoom, 0)), r(OuterReassembly::create(0)) {
    REQUIRE(pool);
    REQUIRE(r);
    before = avail();
  }
  ~Bench() {
    r.reset();  // the table first: it frees the fragments it still holds
    rte_mempool_free(pool);
  }
  unsigned avail() const { return rte_mempool_avail_count(pool); }

  rte_mempool* pool;
  std::unique_ptr<OuterReassembly> r;
  unsigned before = 0;
};

}  // namespace

TEST_CASE("outer IPv4 fragments reassemble in any order", "[dataplane][reassembly]") {
  Bench b("reasm_v4", RTE_PKTMBUF_HEADROOM + 4096);
  const auto p = espV4(2972);  // 3000 bytes
  const auto frags = fragmentsOf(p, 1280);
  REQUIRE(frags.size() == 3);
  const uint64_t now = rte_rdtsc();
  DropReason why;
  CHECK(feed(*b.r, b.pool, frags, {0, 1, 2}, now, why) == p);
  CHECK(feed(*b.r, b.pool, frags, {2, 0, 1}, now, why) == p);
  CHECK(feed(*b.r, b.pool, frags, {1, 2, 0}, now, why) == p);
  CHECK(b.r->collect(now) == 0);
  CHECK(b.avail() == b.before);
}

TEST_CASE("outer IPv6 fragments reassemble, fragment header removed", "[dataplane][reassembly]") {
  Bench b("reasm_v6", RTE_PKTMBUF_HEADROOM + 4096);
  std::mt19937 rng(4);
  auto p = test::makeIpPacket(*IpAddress::parse("2001:db8::2"), *IpAddress::parse("2001:db8::1"), ip::kProtoUdp,
                              2400, rng);
  p[ip::kV6NextHeader] = ip::kProtoEsp;
  const auto frags = fragmentsV6(p, 1232);
  REQUIRE(frags.size() == 2);
  DropReason why;
  CHECK(feed(*b.r, b.pool, frags, {1, 0}, rte_rdtsc(), why) == p);
  CHECK(b.avail() == b.before);
}

TEST_CASE("outer reassembly gives up stale and oversize packets, leaking nothing", "[dataplane][reassembly]") {
  Bench b("reasm_bad", RTE_MBUF_DEFAULT_BUF_SIZE);
  const auto p = espV4(2972);
  const auto frags = fragmentsOf(p, 1280);
  const uint64_t now = rte_rdtsc();
  DropReason why;
  // Two of three fragments, then the timer runs out: both on the death row.
  CHECK(feed(*b.r, b.pool, frags, {0, 2}, now, why).empty());
  CHECK(b.avail() == b.before - 2);
  CHECK(b.r->collect(now + rte_get_tsc_hz() * (OuterReassembly::kTimeoutMs / 1000 + 1)) == 2);
  CHECK(b.avail() == b.before);

  // Complete, but 3000 bytes do not fit one default 2 KB mbuf: given up.
  CHECK(feed(*b.r, b.pool, frags, {0, 1, 2}, now, why).empty());
  CHECK(why == DropReason::ReassemblyFailed);
  CHECK(b.avail() == b.before);

  // The same fragment twice: rte_ip_frag gives the packet up (death row).
  CHECK(feed(*b.r, b.pool, frags, {0, 0}, now, why).empty());
  b.r->collect(now);
  // A fragment left in the table is freed when the table goes.
  CHECK(feed(*b.r, b.pool, frags, {1}, now, why).empty());
  b.r.reset();
  CHECK(b.avail() == b.before);
}

// What Worker::reassemble() does with a whole datagram: an IKE message that a
// 576-byte path split (an IKE_AUTH from a peer without RFC 7383) classifies
// as IKE once reassembled, on 500 and behind the non-ESP marker on 4500, and
// decodes to the message that was sent.
TEST_CASE("IP-fragmented IKE is IKE again after outer reassembly", "[dataplane][reassembly][ike-io]") {
  Bench b("reasm_ike", RTE_PKTMBUF_HEADROOM + 4096);
  for (uint16_t port : {uint16_t(500), uint16_t(4500)}) {
    INFO("port " << port);
    ike::Datagram d;
    d.local = {*IpAddress::parse("192.0.2.2"), port};
    d.remote = {*IpAddress::parse("192.0.2.1"), port};
    for (size_t i = 0; i < 1500; ++i) d.bytes.push_back(static_cast<uint8_t>(i * 13 + 5));
    std::vector<uint8_t> p(encodedIkeDatagramSize(d));
    REQUIRE(encodeIkeDatagram(d, 0x4242, p) == p.size());
    const auto frags = fragmentsOf(p, 576);
    REQUIRE(frags.size() == 3);
    for (const auto& f : frags) {  // no fragment alone is IKE: its UDP header may be elsewhere
      IpLayout lay;
      REQUIRE(locateUpperLayer(f, lay) == DropReason::None);
      CHECK(classifyIke(f, lay) == IkeRxKind::NotIke);
    }
    DropReason why;
    const auto whole = feed(*b.r, b.pool, frags, {2, 1, 0}, rte_rdtsc(), why);
    REQUIRE(whole == p);
    IpLayout lay;
    REQUIRE(locateUpperLayer(whole, lay) == DropReason::None);
    CHECK_FALSE(lay.fragment);
    CHECK(classifyIke(whole, lay) == IkeRxKind::Ike);
    ike::Datagram got;
    bool badChecksum = true;
    REQUIRE(decodeIkeDatagram(whole, got, badChecksum) == DropReason::None);
    CHECK_FALSE(badChecksum);
    CHECK(got.bytes == d.bytes);  // marker stripped on 4500
    CHECK(got.remote.port == port);
  }
  CHECK(b.avail() == b.before);
}
