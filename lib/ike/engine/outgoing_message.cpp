#include "ike/engine/outgoing_message.hpp"

#include <algorithm>

#include "ike/wire/message_codec.hpp"

namespace ipsecgw::ike {

namespace {

constexpr size_t kIpv4Header = 20, kIpv6Header = 40, kUdpHeader = 8;
constexpr size_t kNonEspMarker = 4;  // RFC 3948 2.2: IKE on port 4500
constexpr size_t kSkfHeader = 8;     // generic payload header + Fragment Number + Total Fragments

size_t ipUdpOverhead(bool ipv6, bool natT) {
  return (ipv6 ? kIpv6Header : kIpv4Header) + kUdpHeader + (natT ? kNonEspMarker : 0);
}

// Yes and Force send fragments; Accept only takes them (swanctl's meaning).
bool weFragment(const IkeSa& sa) {
  return sa.fragmentation && sa.connection && (sa.config().fragmentation == config::Fragmentation::Yes ||
                                               sa.config().fragmentation == config::Fragmentation::Force);
}

}  // namespace

size_t fragmentInnerBudget(size_t fragmentSize, bool ipv6, bool natT, size_t ivLength, size_t icvLength,
                           size_t blockSize) {
  const size_t fixed = ipUdpOverhead(ipv6, natT) + kIkeHeaderLen + kSkfHeader + ivLength + icvLength;
  if (fragmentSize <= fixed) return 0;
  // inner + padding + the pad length byte fill whole cipher blocks (RFC 7296
  // 3.14); the largest such span that fits, less the pad length byte.
  const size_t block = std::max<size_t>(blockSize, 1);
  const size_t room = (fragmentSize - fixed) / block * block;
  return room == 0 ? 0 : room - 1;
}

std::optional<std::vector<Bytes>> encodeOutgoing(const Message& m, IkeSa& sa, EngineContext& ctx) {
  std::vector<Bytes> out;
  // Only IKE_SA_INIT goes in the clear (RFC 7383 2.5: it is never fragmented).
  if (m.header.exchangeType == ExchangeType::IkeSaInit || !sa.outbound) {
    auto bytes = encodeMessage(m);
    if (!bytes) {
      ctx.count(EngineCounter::EncodeFailed);
      return std::nullopt;
    }
    out.push_back(std::move(*bytes));
    return out;
  }
  auto whole = encodeEncrypted(m, *sa.outbound);
  if (!whole) {
    ctx.count(EngineCounter::EncodeFailed);
    return std::nullopt;
  }
  const bool ipv6 = !sa.remote.address.isV4();
  const bool natT = sa.local.port != 500 || sa.remote.port != 500;
  const size_t limit = ctx.settings.fragmentSize;
  const size_t budget = fragmentInnerBudget(limit, ipv6, natT, sa.outbound->ivLength(), sa.outbound->icvLength(),
                                            sa.outbound->blockSize());
  if (!weFragment(sa) || whole->size() + ipUdpOverhead(ipv6, natT) <= limit || budget == 0) {
    out.push_back(std::move(*whole));
    return out;
  }
  // RFC 7383 2.5: the message is encoded once, its inner payload chain cut
  // into pieces, and each piece sealed into its own SKF with the same
  // message ID; a retransmission resends the same set.
  auto fragments = encodeFragments(m, budget, *sa.outbound);
  if (!fragments || fragments->empty()) {
    ctx.count(EngineCounter::EncodeFailed);
    return std::nullopt;
  }
  return std::move(*fragments);
}

}  // namespace ipsecgw::ike
