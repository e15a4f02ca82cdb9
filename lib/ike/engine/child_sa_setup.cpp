#include "ike/engine/child_sa_setup.hpp"

#include <algorithm>

#include "ike/crypto/key_derivation.hpp"
#include "ike/crypto/random.hpp"
#include "ike/engine/traffic_selectors.hpp"
#include "ike/proposal/proposal_keywords.hpp"
#include "ike/proposal/proposal_selection.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::ike {

namespace {

Bytes spiBytes(uint32_t spi) {
  Bytes b(4);
  storeBe32(b.data(), spi);
  return b;
}

std::vector<Proposal> espProposals(const IkeSa& sa, size_t childIndex, bool withKe) {
  std::vector<Proposal> ours = sa.connection->espProposals[childIndex];
  if (!withKe)
    for (Proposal& p : ours)
      std::erase_if(p.transforms, [](const Transform& t) { return t.type == TransformType::Dh; });
  return ours;
}

const TsPayload* tsPayload(const Message& m, PayloadType t) { return m.get<TsPayload>(t); }

}  // namespace

std::optional<esp::Transform> espTransformOf(const Proposal& chosen) {
  const Transform* encr = chosenTransform(chosen, TransformType::Encr);
  const Transform* integ = chosenTransform(chosen, TransformType::Integ);
  if (!encr) return std::nullopt;
  const uint16_t bits = encr->keyLength.value_or(0);
  const bool noInteg = !integ || integ->id == 0;
  switch (static_cast<EncrId>(encr->id)) {
    case EncrId::AesGcm16:
      if (!noInteg) return std::nullopt;
      if (bits == 128) return esp::Transform::AesGcm128;
      if (bits == 256) return esp::Transform::AesGcm256;
      return std::nullopt;
    case EncrId::ChaCha20Poly1305:
      if (!noInteg || bits != 0) return std::nullopt;
      return esp::Transform::ChaCha20Poly1305;
    case EncrId::AesCbc:
      if (noInteg || integ->id != static_cast<uint16_t>(IntegId::HmacSha2_256_128)) return std::nullopt;
      if (bits == 128) return esp::Transform::AesCbc128HmacSha256;
      if (bits == 256) return esp::Transform::AesCbc256HmacSha256;
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<ChildRequest> makeChildRequest(IkeSa& sa, EngineContext& ctx, size_t childIndex, bool withKe) {
  const config::ChildConfig& child = sa.config().children[childIndex];
  ChildRequest r;
  r.childIndex = childIndex;
  r.offered = espProposals(sa, childIndex, withKe);
  if (r.offered.empty()) return std::nullopt;
  auto spi = ctx.allocateInboundSpi();
  if (!spi) {
    ctx.count(EngineCounter::CryptoFailure);
    return std::nullopt;
  }
  r.inboundSpi = *spi;
  r.tsi = toWire(child.localTs);
  r.tsr = toWire(child.remoteTs);
  r.transport = child.mode == esp::Mode::Transport;
  return r;
}

void addChildRequest(Message& m, const ChildRequest& r) {
  if (r.transport) m.add(NotifyPayload{ProtocolId::None, {}, NotifyType::UseTransportMode, {}});
  m.add(offerOf(r.offered, spiBytes(r.inboundSpi)));
  m.add(PayloadType::TSi, TsPayload{r.tsi});
  m.add(PayloadType::TSr, TsPayload{r.tsr});
}

Expected<ChildAgreement, NotifyType> selectChild(IkeSa& sa, EngineContext& ctx, const Message& request, bool withKe,
                                                 std::optional<size_t> onlyChild) {
  const SaPayload* saPayload = request.get<SaPayload>(PayloadType::SA);
  const TsPayload* tsi = tsPayload(request, PayloadType::TSi);
  const TsPayload* tsr = tsPayload(request, PayloadType::TSr);
  if (!saPayload || !tsi || !tsr) {
    ctx.count(EngineCounter::MissingPayload);
    return unexpected(NotifyType::InvalidSyntax);
  }
  const bool wantsTransport = request.findNotify(NotifyType::UseTransportMode) != nullptr;
  NotifyType failure = NotifyType::TsUnacceptable;
  const auto& children = sa.config().children;
  for (size_t i = 0; i < children.size(); ++i) {
    if (onlyChild && *onlyChild != i) continue;
    const config::ChildConfig& child = children[i];
    // A transport child needs the initiator to ask for it (1.3.1); a tunnel
    // child declines a transport request by answering without the notify.
    if (child.mode == esp::Mode::Transport && !wantsTransport) continue;
    // TSi is the initiator's side: our remote; TSr ours.
    auto narrowedI = narrow(tsi->selectors, toWire(child.remoteTs));
    auto narrowedR = narrow(tsr->selectors, toWire(child.localTs));
    if (narrowedI.empty() || narrowedR.empty()) continue;
    failure = NotifyType::NoProposalChosen;
    auto chosen = selectProposal(espProposals(sa, i, withKe), *saPayload);
    if (!chosen || chosen->spi.size() != 4 || !espTransformOf(*chosen)) continue;
    uint32_t peerSpi = loadBe32(chosen->spi.data());
    if (peerSpi < 256) continue;
    auto spi = ctx.allocateInboundSpi();
    if (!spi) {
      ctx.count(EngineCounter::CryptoFailure);
      return unexpected(NotifyType::TemporaryFailure);
    }
    ChildAgreement a;
    a.childIndex = i;
    a.chosen = std::move(*chosen);
    a.inboundSpi = *spi;
    a.outboundSpi = peerSpi;
    a.tsi = std::move(narrowedI);
    a.tsr = std::move(narrowedR);
    a.transport = child.mode == esp::Mode::Transport;
    return a;
  }
  ctx.count(failure == NotifyType::TsUnacceptable ? EngineCounter::TsUnacceptable : EngineCounter::ChildFailed);
  return unexpected(failure);
}

void addChildResponse(Message& m, const ChildAgreement& a) {
  if (a.transport) m.add(NotifyPayload{ProtocolId::None, {}, NotifyType::UseTransportMode, {}});
  Proposal p = a.chosen;
  p.spi = spiBytes(a.inboundSpi);
  m.add(SaPayload{{p}});
  m.add(PayloadType::TSi, TsPayload{a.tsi});
  m.add(PayloadType::TSr, TsPayload{a.tsr});
}

Expected<ChildAgreement, EngineCounter> acceptChild(const ChildRequest& r, const Message& response) {
  const SaPayload* saPayload = response.get<SaPayload>(PayloadType::SA);
  const TsPayload* tsi = tsPayload(response, PayloadType::TSi);
  const TsPayload* tsr = tsPayload(response, PayloadType::TSr);
  if (!saPayload || !tsi || !tsr) return unexpected(EngineCounter::MissingPayload);
  if (!acceptChosenProposal(r.offered, *saPayload)) return unexpected(EngineCounter::BadResponse);
  const Proposal& chosen = saPayload->proposals[0];
  if (chosen.spi.size() != 4 || loadBe32(chosen.spi.data()) < 256 || !espTransformOf(chosen))
    return unexpected(EngineCounter::BadResponse);
  if (!withinOffered(tsi->selectors, r.tsi) || !withinOffered(tsr->selectors, r.tsr))
    return unexpected(EngineCounter::BadResponse);
  const bool transport = response.findNotify(NotifyType::UseTransportMode) != nullptr;
  if (transport && !r.transport) return unexpected(EngineCounter::BadResponse);
  // A transport request answered without the notify is a tunnel-mode SA
  // (1.3.1); we refuse that for a child configured as transport.
  if (r.transport && !transport) return unexpected(EngineCounter::BadResponse);
  ChildAgreement a;
  a.childIndex = r.childIndex;
  a.chosen = chosen;
  a.inboundSpi = r.inboundSpi;
  a.outboundSpi = loadBe32(chosen.spi.data());
  a.tsi = tsi->selectors;
  a.tsr = tsr->selectors;
  a.transport = transport;
  return a;
}

bool establishChild(IkeSa& sa, EngineContext& ctx, const ChildAgreement& a, bool weInitiated, ByteView gir,
                    ByteView ni, ByteView nr, uint32_t replacesInboundSpi) {
  const config::ChildConfig& child = sa.config().children[a.childIndex];
  auto transform = espTransformOf(a.chosen);
  const Transform* encr = chosenTransform(a.chosen, TransformType::Encr);
  const Transform* integ = chosenTransform(a.chosen, TransformType::Integ);
  const Transform* esn = chosenTransform(a.chosen, TransformType::Esn);
  if (!transform || !encr) {
    ctx.count(EngineCounter::ChildFailed);
    return false;
  }
  ProtectionSuite suite{static_cast<EncrId>(encr->id), encr->keyLength.value_or(0), std::nullopt};
  if (integ && integ->id != 0) suite.integ = static_cast<IntegId>(integ->id);
  auto keys = deriveChildSaKeys(sa.prf, sa.skD.view(), suite, gir, ni, nr);
  if (!keys) {
    ctx.count(EngineCounter::CryptoFailure);
    return false;
  }
  // esp::SaConfig::keymat is cipher key || salt || integrity key.
  auto join = [](const SecretBytes& e, const SecretBytes& i) {
    SecretBytes k(e.size() + i.size());
    std::copy(e.view().begin(), e.view().end(), k.mutableView().begin());
    std::copy(i.view().begin(), i.view().end(), k.mutableView().begin() + static_cast<ptrdiff_t>(e.size()));
    return k;
  };
  SecretBytes i2r = join(keys->encrI2R, keys->integI2R);
  SecretBytes r2i = join(keys->encrR2I, keys->integR2I);

  ChildSaUp up;
  up.ikeSaId = sa.id;
  up.connection = sa.config().name;
  up.child = child.name;
  up.replacesInboundSpi = replacesInboundSpi;
  up.outboundAfterReplacedDown = replacesInboundSpi != 0 && !weInitiated;
  for (esp::SaConfig* c : {&up.inbound, &up.outbound}) {
    c->transform = *transform;
    c->mode = a.transport ? esp::Mode::Transport : esp::Mode::Tunnel;
    c->esn = esn && esn->id == static_cast<uint16_t>(EsnId::Esn);
    c->replayWindow = child.replayWindow;
    c->localAddress = sa.local.address;
    c->remoteAddress = sa.remote.address;
    c->lifetime = child.lifetime;
    // RFC 3948: behind a NAT (or forced) ESP rides in UDP on the IKE SA's
    // NAT-T ports (2.23: the ports IKE uses after the switch to 4500).
    if (sa.natDetected()) c->udpEncap = esp::UdpEncap{sa.local.port, sa.remote.port};
  }
  up.inbound.spi = a.inboundSpi;
  up.outbound.spi = a.outboundSpi;
  up.inbound.keymat = weInitiated ? std::move(r2i) : std::move(i2r);
  up.outbound.keymat = weInitiated ? std::move(i2r) : std::move(r2i);
  const auto& localTs = weInitiated ? a.tsi : a.tsr;
  const auto& remoteTs = weInitiated ? a.tsr : a.tsi;
  up.localTs = toPolicySide(localTs);
  up.remoteTs = toPolicySide(remoteTs);

  ChildSa record;
  record.childIndex = a.childIndex;
  record.name = child.name;
  record.inboundSpi = a.inboundSpi;
  record.outboundSpi = a.outboundSpi;
  record.proposal = proposalKeywords(a.chosen);
  record.localTs = localTs;
  record.remoteTs = remoteTs;
  record.establishedMs = ctx.nowMs;
  record.rekeyAtMs = rekeyDeadline(ctx.nowMs, child.rekeyTimeS);
  sa.children.push_back(std::move(record));
  ctx.events.emplace_back(std::move(up));
  return true;
}

}  // namespace ipsecgw::ike

namespace ipsecgw::ike {

bool retireChild(IkeSa& sa, EngineContext& ctx, uint32_t inboundSpi) {
  auto it = std::find_if(sa.children.begin(), sa.children.end(),
                         [&](const ChildSa& c) { return c.inboundSpi == inboundSpi; });
  if (it == sa.children.end()) return false;
  ChildSaDown down;
  down.ikeSaId = sa.id;
  down.connection = sa.config().name;
  down.child = it->name;
  down.inboundSpi = it->inboundSpi;
  down.outboundSpi = it->outboundSpi;
  down.localAddress = sa.local.address;
  ctx.releaseInboundSpi(it->inboundSpi);
  sa.children.erase(it);
  ctx.events.emplace_back(std::move(down));
  return true;
}

ChildSa* childByOutboundSpi(IkeSa& sa, uint32_t spi) {
  for (ChildSa& c : sa.children)
    if (c.outboundSpi == spi) return &c;
  return nullptr;
}

}  // namespace ipsecgw::ike
