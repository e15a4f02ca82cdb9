#include "ike/wire/message.hpp"

#include <algorithm>

namespace ipsecgw::ike {

TrafficSelector TrafficSelector::ipv4(std::array<uint8_t, 4> start, std::array<uint8_t, 4> end,
                                      uint8_t ipProtocol, uint16_t startPort, uint16_t endPort) {
  TrafficSelector ts;
  ts.type = TsType::Ipv4AddrRange;
  ts.ipProtocol = ipProtocol;
  ts.startPort = startPort;
  ts.endPort = endPort;
  std::copy(start.begin(), start.end(), ts.startAddress.begin());
  std::copy(end.begin(), end.end(), ts.endAddress.begin());
  return ts;
}

TrafficSelector TrafficSelector::ipv6(std::array<uint8_t, 16> start, std::array<uint8_t, 16> end,
                                      uint8_t ipProtocol, uint16_t startPort, uint16_t endPort) {
  TrafficSelector ts;
  ts.type = TsType::Ipv6AddrRange;
  ts.ipProtocol = ipProtocol;
  ts.startPort = startPort;
  ts.endPort = endPort;
  ts.startAddress = start;
  ts.endAddress = end;
  return ts;
}

Message& Message::add(PayloadType type, PayloadBody body, bool critical) {
  payloads.push_back(Payload{type, critical, std::move(body)});
  return *this;
}

const Payload* Message::find(PayloadType type) const {
  for (const Payload& p : payloads)
    if (p.type == type) return &p;
  return nullptr;
}

std::vector<const Payload*> Message::findAll(PayloadType type) const {
  std::vector<const Payload*> out;
  for (const Payload& p : payloads)
    if (p.type == type) out.push_back(&p);
  return out;
}

const NotifyPayload* Message::findNotify(NotifyType type) const {
  for (const Payload& p : payloads)
    if (const auto* n = std::get_if<NotifyPayload>(&p.body); n && n->type == type) return n;
  return nullptr;
}

const NotifyPayload* Message::firstErrorNotify() const {
  for (const Payload& p : payloads)
    if (const auto* n = std::get_if<NotifyPayload>(&p.body); n && isError(n->type)) return n;
  return nullptr;
}

}  // namespace ipsecgw::ike
