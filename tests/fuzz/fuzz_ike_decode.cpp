// libFuzzer target: the IKEv2 codec on untrusted datagrams (lib/ike/wire).
// Step 1 (header + outer chain) runs on every input, as it does before any
// SA is known. Step 2 runs through an identity SkCipher (8-byte IV, no ICV,
// block size 1): a real ICV would stop the fuzzer at the MAC, while here the
// padding check and the inner chain see fuzzed plaintext. Whatever decodes
// must re-encode, and re-decode to the same message.
#include <cstdint>
#include <span>
#include <vector>

#include "ike/wire/message_codec.hpp"
#include "ike/wire/reassembler.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

namespace {

class IdentitySkCipher final : public SkCipher {
 public:
  size_t ivLength() const override { return 8; }
  size_t icvLength() const override { return 0; }
  size_t blockSize() const override { return 1; }
  bool seal(std::span<uint8_t> m, size_t ivOffset) override { return ivOffset + 8 <= m.size(); }
  bool open(std::span<uint8_t> m, size_t ivOffset) override { return ivOffset + 8 <= m.size(); }
};

void mustHold(bool ok) {
  if (!ok) __builtin_trap();
}

// A decoded plain message re-encodes, and decoding that gives it back.
void checkPlainRoundTrip(const Message& m) {
  auto bytes = encodeMessage(m);
  mustHold(bool(bytes));
  auto again = decodeMessage(*bytes);
  mustHold(bool(again));
  mustHold(again->payloads.size() <= m.payloads.size());
  auto twice = encodeMessage(*again);
  mustHold(bool(twice) && *twice == *bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> datagram(data, data + size);
  (void)decodeHeader(datagram);
  auto outer = decodeMessage(datagram);
  if (!outer) return 0;
  const Payload* last = outer->payloads.empty() ? nullptr : &outer->payloads.back();
  IdentitySkCipher cipher;
  if (last && last->type == PayloadType::SK) {
    auto m = openMessage(datagram, *outer, cipher);
    if (!m) return 0;
    Message inner = *m;
    inner.payloads.erase(inner.payloads.begin(), inner.payloads.begin() + (outer->payloads.size() - 1));
    auto sealed = encodeEncrypted(inner, cipher);
    mustHold(bool(sealed));
    auto outer2 = decodeMessage(*sealed);
    mustHold(bool(outer2));
    auto m2 = openMessage(*sealed, *outer2, cipher);
    mustHold(bool(m2) && m2->payloads.size() <= inner.payloads.size());
  } else if (last && last->type == PayloadType::SKF) {
    auto f = openFragment(datagram, *outer, cipher);
    if (!f) return 0;
    Reassembler r;  // default limit: 64 fragments
    const bool single = f->total == 1;
    const FragmentVerdict want =
        f->total > 64 ? FragmentVerdict::TooMany : single ? FragmentVerdict::Complete : FragmentVerdict::Stored;
    mustHold(r.add(std::move(*f)) == want);
    if (want == FragmentVerdict::Complete) {
      Reassembled whole = r.take();
      (void)decodeChain(whole.firstInner, whole.inner);
    }
  } else {
    checkPlainRoundTrip(*outer);
  }
  return 0;
}
