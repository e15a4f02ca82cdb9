#include "ike/engine/task_manager.hpp"

#include <cmath>

#include "ike/engine/outgoing_message.hpp"

namespace ipsecgw::ike {

namespace {
uint64_t backoffMs(const config::IkeSettings& s, uint32_t retransmits) {
  // Timeout before retransmission n+1 (strongSwan: timeout * base^n).
  return static_cast<uint64_t>(s.retransmitTimeoutMs * std::pow(s.retransmitBase, retransmits));
}
}  // namespace

TaskManager::Verdict TaskManager::classify(const Header& h) {
  if (h.isResponse()) {
    if (active_ && h.messageId == activeId_ && h.exchangeType == active_->exchange()) return Verdict::Process;
    ctx_.count(EngineCounter::UnexpectedResponse);
    return Verdict::Drop;
  }
  if (h.messageId == nextRecvId_) return Verdict::Process;
  if (haveResponse_ && h.messageId + 1 == nextRecvId_) return Verdict::ResendResponse;
  ctx_.count(EngineCounter::OutOfWindow);
  return Verdict::Drop;
}

Header TaskManager::header(ExchangeType t, bool response, uint32_t messageId) const {
  Header h;
  h.spiI = sa_.spiI;
  h.spiR = sa_.spiR;
  h.exchangeType = t;
  h.flags = static_cast<uint8_t>((sa_.initiator ? kFlagInitiator : 0) | (response ? kFlagResponse : 0));
  h.messageId = messageId;
  return h;
}

void TaskManager::send(const std::vector<Bytes>& datagrams) {
  sa_.lastSentMs = ctx_.nowMs;
  if (datagrams.size() > 1) {  // an RFC 7383 fragment set (a single SKF never happens: it would fit whole)
    ctx_.count(EngineCounter::FragmentedSent);
    for (size_t i = 0; i < datagrams.size(); ++i) ctx_.count(EngineCounter::FragmentsSent);
  }
  for (const Bytes& bytes : datagrams) ctx_.outgoing.push_back(Datagram{sa_.local, sa_.remote, bytes});
}

bool TaskManager::sendRequest() {
  Message m;
  m.header = header(active_->exchange(), false, activeId_);
  if (active_->build(m) == TaskStatus::Failed) return false;
  // Only IKE_SA_INIT goes in the clear; everything later needs the keys.
  if (m.header.exchangeType != ExchangeType::IkeSaInit && !sa_.outbound) return false;
  auto bytes = encodeOutgoing(m, sa_, ctx_);
  if (!bytes) return false;
  // Only IKE_SA_INIT's task keeps what it sent, and that is never fragmented.
  active_->sent(bytes->front());
  activeRequest_ = std::move(*bytes);
  retransmits_ = 0;
  deadlineMs_ = ctx_.nowMs + backoffMs(ctx_.settings, 0);
  send(activeRequest_);
  return true;
}

void TaskManager::kick() {
  while (!active_ && !queued_.empty() && !sa_.dead) {
    active_ = std::move(queued_.front());
    queued_.pop_front();
    activeId_ = nextSendId_;
    if (!sendRequest()) active_.reset();  // the task had nothing to send or failed
  }
}

void TaskManager::handleRequest(const Message& m, ByteView raw, TaskPtr task) {
  Message response;
  response.header = header(m.header.exchangeType, true, m.header.messageId);
  task->process(m, raw);
  task->build(response);
  // The responder's SPI may have been set while processing (IKE_SA_INIT).
  response.header.spiR = sa_.spiR;
  ++nextRecvId_;
  auto bytes = encodeOutgoing(response, sa_, ctx_);
  if (!bytes) return;
  task->sent(bytes->front());
  lastResponse_ = std::move(*bytes);
  haveResponse_ = true;
  send(lastResponse_);
}

void TaskManager::resendResponse() {
  if (!haveResponse_) return;
  ctx_.count(EngineCounter::RetransmitAnswered);
  send(lastResponse_);
}

void TaskManager::handleResponse(const Message& m, ByteView raw) {
  responseFragments_.reset();
  TaskStatus status = active_->process(m, raw);
  if (status == TaskStatus::NeedMore && !sa_.dead) {
    // RFC 7296 1.2/2.6: a retried IKE_SA_INIT starts over at message ID 0;
    // any other exchange continues with the next ID.
    if (active_->exchange() != ExchangeType::IkeSaInit) activeId_ = ++nextSendId_;
    if (sendRequest()) return;
  } else if (active_->exchange() != ExchangeType::IkeSaInit || status == TaskStatus::Done) {
    ++nextSendId_;
  }
  active_.reset();
  activeRequest_.clear();
  kick();
}

void TaskManager::tick(uint64_t nowMs) {
  if (requestFragments_.expire(nowMs)) ctx_.count(EngineCounter::FragmentTimeout);
  if (responseFragments_.expire(nowMs)) ctx_.count(EngineCounter::FragmentTimeout);
  if (!active_ || nowMs < deadlineMs_) return;
  if (retransmits_ >= ctx_.settings.retransmitTries) {
    ctx_.count(EngineCounter::PeerUnreachable);
    sa_.kill("peer unreachable");
    return;
  }
  ++retransmits_;
  deadlineMs_ = nowMs + backoffMs(ctx_.settings, retransmits_);
  ctx_.count(EngineCounter::RetransmitSent);
  send(activeRequest_);  // RFC 7383 2.6.1: a fragmented request goes again as a whole set
}

bool TaskManager::hasQueued(ExchangeType t) const {
  if (active_ && active_->exchange() == t) return true;
  for (const TaskPtr& task : queued_)
    if (task->exchange() == t) return true;
  return false;
}

void TaskManager::notifyAndForget(NotifyType type) {
  if (!sa_.outbound) return;
  Message m;
  m.header = header(ExchangeType::Informational, false, active_ ? activeId_ + 1 : nextSendId_);
  m.add(NotifyPayload{ProtocolId::None, {}, type, {}});
  if (auto bytes = encodeOutgoing(m, sa_, ctx_)) send(*bytes);
}

void TaskManager::clear() {
  active_.reset();
  queued_.clear();
  requestFragments_.reset();
  responseFragments_.reset();
}

}  // namespace ipsecgw::ike
