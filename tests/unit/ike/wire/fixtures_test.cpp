// Messages encoded by scapy (tests/vectors/ike/make_ike_fixtures.py, an
// independent encoder): each must decode to the facts the script wrote from
// the values it built the message with, and re-encode to the same bytes.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "ike/wire/message_codec.hpp"
#include "util/byte_order.hpp"
#include "util/hex.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

namespace {

std::string hexOr(std::span<const uint8_t> b) { return b.empty() ? "-" : encodeHex(b.data(), b.size()); }

std::string hex64(uint64_t v) {
  uint8_t b[8];
  storeBe64(b, v);
  return hexOr(b);
}

// One line per fact, in the script's format.
std::vector<std::string> describe(const Message& m) {
  std::vector<std::string> out;
  std::ostringstream h;
  h << "header " << hex64(m.header.spiI) << ' ' << hex64(m.header.spiR) << ' '
    << int(m.header.exchangeType) << ' ' << int(m.header.flags) << ' ' << m.header.messageId;
  out.push_back(h.str());
  for (const Payload& p : m.payloads) {
    std::ostringstream s;
    if (const auto* sa = std::get_if<SaPayload>(&p.body)) {
      for (const Proposal& pr : sa->proposals) {
        std::ostringstream l;
        l << "sa proposal " << int(pr.number) << ' ' << int(pr.protocol) << ' ' << hexOr(pr.spi) << ' ';
        for (size_t i = 0; i < pr.transforms.size(); ++i) {
          const Transform& t = pr.transforms[i];
          l << (i ? "," : "") << int(t.type) << '/' << t.id;
          if (t.keyLength) l << '/' << *t.keyLength;
        }
        out.push_back(l.str());
      }
      continue;
    } else if (const auto* ke = std::get_if<KePayload>(&p.body)) {
      s << "ke " << ke->group << ' ' << hexOr(ke->data);
    } else if (const auto* n = std::get_if<NoncePayload>(&p.body)) {
      s << "nonce " << hexOr(n->data);
    } else if (const auto* nt = std::get_if<NotifyPayload>(&p.body)) {
      s << "notify " << int(nt->protocol) << ' ' << hexOr(nt->spi) << ' ' << static_cast<uint16_t>(nt->type) << ' '
        << hexOr(nt->data);
    } else if (const auto* v = std::get_if<VendorIdPayload>(&p.body)) {
      s << "vendor " << hexOr(v->data);
    } else if (const auto* d = std::get_if<DeletePayload>(&p.body)) {
      s << "delete " << int(d->protocol) << ' ';
      if (d->spis.empty()) s << '-';
      for (size_t i = 0; i < d->spis.size(); ++i) {
        uint8_t b[4];
        storeBe32(b, d->spis[i]);
        s << (i ? "," : "") << hexOr(b);
      }
    } else if (const auto* ts = std::get_if<TsPayload>(&p.body)) {
      for (const TrafficSelector& t : ts->selectors) {
        std::ostringstream l;
        const size_t n = t.addressLength();
        l << (p.type == PayloadType::TSi ? "tsi " : "tsr ") << int(t.type) << ' ' << int(t.ipProtocol) << ' '
          << t.startPort << ' ' << t.endPort << ' ' << hexOr(std::span(t.startAddress).first(n)) << ' '
          << hexOr(std::span(t.endAddress).first(n));
        out.push_back(l.str());
      }
      continue;
    } else {
      s << "payload " << int(p.type);
    }
    out.push_back(s.str());
  }
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("scapy-built fixtures decode to the expected facts and re-encode identically", "[ike][wire][vectors]") {
  const std::string dir = IKE_FIXTURE_DIR;
  for (const char* name : {"ike_sa_init_request", "create_child_sa_ts", "informational_delete", "notify_invalid_ke"}) {
    INFO(name);
    std::string hex = readFile(dir + "/" + name + ".hex");
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
    auto bytes = decodeHex(hex);
    REQUIRE(bytes);
    const Bytes datagram(bytes->begin(), bytes->end());
    auto m = decodeMessage(datagram);
    if (!m) FAIL(wireErrorName(m.error().code) << " in payload " << int(m.error().payloadType));
    CHECK(describe(*m) == lines(readFile(dir + "/" + name + ".expect")));
    auto again = encodeMessage(*m);
    REQUIRE(again);
    CHECK(*again == datagram);
  }
}
