#include "ike/engine/ike_rekey_task.hpp"

#include "ike/crypto/sk_cipher_factory.hpp"
#include "ike/engine/child_create_task.hpp"
#include "ike/engine/informational_task.hpp"
#include "ike/engine/task_manager.hpp"
#include "ike/proposal/proposal_selection.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::ike {

namespace {

Bytes spiBytes(uint64_t spi) {
  Bytes b(8);
  storeBe64(b.data(), spi);
  return b;
}

NotifyPayload notify(NotifyType type, Bytes data = {}) { return NotifyPayload{ProtocolId::None, {}, type, std::move(data)}; }

bool offersGroup(const std::vector<Proposal>& ours, uint16_t group) {
  for (const Proposal& p : ours)
    for (const Transform& t : p.transforms)
      if (t.type == TransformType::Dh && t.id == group) return true;
  return false;
}

// A CHILD_SA exchange of ours that the IKE SA rekey would cut in half: its
// response would reach an IKE SA whose children have moved (2.25.2).
bool childExchangeInFlight(const IkeSa& sa) {
  const Task* t = sa.tasks->active();
  if (!t) return false;
  if (dynamic_cast<const ChildCreateTask*>(t)) return true;
  const auto* info = dynamic_cast<const InformationalTask*>(t);
  return info && info->kind() == InformationalTask::Kind::DeleteChild;
}

}  // namespace

bool IkeRekeyTask::isIkeRekey(const Message& m) {
  const SaPayload* sa = m.get<SaPayload>(PayloadType::SA);
  return sa && !sa->proposals.empty() && sa->proposals[0].protocol == ProtocolId::Ike;
}

void moveChildren(IkeSa& from, IkeSa& to) {
  for (ChildSa& c : from.children) {
    // A rekey queued on the old SA is dropped below; the timers ask again.
    c.rekeying = false;
    c.rekeySent = false;
    c.peerRekey.reset();
    to.children.push_back(std::move(c));
  }
  from.children.clear();
  from.supersededBy = to.ourSpi();
  from.tasks->dropQueued();
}

IkeSa* IkeRekeyTask::establish(const Proposal& chosen, uint64_t spiI, uint64_t spiR, ByteView peerKe) {
  const Transform* encr = chosenTransform(chosen, TransformType::Encr);
  const Transform* prf = chosenTransform(chosen, TransformType::Prf);
  const Transform* integ = chosenTransform(chosen, TransformType::Integ);
  if (!encr || !prf || !ke_) {
    ctx_.count(EngineCounter::BadResponse);
    return nullptr;
  }
  auto gir = ke_->sharedSecret(peerKe);
  ke_.reset();
  if (!gir) {
    ctx_.count(EngineCounter::BadKeValue);
    return nullptr;
  }
  // 2.18: the old SA's PRF and SK_d seed the new SA.
  auto seed = rekeySkeyseed(sa_.prf, sa_.skD.view(), gir->view(), ni_, nr_);
  if (!seed) {
    ctx_.count(EngineCounter::CryptoFailure);
    return nullptr;
  }
  auto fresh = std::make_unique<IkeSa>(ctx_.nextSaId++, initiator(), ctx_);
  fresh->spiI = spiI;
  fresh->spiR = spiR;
  fresh->connection = sa_.connection;
  fresh->local = sa_.local;
  fresh->remote = sa_.remote;
  fresh->natLocal = sa_.natLocal;
  fresh->natRemote = sa_.natRemote;
  // RFC 7383 2.3: what IKE_SA_INIT negotiated holds for the rekeyed SA too
  // (no IKE_SA_INIT announces it again).
  fresh->fragmentation = sa_.fragmentation;
  fresh->chosen = chosen;
  fresh->chosen.spi.clear();
  fresh->prf = static_cast<PrfId>(prf->id);
  fresh->suite = ProtectionSuite{static_cast<EncrId>(encr->id), encr->keyLength.value_or(0), std::nullopt};
  if (integ && integ->id != 0) fresh->suite.integ = static_cast<IntegId>(integ->id);
  auto keys = deriveIkeSaKeys(fresh->prf, fresh->suite, seed->view(), ni_, nr_, spiI, spiR);
  if (!keys) {
    ctx_.count(EngineCounter::CryptoFailure);
    return nullptr;
  }
  auto pair = makeSkCipherPair(fresh->suite, *keys, initiator() ? Role::Initiator : Role::Responder);
  if (!pair) {
    ctx_.count(EngineCounter::CryptoFailure);
    return nullptr;
  }
  fresh->outbound = std::move(pair->outbound);
  fresh->inbound = std::move(pair->inbound);
  fresh->skD = std::move(keys->skD);
  fresh->skPi = std::move(keys->skPi);
  fresh->skPr = std::move(keys->skPr);
  fresh->ni = ni_;
  fresh->nr = nr_;
  fresh->state = IkeSaState::Established;
  fresh->createdMs = fresh->establishedMs = ctx_.nowMs;
  fresh->lastSentMs = ctx_.nowMs;
  fresh->rekeyAtMs = rekeyDeadline(ctx_.nowMs, sa_.config().rekeyTimeS);
  fresh->announced = true;
  ctx_.events.emplace_back(IkeSaUp{fresh->id, sa_.config().name, fresh->local, fresh->remote});
  ctx_.count(EngineCounter::IkeRekeyed);
  return &ctx_.registry->adopt(std::move(fresh));
}

TaskStatus IkeRekeyTask::giveUp(uint64_t retryInMs) {
  sa_.rekeying = false;
  sa_.rekeySent = false;
  sa_.rekeyAtMs = retryInMs ? ctx_.nowMs + retryInMs : 0;
  if (sa_.peerRekey) {
    // The peer's simultaneous rekey succeeded where ours did not: its SA
    // takes the children, and the peer deletes this one.
    if (IkeSa* theirs = ctx_.registry->find(sa_.peerRekey->newSpi)) moveChildren(sa_, *theirs);
    sa_.peerRekey.reset();
  }
  return TaskStatus::Done;
}

// HDR, SK {SA, Ni, KEi}
TaskStatus IkeRekeyTask::buildI(Message& m) {
  if (sa_.state != IkeSaState::Established || sa_.supersededBy) {
    sa_.rekeying = false;
    return TaskStatus::Failed;
  }
  const auto& ours = sa_.connection->ikeProposals;
  if (!group_) {
    // The group the SA runs on now: the peer chose it once already.
    const Transform* dh = chosenTransform(sa_.chosen, TransformType::Dh);
    if (!dh || !offersGroup(ours, dh->id)) {
      sa_.rekeying = false;
      return TaskStatus::Failed;
    }
    group_ = static_cast<KeGroup>(dh->id);
  }
  auto spi = ourSpi_ ? std::optional<uint64_t>(ourSpi_) : ctx_.registry->freshSpi();
  auto ke = KeyExchange::generate(*group_);
  auto nonce = ni_.empty() ? ctx_.nonce() : Expected<Bytes, CryptoError>(ni_);
  if (!spi || !ke || !nonce) {
    ctx_.count(EngineCounter::CryptoFailure);
    sa_.rekeying = false;
    return TaskStatus::Failed;
  }
  ourSpi_ = *spi;
  ke_ = std::move(*ke);
  ni_ = std::move(*nonce);
  m.add(offerOf(ours, spiBytes(ourSpi_)));
  m.add(NoncePayload{ni_});
  m.add(KePayload{static_cast<uint16_t>(*group_), ke_->publicValue()});
  sa_.rekeySent = true;
  return TaskStatus::NeedMore;
}

TaskStatus IkeRekeyTask::processI(const Message& m, ByteView) {
  sa_.rekeySent = false;
  if (sa_.dead) return TaskStatus::Done;
  const auto& ours = sa_.connection->ikeProposals;
  if (const NotifyPayload* n = m.findNotify(NotifyType::InvalidKePayload)) {
    ctx_.count(EngineCounter::InvalidKe);
    if (n->data.size() == 2 && !retried_ && offersGroup(ours, loadBe16(n->data.data())) &&
        loadBe16(n->data.data()) != static_cast<uint16_t>(*group_)) {
      retried_ = true;
      group_ = static_cast<KeGroup>(loadBe16(n->data.data()));
      return TaskStatus::NeedMore;
    }
    return giveUp(0);
  }
  if (const NotifyPayload* n = m.firstErrorNotify()) {
    ctx_.count(EngineCounter::PeerRefused);
    // 2.25: TEMPORARY_FAILURE means "not now"; anything else will not change.
    return giveUp(n->type == NotifyType::TemporaryFailure ? kRekeyRetryMs : 0);
  }
  const SaPayload* saPayload = m.get<SaPayload>(PayloadType::SA);
  const KePayload* ke = m.get<KePayload>(PayloadType::KE);
  const NoncePayload* nonce = m.get<NoncePayload>(PayloadType::Nonce);
  if (!saPayload || !ke || !nonce) {
    ctx_.count(EngineCounter::MissingPayload);
    return giveUp(kRekeyRetryMs);
  }
  if (!acceptChosenProposal(ours, *saPayload)) {
    ctx_.count(EngineCounter::BadResponse);
    return giveUp(kRekeyRetryMs);
  }
  const Proposal& chosen = saPayload->proposals[0];
  const Transform* dh = chosenTransform(chosen, TransformType::Dh);
  const uint64_t spiR = chosen.spi.size() == 8 ? loadBe64(chosen.spi.data()) : 0;
  if (chosen.protocol != ProtocolId::Ike || spiR == 0 || !dh || dh->id != ke->group ||
      ke->group != static_cast<uint16_t>(*group_)) {
    ctx_.count(EngineCounter::BadResponse);
    return giveUp(kRekeyRetryMs);
  }
  nr_ = nonce->data;
  IkeSa* fresh = establish(chosen, ourSpi_, spiR, ke->data);
  if (!fresh) return giveUp(kRekeyRetryMs);
  sa_.rekeying = false;
  IkeSa* theirs = sa_.peerRekey ? ctx_.registry->find(sa_.peerRekey->newSpi) : nullptr;
  const bool weLose = theirs && lowestNonceIn(ni_, nr_, sa_.peerRekey->ni, sa_.peerRekey->nr);
  sa_.peerRekey.reset();
  if (weLose) {
    // 2.8.2: our new SA holds the lowest nonce: redundant, we delete it;
    // the peer's takes the children and the peer deletes the old one.
    ctx_.count(EngineCounter::RekeyCollisionLost);
    moveChildren(sa_, *theirs);
    fresh->tasks->queue(std::make_unique<InformationalTask>(*fresh, ctx_, true, InformationalTask::Kind::DeleteIke));
    return TaskStatus::Done;
  }
  // Ours survives (the peer deletes its redundant one, if any); the old SA
  // goes now (1.3.2).
  moveChildren(sa_, *fresh);
  sa_.tasks->queue(std::make_unique<InformationalTask>(sa_, ctx_, true, InformationalTask::Kind::DeleteIke));
  return TaskStatus::Done;
}

TaskStatus IkeRekeyTask::processR(const Message& m, ByteView) {
  const SaPayload* saPayload = m.get<SaPayload>(PayloadType::SA);
  const KePayload* ke = m.get<KePayload>(PayloadType::KE);
  const NoncePayload* ni = m.get<NoncePayload>(PayloadType::Nonce);
  if (!saPayload || !ni || !ke) {
    ctx_.count(EngineCounter::MissingPayload);
    error_ = NotifyType::InvalidSyntax;
    return TaskStatus::Failed;
  }
  if (sa_.state != IkeSaState::Established || sa_.supersededBy || childExchangeInFlight(sa_)) {
    // 2.25.2: being deleted, already rekeyed, or a CHILD_SA exchange of
    // ours still open on it: "not now".
    ctx_.count(EngineCounter::RekeyRefusedBusy);
    error_ = NotifyType::TemporaryFailure;
    return TaskStatus::Failed;
  }
  auto chosen = selectProposal(sa_.connection->ikeProposals, *saPayload);
  const Transform* dh = chosen ? chosenTransform(*chosen, TransformType::Dh) : nullptr;
  if (!chosen || !dh || chosen->spi.size() != 8 || loadBe64(chosen->spi.data()) == 0) {
    ctx_.count(EngineCounter::NoProposalChosen);
    error_ = NotifyType::NoProposalChosen;
    return TaskStatus::Failed;
  }
  group_ = static_cast<KeGroup>(dh->id);
  if (ke->group != dh->id) {
    ctx_.count(EngineCounter::InvalidKe);
    error_ = NotifyType::InvalidKePayload;
    return TaskStatus::Failed;
  }
  auto ours = KeyExchange::generate(*group_);
  auto nr = ctx_.nonce();
  auto spi = ctx_.registry->freshSpi();
  if (!ours || !nr || !spi) {
    ctx_.count(EngineCounter::CryptoFailure);
    error_ = NotifyType::TemporaryFailure;
    return TaskStatus::Failed;
  }
  ke_ = std::move(*ours);
  ni_ = ni->data;
  nr_ = std::move(*nr);
  ourSpi_ = *spi;
  peerSpi_ = loadBe64(chosen->spi.data());
  peerKe_ = ke->data;
  chosen_ = std::move(*chosen);
  return TaskStatus::Done;
}

// HDR, SK {SA, Nr, KEr} or HDR, SK {N(error)}
TaskStatus IkeRekeyTask::buildR(Message& m) {
  if (!error_) {
    Bytes keData = ke_->publicValue();
    if (IkeSa* fresh = establish(*chosen_, peerSpi_, ourSpi_, peerKe_)) {
      if (sa_.rekeySent) {
        // 2.8.2: ours is on the wire too; its response decides which new
        // SA survives. Until then the children stay here.
        sa_.peerRekey = IkeSa::PeerRekey{ni_, nr_, ourSpi_};
      } else {
        moveChildren(sa_, *fresh);
      }
      Proposal p = *chosen_;
      p.spi = spiBytes(ourSpi_);
      m.add(SaPayload{{std::move(p)}});
      m.add(NoncePayload{nr_});
      m.add(KePayload{static_cast<uint16_t>(*group_), std::move(keData)});
      return TaskStatus::Done;
    }
    error_ = NotifyType::NoProposalChosen;
  }
  Bytes data;
  if (*error_ == NotifyType::InvalidKePayload) {
    data.resize(2);
    storeBe16(data.data(), static_cast<uint16_t>(*group_));
  }
  m.add(notify(*error_, std::move(data)));
  return TaskStatus::Failed;
}

}  // namespace ipsecgw::ike
