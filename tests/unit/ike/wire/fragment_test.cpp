// SKF (RFC 7383 2.5) encoding and decoding, and reassembly (2.6).
#include <algorithm>
#include <catch2/catch.hpp>

#include "ike/wire/reassembler.hpp"
#include "sample_messages.hpp"
#include "util/byte_order.hpp"
#include "xor_sk_cipher.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

namespace {

Message bigAuth() {
  Message m = test::everyPayloadMessage();
  m.header.exchangeType = ExchangeType::IkeAuth;
  return m;
}

Fragment openOne(Bytes b, test::XorSkCipher& c) {
  auto outer = decodeMessage(b);
  REQUIRE(outer);
  auto f = openFragment(b, *outer, c);
  REQUIRE(f);
  return std::move(*f);
}

}  // namespace

TEST_CASE("SKF fragments carry number/total and reassemble to the message", "[ike][wire][skf]") {
  test::XorSkCipher cipher;
  const Message m = bigAuth();
  auto frags = encodeFragments(m, 100, cipher);
  REQUIRE(frags);
  const auto inner = encodeChain(m.payloads);
  REQUIRE(frags->size() == (inner->size() + 99) / 100);
  REQUIRE(frags->size() >= 3);

  std::vector<Fragment> opened;
  for (size_t i = 0; i < frags->size(); ++i) {
    const Bytes& b = (*frags)[i];
    CHECK(b[16] == static_cast<uint8_t>(PayloadType::SKF));
    // Next Payload names the first inner payload in fragment 1 only.
    CHECK(b[kIkeHeaderLen] == (i == 0 ? static_cast<uint8_t>(PayloadType::SA) : 0));
    auto outer = decodeMessage(b);
    REQUIRE(outer);
    const auto* e = outer->get<EncryptedPayload>(PayloadType::SKF);
    REQUIRE(e);
    CHECK(e->fragmentNumber == i + 1);
    CHECK(e->totalFragments == frags->size());
    CHECK(e->ivOffset == kIkeHeaderLen + 8);
    opened.push_back(openOne(b, cipher));
    Bytes copy = b;
    CHECK(openMessage(copy, *outer, cipher).error().code == WireErrc::NotEncrypted);  // SKF is not SK
  }

  // Out of order, with a retransmitted duplicate.
  Reassembler r;
  std::vector<size_t> order(opened.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = order.size() - 1 - i;
  for (size_t k = 0; k < order.size(); ++k) {
    Fragment f = opened[order[k]];
    const auto v = r.add(std::move(f));
    CHECK(v == (k + 1 == order.size() ? FragmentVerdict::Complete : FragmentVerdict::Stored));
    if (k == 0) {
      Fragment dup = opened[order[0]];
      CHECK(r.add(std::move(dup)) == FragmentVerdict::Duplicate);
    }
  }
  Reassembled whole = r.take();
  CHECK(whole.firstInner == PayloadType::SA);
  CHECK(whole.inner == *inner);
  auto payloads = decodeChain(whole.firstInner, whole.inner);
  REQUIRE(payloads);
  CHECK(*payloads == m.payloads);
  CHECK(r.stored() == 0);
}

TEST_CASE("SKF header faults are caught before any crypto", "[ike][wire][skf]") {
  test::XorSkCipher cipher;
  const Bytes one = *encodeFragment(Header{}, PayloadType::Nonce, 2, 3, Bytes(20, 1), cipher);
  auto ok = decodeMessage(one);
  REQUIRE(ok);
  CHECK(ok->get<EncryptedPayload>(PayloadType::SKF)->firstInner == PayloadType::NoNext);
  auto withFields = [&](uint16_t number, uint16_t total) {
    Bytes b = one;
    storeBe16(b.data() + kIkeHeaderLen + 4, number);
    storeBe16(b.data() + kIkeHeaderLen + 6, total);
    return decodeMessage(b);
  };
  CHECK(withFields(0, 3).error().code == WireErrc::BadFragment);
  CHECK(withFields(4, 3).error().code == WireErrc::BadFragment);
  CHECK(withFields(1, 0).error().code == WireErrc::BadFragment);
  CHECK(withFields(3, 3));
  CHECK(encodeFragment(Header{}, PayloadType::Nonce, 4, 3, Bytes(4), cipher).error().code == WireErrc::BadFragment);
  Bytes cut(one.begin(), one.begin() + kIkeHeaderLen + 6);  // SKF without its fragment fields
  storeBe32(cut.data() + 24, static_cast<uint32_t>(cut.size()));
  storeBe16(cut.data() + kIkeHeaderLen + 2, 6);
  CHECK(decodeMessage(cut).error().code == WireErrc::BadPayloadLength);
}

TEST_CASE("reassembler follows RFC 7383 2.6 on changed totals and limits", "[ike][wire][skf]") {
  auto frag = [](uint16_t n, uint16_t t, size_t len = 4) {
    return Fragment{n, t, n == 1 ? PayloadType::Nonce : PayloadType::NoNext, Bytes(len, static_cast<uint8_t>(n))};
  };
  Reassembler r(8, 64);
  CHECK(r.add(frag(1, 3)) == FragmentVerdict::Stored);
  CHECK(r.add(frag(2, 3)) == FragmentVerdict::Stored);
  // A larger total: the peer re-fragmented; start over.
  CHECK(r.add(frag(1, 4)) == FragmentVerdict::Stored);
  CHECK(r.stored() == 1);
  // A smaller total belongs to the old set.
  CHECK(r.add(frag(3, 3)) == FragmentVerdict::Stale);
  CHECK(r.add(frag(2, 4)) == FragmentVerdict::Stored);
  CHECK(r.add(frag(3, 4)) == FragmentVerdict::Stored);
  CHECK(r.add(frag(4, 4)) == FragmentVerdict::Complete);
  Reassembled whole = r.take();
  CHECK(whole.firstInner == PayloadType::Nonce);
  CHECK(whole.inner == Bytes{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4});

  CHECK(r.add(frag(1, 9)) == FragmentVerdict::TooMany);
  CHECK(r.add(frag(1, 2, 60)) == FragmentVerdict::Stored);
  CHECK(r.add(frag(2, 2, 5)) == FragmentVerdict::TooMany);  // 65 bytes > 64
  CHECK(r.take().inner.empty());                             // incomplete: nothing to take
}
