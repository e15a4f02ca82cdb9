#include "ike/engine/ike_init_task.hpp"

#include "ike/crypto/random.hpp"
#include "ike/crypto/sk_cipher_factory.hpp"
#include "ike/engine/authenticator.hpp"
#include "ike/engine/nat_detection.hpp"
#include "ike/proposal/proposal_selection.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::ike {

namespace {

constexpr uint16_t kNatTPort = 4500;  // RFC 3948 2.2, RFC 7296 2.23

std::optional<KeGroup> firstGroup(const std::vector<Proposal>& ours) {
  for (const Proposal& p : ours)
    for (const Transform& t : p.transforms)
      if (t.type == TransformType::Dh) return static_cast<KeGroup>(t.id);
  return std::nullopt;
}

bool offersGroup(const std::vector<Proposal>& ours, uint16_t group) {
  for (const Proposal& p : ours)
    for (const Transform& t : p.transforms)
      if (t.type == TransformType::Dh && t.id == group) return true;
  return false;
}

NotifyPayload notify(NotifyType type, Bytes data = {}) { return NotifyPayload{ProtocolId::None, {}, type, std::move(data)}; }

bool announcesFragmentation(const IkeSa& sa) { return sa.config().fragmentation != config::Fragmentation::No; }

}  // namespace

void IkeInitTask::addNatDetection(Message& m) const {
  // The response hashes the SPIs of its own header (SPIr set), the request
  // a zero SPIr (2.23).
  const uint64_t spiR = initiator() ? 0 : sa_.spiR;
  NatHash source = natDetectionHash(sa_.spiI, spiR, sa_.local);
  if (sa_.config().forceEncap) {
    // strongSwan's encap=yes: a source hash nobody can match makes the peer
    // believe we are behind a NAT, so both sides UDP-encapsulate ESP.
    randomBytes(source);
  }
  NatHash dest = natDetectionHash(sa_.spiI, spiR, sa_.remote);
  m.add(notify(NotifyType::NatDetectionSourceIp, Bytes(source.begin(), source.end())));
  m.add(notify(NotifyType::NatDetectionDestinationIp, Bytes(dest.begin(), dest.end())));
}

void IkeInitTask::checkNatDetection(const Message& m) {
  // Hashes over the header's SPIs as the received message carries them.
  const uint64_t spiR = initiator() ? sa_.spiR : 0;
  auto sources = m.findAll(PayloadType::Notify);
  bool sawSource = false, sourceMatch = false, sawDest = false, destMatch = false;
  NatHash remoteHash = natDetectionHash(sa_.spiI, spiR, sa_.remote);
  NatHash localHash = natDetectionHash(sa_.spiI, spiR, sa_.local);
  for (const Payload* p : sources) {
    const auto* n = std::get_if<NotifyPayload>(&p->body);
    if (!n) continue;
    if (n->type == NotifyType::NatDetectionSourceIp) {
      sawSource = true;
      sourceMatch |= n->data.size() == 20 && std::equal(n->data.begin(), n->data.end(), remoteHash.begin());
    } else if (n->type == NotifyType::NatDetectionDestinationIp) {
      sawDest = true;
      destMatch |= n->data.size() == 20 && std::equal(n->data.begin(), n->data.end(), localHash.begin());
    }
  }
  // A peer that sends no hashes does not do NAT-T: assume no NAT.
  sa_.natRemote = sawSource && !sourceMatch;
  sa_.natLocal = sawDest && !destMatch;
  if (sa_.config().forceEncap) sa_.natLocal = true;
}

bool IkeInitTask::deriveKeys(ByteView peerKe, CryptoError& error) {
  auto gir = ke_->sharedSecret(peerKe);
  if (!gir) {
    error = gir.error();
    return false;
  }
  auto seed = skeyseed(sa_.prf, sa_.ni, sa_.nr, gir->view());
  if (!seed) {
    error = seed.error();
    return false;
  }
  auto keys = deriveIkeSaKeys(sa_.prf, sa_.suite, seed->view(), sa_.ni, sa_.nr, sa_.spiI, sa_.spiR);
  if (!keys) {
    error = keys.error();
    return false;
  }
  auto pair = makeSkCipherPair(sa_.suite, *keys, sa_.initiator ? Role::Initiator : Role::Responder);
  if (!pair) {
    error = pair.error();
    return false;
  }
  sa_.outbound = std::move(pair->outbound);
  sa_.inbound = std::move(pair->inbound);
  sa_.skD = std::move(keys->skD);
  sa_.skPi = std::move(keys->skPi);
  sa_.skPr = std::move(keys->skPr);
  ke_.reset();  // the private key is not needed any more
  return true;
}

// HDR, SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
//   [N(SIGNATURE_HASH_ALGORITHMS)]
TaskStatus IkeInitTask::buildI(Message& m) {
  const auto& ours = sa_.connection->ikeProposals;
  if (!group_) group_ = firstGroup(ours);
  if (!group_) {
    sa_.kill("no key exchange group configured");
    return TaskStatus::Failed;
  }
  // A COOKIE retry sends "all other payloads unchanged" (2.6): the same KE
  // and nonce; after INVALID_KE_PAYLOAD the group, hence the KE, changes.
  if (!ke_ || ke_->group() != *group_) {
    auto ke = KeyExchange::generate(*group_);
    if (!ke) {
      ctx_.count(EngineCounter::CryptoFailure);
      sa_.kill("crypto failure");
      return TaskStatus::Failed;
    }
    ke_ = std::move(*ke);
  }
  auto nonce = sa_.ni.empty() ? ctx_.nonce() : Expected<Bytes, CryptoError>(sa_.ni);
  if (!nonce) {
    ctx_.count(EngineCounter::CryptoFailure);
    sa_.kill("crypto failure");
    return TaskStatus::Failed;
  }
  sa_.ni = std::move(*nonce);
  // 2.6: the responder's cookie goes first.
  if (!cookie_.empty()) m.add(notify(NotifyType::Cookie, cookie_));
  m.add(offerOf(ours, {}));
  m.add(KePayload{static_cast<uint16_t>(*group_), ke_->publicValue()});
  m.add(NoncePayload{sa_.ni});
  addNatDetection(m);
  addInitPayloads(m, sa_);
  // RFC 7383 2.3: N(IKEV2_FRAGMENTATION_SUPPORTED), empty, in IKE_SA_INIT.
  if (announcesFragmentation(sa_)) m.add(notify(NotifyType::Ikev2FragmentationSupported));
  return TaskStatus::NeedMore;
}

void IkeInitTask::sent(const Bytes& datagram) {
  if (initiator())
    sa_.initRequest = datagram;
  else if (!error_)
    sa_.initResponse = datagram;
}

TaskStatus IkeInitTask::processI(const Message& m, ByteView raw) {
  const auto& ours = sa_.connection->ikeProposals;
  if (const NotifyPayload* n = m.findNotify(NotifyType::Cookie)) {
    // 2.6: the responder is under load; retry with its cookie (a few times:
    // a responder that keeps asking is not going to let us in).
    ctx_.count(EngineCounter::CookieReceived);
    if (n->data.empty() || n->data.size() > 64 || cookieRetries_ >= kMaxCookieRetries) {
      sa_.kill("COOKIE");
      return TaskStatus::Failed;
    }
    ++cookieRetries_;
    cookie_ = n->data;
    return TaskStatus::NeedMore;
  }
  if (const NotifyPayload* n = m.findNotify(NotifyType::InvalidKePayload)) {
    // 1.2: retry once with the group the responder wants, if we offer it.
    ctx_.count(EngineCounter::InvalidKe);
    if (n->data.size() == 2 && !retried_ && offersGroup(ours, loadBe16(n->data.data())) &&
        loadBe16(n->data.data()) != static_cast<uint16_t>(*group_)) {
      retried_ = true;
      group_ = static_cast<KeGroup>(loadBe16(n->data.data()));
      return TaskStatus::NeedMore;
    }
    sa_.kill("INVALID_KE_PAYLOAD");
    return TaskStatus::Failed;
  }
  if (const NotifyPayload* n = m.firstErrorNotify()) {
    ctx_.count(EngineCounter::PeerRefused);
    sa_.kill(name(n->type));
    return TaskStatus::Failed;
  }
  const SaPayload* saPayload = m.get<SaPayload>(PayloadType::SA);
  const KePayload* ke = m.get<KePayload>(PayloadType::KE);
  const NoncePayload* nonce = m.get<NoncePayload>(PayloadType::Nonce);
  if (!saPayload || !ke || !nonce || m.header.spiR == 0) {
    ctx_.count(EngineCounter::MissingPayload);
    sa_.kill("bad IKE_SA_INIT response");
    return TaskStatus::Failed;
  }
  const Transform* dh = saPayload->proposals.empty() ? nullptr : chosenTransform(saPayload->proposals[0], TransformType::Dh);
  if (!acceptChosenProposal(ours, *saPayload) || !dh || dh->id != ke->group || ke->group != static_cast<uint16_t>(*group_)) {
    ctx_.count(EngineCounter::BadResponse);
    sa_.kill("bad IKE_SA_INIT response");
    return TaskStatus::Failed;
  }
  sa_.chosen = saPayload->proposals[0];
  const Transform* encr = chosenTransform(sa_.chosen, TransformType::Encr);
  const Transform* prf = chosenTransform(sa_.chosen, TransformType::Prf);
  const Transform* integ = chosenTransform(sa_.chosen, TransformType::Integ);
  if (!encr || !prf) {
    ctx_.count(EngineCounter::BadResponse);
    sa_.kill("bad IKE_SA_INIT response");
    return TaskStatus::Failed;
  }
  sa_.prf = static_cast<PrfId>(prf->id);
  sa_.suite = ProtectionSuite{static_cast<EncrId>(encr->id), encr->keyLength.value_or(0), std::nullopt};
  if (integ && integ->id != 0) sa_.suite.integ = static_cast<IntegId>(integ->id);
  sa_.spiR = m.header.spiR;
  sa_.nr = nonce->data;
  CryptoError error{};
  if (!deriveKeys(ke->data, error)) {
    ctx_.count(error == CryptoError::BadPeerValue || error == CryptoError::ZeroSharedSecret ? EngineCounter::BadKeValue
                                                                                           : EngineCounter::CryptoFailure);
    sa_.kill("key derivation failed");
    return TaskStatus::Failed;
  }
  sa_.initResponse.assign(raw.begin(), raw.end());
  checkNatDetection(m);
  notePeerPayloads(sa_, m);
  sa_.fragmentation = announcesFragmentation(sa_) && m.findNotify(NotifyType::Ikev2FragmentationSupported);
  // 2.23: behind a NAT (or forced) the initiator continues on port 4500.
  if (sa_.natDetected()) {
    sa_.local.port = kNatTPort;
    sa_.remote.port = kNatTPort;
  }
  return TaskStatus::Done;
}

TaskStatus IkeInitTask::processR(const Message& m, ByteView raw) {
  sa_.initRequest.assign(raw.begin(), raw.end());
  // RFC 7383 2.3: the responder announces support only to an initiator
  // that announced it.
  sa_.fragmentation = announcesFragmentation(sa_) && m.findNotify(NotifyType::Ikev2FragmentationSupported);
  const SaPayload* saPayload = m.get<SaPayload>(PayloadType::SA);
  const KePayload* ke = m.get<KePayload>(PayloadType::KE);
  const NoncePayload* nonce = m.get<NoncePayload>(PayloadType::Nonce);
  if (!saPayload || !ke || !nonce) {
    ctx_.count(EngineCounter::MissingPayload);
    error_ = NotifyType::InvalidSyntax;
    return TaskStatus::Failed;
  }
  auto chosen = selectProposal(sa_.connection->ikeProposals, *saPayload);
  const Transform* dh = chosen ? chosenTransform(*chosen, TransformType::Dh) : nullptr;
  const Transform* encr = chosen ? chosenTransform(*chosen, TransformType::Encr) : nullptr;
  const Transform* prf = chosen ? chosenTransform(*chosen, TransformType::Prf) : nullptr;
  if (!chosen || !dh || !encr || !prf) {
    ctx_.count(EngineCounter::NoProposalChosen);
    error_ = NotifyType::NoProposalChosen;
    return TaskStatus::Failed;
  }
  if (ke->group != dh->id) {
    // 1.2: name the group we selected; the initiator retries with it.
    ctx_.count(EngineCounter::InvalidKe);
    error_ = NotifyType::InvalidKePayload;
    group_ = static_cast<KeGroup>(dh->id);
    return TaskStatus::Failed;
  }
  group_ = static_cast<KeGroup>(dh->id);
  sa_.chosen = std::move(*chosen);
  sa_.prf = static_cast<PrfId>(prf->id);
  const Transform* integ = chosenTransform(sa_.chosen, TransformType::Integ);
  sa_.suite = ProtectionSuite{static_cast<EncrId>(encr->id), encr->keyLength.value_or(0), std::nullopt};
  if (integ && integ->id != 0) sa_.suite.integ = static_cast<IntegId>(integ->id);
  auto ours = KeyExchange::generate(static_cast<KeGroup>(dh->id));
  auto nr = ctx_.nonce();
  if (!ours || !nr) {
    ctx_.count(EngineCounter::CryptoFailure);
    error_ = NotifyType::TemporaryFailure;
    return TaskStatus::Failed;
  }
  ke_ = std::move(*ours);
  sa_.ni = nonce->data;
  sa_.nr = std::move(*nr);
  keData_ = ke_->publicValue();
  CryptoError error{};
  if (!deriveKeys(ke->data, error)) {
    ctx_.count(error == CryptoError::BadPeerValue || error == CryptoError::ZeroSharedSecret ? EngineCounter::BadKeValue
                                                                                           : EngineCounter::CryptoFailure);
    error_ = NotifyType::InvalidSyntax;
    return TaskStatus::Failed;
  }
  checkNatDetection(m);
  notePeerPayloads(sa_, m);
  return TaskStatus::Done;
}

// HDR, SAr1, KEr, Nr, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
//   [N(SIGNATURE_HASH_ALGORITHMS), CERTREQ]
// or HDR, N(error)
TaskStatus IkeInitTask::buildR(Message& m) {
  if (error_) {
    Bytes data;
    if (*error_ == NotifyType::InvalidKePayload) {
      data.resize(2);
      storeBe16(data.data(), static_cast<uint16_t>(*group_));
    }
    m.add(notify(*error_, std::move(data)));
    // No state survives a refused IKE_SA_INIT (2.6: keep responders cheap).
    sa_.kill(name(*error_));
    return TaskStatus::Failed;
  }
  m.add(SaPayload{{sa_.chosen}});
  m.add(KePayload{static_cast<uint16_t>(*group_), keData_});
  m.add(NoncePayload{sa_.nr});
  addNatDetection(m);
  addInitPayloads(m, sa_);
  if (sa_.fragmentation) m.add(notify(NotifyType::Ikev2FragmentationSupported));
  return TaskStatus::Done;
}

}  // namespace ipsecgw::ike
