#include "ike/engine/informational_task.hpp"

#include "ike/engine/child_sa_setup.hpp"
#include "ike/engine/ike_rekey_task.hpp"

namespace ipsecgw::ike {

TaskStatus InformationalTask::buildI(Message& m) {
  switch (kind_) {
    case Kind::DeleteIke:
      sa_.state = IkeSaState::Deleting;
      m.add(DeletePayload{ProtocolId::Ike, {}});
      break;
    case Kind::DeleteChild:
      for (ChildSa& c : sa_.children)
        if (c.inboundSpi == spi_) c.deleting = true;  // 2.25.1: a rekey of it now gets TEMPORARY_FAILURE
      m.add(DeletePayload{ProtocolId::Esp, {spi_}});
      break;
    case Kind::Liveness:
      break;
  }
  return TaskStatus::NeedMore;
}

TaskStatus InformationalTask::processI(const Message&, ByteView) {
  // Whatever the peer answers, the SA we asked to delete is gone (1.4.1:
  // a peer that had deleted it already answers with an empty message).
  if (kind_ == Kind::DeleteIke) sa_.kill(sa_.supersededBy ? "rekeyed" : "deleted");
  if (kind_ == Kind::DeleteChild) retireChild(sa_, ctx_, spi_);
  return TaskStatus::Done;
}

TaskStatus InformationalTask::processR(const Message& m, ByteView) {
  // The initiator could not verify our AUTH (it sent this and dropped the SA).
  if (m.findNotify(NotifyType::AuthenticationFailed)) {
    ctx_.count(EngineCounter::PeerRefused);
    authFailed_ = true;
    return TaskStatus::Done;
  }
  for (const Payload* p : m.findAll(PayloadType::Delete)) {
    const auto* d = std::get_if<DeletePayload>(&p->body);
    if (!d) continue;
    if (d->protocol == ProtocolId::Ike) {
      deleteIke_ = true;
      continue;
    }
    if (d->protocol != ProtocolId::Esp) continue;
    for (uint32_t spi : d->spis) {
      ChildSa* child = childByOutboundSpi(sa_, spi);
      if (!child) {
        ctx_.count(EngineCounter::UnknownChildSpi);
        continue;
      }
      uint32_t inbound = child->inboundSpi;
      deletedInbound_.push_back(inbound);
      retireChild(sa_, ctx_, inbound);
    }
  }
  return TaskStatus::Done;
}

TaskStatus InformationalTask::buildR(Message& m) {
  if (authFailed_) {
    sa_.kill("AUTHENTICATION_FAILED");
    return TaskStatus::Done;
  }
  if (deleteIke_) {
    if (sa_.peerRekey) {
      // 2.8.2 with our rekey still unanswered: the peer deletes the old SA
      // only when its own new one won, so the children go there.
      if (IkeSa* theirs = ctx_.registry->find(sa_.peerRekey->newSpi)) moveChildren(sa_, *theirs);
      sa_.peerRekey.reset();
    }
    // 1.4.1: the IKE SA and all its children go; the answer is empty.
    sa_.kill(sa_.supersededBy ? "rekeyed" : "deleted by peer");
    return TaskStatus::Done;
  }
  if (!deletedInbound_.empty()) m.add(DeletePayload{ProtocolId::Esp, deletedInbound_});
  return TaskStatus::Done;
}

}  // namespace ipsecgw::ike
