#include "ike/engine/ike_auth_task.hpp"

#include "ike/engine/authenticator.hpp"
#include "ike/engine/identity.hpp"
#include "ike/engine/task_manager.hpp"

namespace ipsecgw::ike {

namespace {
NotifyPayload notify(NotifyType type) { return NotifyPayload{ProtocolId::None, {}, type, {}}; }
}  // namespace

void IkeAuthTask::established() {
  sa_.state = IkeSaState::Established;
  sa_.establishedMs = ctx_.nowMs;
  sa_.rekeyAtMs = rekeyDeadline(ctx_.nowMs, sa_.config().rekeyTimeS);
  sa_.announced = true;
  ctx_.events.emplace_back(IkeSaUp{sa_.id, sa_.config().name, sa_.local, sa_.remote});
}

// HDR, SK {IDi, [CERT+], [N(INITIAL_CONTACT)], [CERTREQ], [IDr], AUTH, ...}
TaskStatus IkeAuthTask::buildI(Message& m) {
  const auto& cfg = sa_.config();
  IdPayload idi = idPayloadFor(cfg.localId, sa_.local.address);
  m.add(PayloadType::IDi, idi);
  auto auth = addOurAuth(m, sa_, ctx_.counters, idi);  // the CERTs go in here
  if (!auth) {
    sa_.kill("crypto failure");
    return TaskStatus::Failed;
  }
  if (sa_.initialContact) m.add(notify(NotifyType::InitialContact));
  addCertReq(m, sa_);
  if (cfg.remoteId.type != config::IdentityConfig::Type::Any)
    m.add(PayloadType::IDr, idPayloadFor(cfg.remoteId, sa_.remote.address));
  m.add(std::move(*auth));
  if (firstChild_) {
    request_ = makeChildRequest(sa_, ctx_, *firstChild_, false);
    if (request_) addChildRequest(m, *request_);
  }
  return TaskStatus::NeedMore;
}

TaskStatus IkeAuthTask::processI(const Message& m, ByteView) {
  const IdPayload* idr = m.get<IdPayload>(PayloadType::IDr);
  const AuthPayload* auth = m.get<AuthPayload>(PayloadType::AUTH);
  auto releaseSpi = [&] {
    if (request_) ctx_.releaseInboundSpi(request_->inboundSpi);
  };
  if (!idr || !auth) {
    const NotifyPayload* n = m.firstErrorNotify();
    ctx_.count(n ? EngineCounter::PeerRefused : EngineCounter::MissingPayload);
    releaseSpi();
    sa_.kill(n ? std::string(name(n->type)) : "bad IKE_AUTH response");
    return TaskStatus::Failed;
  }
  if (auto failure = checkPeerAuth(sa_, m, *idr, *auth)) {
    ctx_.count(*failure);
    releaseSpi();
    sa_.tasks->notifyAndForget(NotifyType::AuthenticationFailed);
    sa_.kill("AUTHENTICATION_FAILED");
    return TaskStatus::Failed;
  }
  established();
  if (!request_) return TaskStatus::Done;
  if (const NotifyPayload* n = m.firstErrorNotify()) {
    // 2.21.3: the CHILD_SA failed, the IKE SA stands.
    ctx_.count(n->type == NotifyType::TsUnacceptable ? EngineCounter::TsUnacceptable : EngineCounter::ChildFailed);
    releaseSpi();
    return TaskStatus::Done;
  }
  auto agreement = acceptChild(*request_, m);
  if (!agreement) {
    ctx_.count(agreement.error());
    releaseSpi();
    return TaskStatus::Done;
  }
  if (!establishChild(sa_, ctx_, *agreement, true, {}, sa_.ni, sa_.nr)) releaseSpi();
  return TaskStatus::Done;
}

TaskStatus IkeAuthTask::processR(const Message& m, ByteView) {
  const IdPayload* idi = m.get<IdPayload>(PayloadType::IDi);
  const AuthPayload* auth = m.get<AuthPayload>(PayloadType::AUTH);
  if (!idi || !auth) {
    ctx_.count(EngineCounter::MissingPayload);
    return TaskStatus::Failed;
  }
  notePeerPayloads(sa_, m);  // its CERTREQ decides send_cert = ifasked
  if (auto failure = checkPeerAuth(sa_, m, *idi, *auth)) {
    ctx_.count(*failure);
    return TaskStatus::Failed;
  }
  authenticated_ = true;
  sa_.initialContact = m.findNotify(NotifyType::InitialContact) != nullptr;
  if (m.find(PayloadType::SA)) {
    auto agreement = selectChild(sa_, ctx_, m, false);
    if (agreement)
      agreement_ = std::move(*agreement);
    else
      childError_ = agreement.error();
  }
  return TaskStatus::Done;
}

TaskStatus IkeAuthTask::buildR(Message& m) {
  if (!authenticated_) {
    // 2.21.2: the only answer to a failed authentication; the half-made SA goes.
    m.add(notify(NotifyType::AuthenticationFailed));
    sa_.kill("AUTHENTICATION_FAILED");
    return TaskStatus::Failed;
  }
  const auto& cfg = sa_.config();
  IdPayload idr = idPayloadFor(cfg.localId, sa_.local.address);
  Message signedPart;  // IDr, [CERT+]: built aside, so that a failure answers with the notify alone
  signedPart.add(PayloadType::IDr, idr);
  auto auth = addOurAuth(signedPart, sa_, ctx_.counters, idr);
  if (!auth) {
    m.add(notify(NotifyType::AuthenticationFailed));
    if (agreement_) ctx_.releaseInboundSpi(agreement_->inboundSpi);
    sa_.kill("crypto failure");
    return TaskStatus::Failed;
  }
  for (Payload& p : signedPart.payloads) m.payloads.push_back(std::move(p));
  m.add(std::move(*auth));
  established();
  if (agreement_) {
    if (establishChild(sa_, ctx_, *agreement_, false, {}, sa_.ni, sa_.nr)) {
      addChildResponse(m, *agreement_);
    } else {
      ctx_.releaseInboundSpi(agreement_->inboundSpi);
      m.add(notify(NotifyType::NoProposalChosen));
    }
  } else if (childError_) {
    m.add(notify(*childError_));
  }
  return TaskStatus::Done;
}

}  // namespace ipsecgw::ike
