#include "ike/engine/ike_auth_task.hpp"

#include "ike/crypto/psk_auth.hpp"
#include "ike/engine/identity.hpp"
#include "ike/engine/task_manager.hpp"

namespace ipsecgw::ike {

namespace {
NotifyPayload notify(NotifyType type) { return NotifyPayload{ProtocolId::None, {}, type, {}}; }
}  // namespace

// AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <our IKE_SA_INIT message> | <peer's nonce> | prf(SK_p, IDx'))
std::optional<Bytes> IkeAuthTask::ourAuth(const IdPayload& id) const {
  const bool i = sa_.initiator;
  auto auth = computePskAuth(sa_.prf, sa_.config().psk.view(), i ? sa_.initRequest : sa_.initResponse,
                             i ? sa_.nr : sa_.ni, i ? sa_.skPi.view() : sa_.skPr.view(), idPayloadBody(id));
  if (!auth) {
    ctx_.count(EngineCounter::CryptoFailure);
    return std::nullopt;
  }
  return std::move(*auth);
}

void IkeAuthTask::established() {
  sa_.state = IkeSaState::Established;
  sa_.establishedMs = ctx_.nowMs;
  sa_.rekeyAtMs = rekeyDeadline(ctx_.nowMs, sa_.config().rekeyTimeS);
  sa_.announced = true;
  ctx_.events.emplace_back(IkeSaUp{sa_.id, sa_.config().name, sa_.local, sa_.remote});
}

TaskStatus IkeAuthTask::buildI(Message& m) {
  const auto& cfg = sa_.config();
  IdPayload idi = idPayloadFor(cfg.localId, sa_.local.address);
  auto auth = ourAuth(idi);
  if (!auth) {
    sa_.kill("crypto failure");
    return TaskStatus::Failed;
  }
  m.add(PayloadType::IDi, idi);
  if (sa_.initialContact) m.add(notify(NotifyType::InitialContact));
  if (cfg.remoteId.type != config::IdentityConfig::Type::Any)
    m.add(PayloadType::IDr, idPayloadFor(cfg.remoteId, sa_.remote.address));
  m.add(AuthPayload{AuthMethod::SharedKeyMic, std::move(*auth)});
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
  const auto& cfg = sa_.config();
  if (!idMatches(cfg.remoteId, *idr)) {
    ctx_.count(EngineCounter::IdMismatch);
    releaseSpi();
    sa_.tasks->notifyAndForget(NotifyType::AuthenticationFailed);
    sa_.kill("AUTHENTICATION_FAILED");
    return TaskStatus::Failed;
  }
  if (auth->method != AuthMethod::SharedKeyMic ||
      !verifyPskAuth(sa_.prf, cfg.psk.view(), sa_.initResponse, sa_.ni, sa_.skPr.view(), idPayloadBody(*idr),
                     auth->data)) {
    ctx_.count(EngineCounter::AuthFailed);
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
  const auto& cfg = sa_.config();
  if (!idMatches(cfg.remoteId, *idi)) {
    ctx_.count(EngineCounter::IdMismatch);
    return TaskStatus::Failed;
  }
  if (auth->method != AuthMethod::SharedKeyMic ||
      !verifyPskAuth(sa_.prf, cfg.psk.view(), sa_.initRequest, sa_.nr, sa_.skPi.view(), idPayloadBody(*idi),
                     auth->data)) {
    ctx_.count(EngineCounter::AuthFailed);
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
  auto auth = ourAuth(idr);
  if (!auth) {
    m.add(notify(NotifyType::AuthenticationFailed));
    if (agreement_) ctx_.releaseInboundSpi(agreement_->inboundSpi);
    sa_.kill("crypto failure");
    return TaskStatus::Failed;
  }
  m.add(PayloadType::IDr, idr);
  m.add(AuthPayload{AuthMethod::SharedKeyMic, std::move(*auth)});
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
