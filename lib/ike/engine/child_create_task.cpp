#include "ike/engine/child_create_task.hpp"

#include <algorithm>

#include "ike/crypto/random.hpp"
#include "ike/engine/informational_task.hpp"
#include "ike/engine/task_manager.hpp"
#include "ike/proposal/proposal_selection.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::ike {

namespace {
std::optional<uint16_t> groupOf(const Proposal& p) {
  const Transform* t = chosenTransform(p, TransformType::Dh);
  if (!t || t->id == 0) return std::nullopt;
  return t->id;
}
}  // namespace

ChildSa* ChildCreateTask::rekeyed() {
  if (!replaces_ || !initiator()) return nullptr;
  for (ChildSa& c : sa_.children)
    if (c.inboundSpi == replaces_) return &c;
  return nullptr;
}

bool ChildCreateTask::keyExchange(ByteView peer, SecretBytes& gir) {
  auto s = ke_->sharedSecret(peer);
  ke_.reset();
  if (!s) {
    ctx_.count(EngineCounter::BadKeValue);
    return false;
  }
  gir = std::move(*s);
  return true;
}

TaskStatus ChildCreateTask::buildI(Message& m) {
  if (sa_.state != IkeSaState::Established || childIndex_ >= sa_.config().children.size()) return TaskStatus::Failed;
  ChildSa* old = nullptr;
  if (replaces_) {
    old = rekeyed();
    // Deleted meanwhile, or the peer's rekey of it came first.
    if (!old || old->superseded || old->deleting) {
      if (request_) ctx_.releaseInboundSpi(request_->inboundSpi);  // an INVALID_KE retry's
      return TaskStatus::Failed;
    }
    childIndex_ = old->childIndex;
  }
  if (!retryGroup_) {
    request_ = makeChildRequest(sa_, ctx_, childIndex_, true);
    if (request_ && old) {
      // Rekey the selectors as negotiated, not as configured.
      request_->tsi = old->localTs;
      request_->tsr = old->remoteTs;
    }
    auto nonce = ctx_.nonce();
    if (!request_ || !nonce) {
      ctx_.count(EngineCounter::ChildFailed);
      if (request_) ctx_.releaseInboundSpi(request_->inboundSpi);
      return TaskStatus::Failed;
    }
    ni_ = std::move(*nonce);
  }
  // PFS (1.3.1): KEi for the group of our first proposal that has one, or
  // the one the responder asked for in INVALID_KE_PAYLOAD.
  std::optional<uint16_t> group = retryGroup_;
  for (const Proposal& p : request_->offered)
    if (!group) group = groupOf(p);
  if (group) {
    auto ke = KeyExchange::generate(static_cast<KeGroup>(*group));
    if (!ke) {
      ctx_.count(EngineCounter::CryptoFailure);
      ctx_.releaseInboundSpi(request_->inboundSpi);
      if (old) old->rekeying = false;
      return TaskStatus::Failed;
    }
    ke_ = std::move(*ke);
  }
  if (old) {
    old->rekeySent = true;
    Bytes spi(4);
    storeBe32(spi.data(), replaces_);
    m.add(NotifyPayload{ProtocolId::Esp, std::move(spi), NotifyType::RekeySa, {}});
  }
  addChildRequest(m, *request_);
  m.add(NoncePayload{ni_});
  if (ke_) m.add(KePayload{static_cast<uint16_t>(ke_->group()), ke_->publicValue()});
  return TaskStatus::NeedMore;
}

void ChildCreateTask::rekeyFailed() {
  ChildSa* old = rekeyed();
  if (!old) return;
  if (old->peerRekey) {
    // 2.8.1: the peer's simultaneous rekey succeeded where ours did not;
    // its SA survives and the peer deletes this one.
    old->peerRekey.reset();
    old->superseded = true;
    return;
  }
  old->rekeying = false;
  old->rekeyAtMs = ctx_.nowMs + kChildRekeyRetryMs;  // 2.25: "retry later"
}

TaskStatus ChildCreateTask::processI(const Message& m, ByteView) {
  if (ChildSa* old = rekeyed()) old->rekeySent = false;
  auto fail = [&](EngineCounter c) {
    ctx_.count(c);
    ctx_.releaseInboundSpi(request_->inboundSpi);
    rekeyFailed();
    return TaskStatus::Done;  // a failed child does not fail the IKE SA
  };
  if (const NotifyPayload* n = m.findNotify(NotifyType::InvalidKePayload)) {
    // 1.3.1 / 3.10.1: retry once with the group the responder wants, if
    // one of our proposals has it; same SPI and nonce, new KEi.
    ctx_.count(EngineCounter::InvalidKe);
    const uint16_t wanted = n->data.size() == 2 ? loadBe16(n->data.data()) : 0;
    const bool offered = std::any_of(request_->offered.begin(), request_->offered.end(), [&](const Proposal& p) {
      return std::any_of(p.transforms.begin(), p.transforms.end(),
                         [&](const Transform& t) { return t.type == TransformType::Dh && t.id == wanted; });
    });
    if (!retryGroup_ && offered && wanted != 0 && (!ke_ || static_cast<uint16_t>(ke_->group()) != wanted)) {
      retryGroup_ = wanted;
      ke_.reset();
      return TaskStatus::NeedMore;
    }
    return fail(EngineCounter::ChildFailed);
  }
  if (m.firstErrorNotify()) return fail(EngineCounter::ChildFailed);
  const NoncePayload* nr = m.get<NoncePayload>(PayloadType::Nonce);
  if (!nr) return fail(EngineCounter::MissingPayload);
  auto agreement = acceptChild(*request_, m);
  if (!agreement) return fail(agreement.error());
  SecretBytes gir;
  auto group = groupOf(agreement->chosen);
  if (group) {
    const KePayload* ke = m.get<KePayload>(PayloadType::KE);
    if (!ke_ || !ke || ke->group != *group || static_cast<uint16_t>(ke_->group()) != *group)
      return fail(EngineCounter::BadResponse);
    if (!keyExchange(ke->data, gir)) return fail(EngineCounter::BadKeValue);
  }
  if (!establishChild(sa_, ctx_, *agreement, true, gir.view(), ni_, nr->data, replaces_)) {
    ctx_.releaseInboundSpi(request_->inboundSpi);
    rekeyFailed();
    return TaskStatus::Done;
  }
  if (!replaces_) return TaskStatus::Done;
  auto deleteChild = [&](uint32_t spi) {
    sa_.tasks->queue(std::make_unique<InformationalTask>(sa_, ctx_, true, InformationalTask::Kind::DeleteChild, spi));
  };
  ChildSa* old = rekeyed();
  if (!old) {
    // 2.25.1: the peer deleted the child while we rekeyed it; the delete
    // wins, so the new SA goes too.
    deleteChild(agreement->inboundSpi);
    return TaskStatus::Done;
  }
  old->superseded = true;
  if (old->peerRekey && lowestNonceIn(ni_, nr->data, old->peerRekey->ni, old->peerRekey->nr)) {
    // 2.8.1: our new SA holds the lowest of the four nonces: redundant, we
    // delete it; the peer's survives and the peer deletes the old one.
    old->peerRekey.reset();
    ctx_.count(EngineCounter::RekeyCollisionLost);
    deleteChild(agreement->inboundSpi);
    return TaskStatus::Done;
  }
  // 1.3.3: the old SA goes once the new one is in place (and after 2.8.1 the
  // peer deletes its redundant one).
  old->peerRekey.reset();
  deleteChild(replaces_);
  return TaskStatus::Done;
}

TaskStatus ChildCreateTask::processR(const Message& m, ByteView) {
  const SaPayload* saPayload = m.get<SaPayload>(PayloadType::SA);
  const NoncePayload* ni = m.get<NoncePayload>(PayloadType::Nonce);
  if (!saPayload || !ni) {
    ctx_.count(EngineCounter::MissingPayload);
    error_ = NotifyType::InvalidSyntax;
    return TaskStatus::Failed;
  }
  if (!saPayload->proposals.empty() && saPayload->proposals[0].protocol == ProtocolId::Ike) {
    // IKE SA rekey (1.3.2) is not served yet.
    error_ = NotifyType::NoAdditionalSas;
    return TaskStatus::Failed;
  }
  std::optional<size_t> only;
  if (const NotifyPayload* rekey = m.findNotify(NotifyType::RekeySa)) {
    ChildSa* old = rekey->spi.size() == 4 ? childByOutboundSpi(sa_, loadBe32(rekey->spi.data())) : nullptr;
    if (!old) {
      ctx_.count(EngineCounter::UnknownChildSpi);
      error_ = NotifyType::ChildSaNotFound;
      return TaskStatus::Failed;
    }
    if (old->deleting || old->superseded) {
      // 2.25.1: we are closing it, or our own rekey of it already completed.
      ctx_.count(EngineCounter::RekeyRefusedBusy);
      error_ = NotifyType::TemporaryFailure;
      return TaskStatus::Failed;
    }
    only = old->childIndex;
    replaces_ = old->inboundSpi;
    collision_ = old->rekeySent;  // 2.8.1: ours is on the wire too
  }
  auto agreement = selectChild(sa_, ctx_, m, true, only);
  if (!agreement) {
    error_ = agreement.error();
    return TaskStatus::Failed;
  }
  agreement_ = std::move(*agreement);
  ni_ = ni->data;
  if (const KePayload* ke = m.get<KePayload>(PayloadType::KE)) {
    peerGroup_ = ke->group;
    peerKe_ = ke->data;
  }
  auto nr = ctx_.nonce();
  if (!nr) {
    error_ = NotifyType::TemporaryFailure;
    return TaskStatus::Failed;
  }
  nr_ = std::move(*nr);
  return TaskStatus::Done;
}

TaskStatus ChildCreateTask::buildR(Message& m) {
  auto refuse = [&](NotifyType t, Bytes data = {}) {
    if (agreement_) ctx_.releaseInboundSpi(agreement_->inboundSpi);
    m.add(NotifyPayload{ProtocolId::None, {}, t, std::move(data)});
    return TaskStatus::Failed;
  };
  if (error_) return refuse(*error_);
  SecretBytes gir;
  Bytes ourKe;
  auto group = groupOf(agreement_->chosen);
  if (group) {
    // PFS chosen: the request's KEi must be of that group (1.3.1, 3.10.1).
    if (!peerGroup_ || *peerGroup_ != *group) {
      Bytes data(2);
      storeBe16(data.data(), *group);
      ctx_.count(EngineCounter::InvalidKe);
      return refuse(NotifyType::InvalidKePayload, std::move(data));
    }
    auto ours = KeyExchange::generate(static_cast<KeGroup>(*group));
    if (!ours) return refuse(NotifyType::TemporaryFailure);
    ke_ = std::move(*ours);
    ourKe = ke_->publicValue();
    if (!keyExchange(peerKe_, gir)) return refuse(NotifyType::InvalidSyntax);
  }
  if (!establishChild(sa_, ctx_, *agreement_, false, gir.view(), ni_, nr_, replaces_))
    return refuse(NotifyType::NoProposalChosen);
  if (replaces_) {
    for (ChildSa& old : sa_.children) {
      if (old.inboundSpi != replaces_) continue;
      if (collision_) {
        // Our response to our own request decides which survives.
        old.peerRekey = ChildSa::PeerRekey{ni_, nr_, agreement_->inboundSpi};
      } else {
        // Replaced; the peer deletes it. No rekey of ours for it any more.
        old.superseded = true;
        old.rekeying = true;
      }
    }
  }
  addChildResponse(m, *agreement_);
  m.add(NoncePayload{nr_});
  if (group) m.add(KePayload{*group, std::move(ourKe)});
  return TaskStatus::Done;
}

}  // namespace ipsecgw::ike
