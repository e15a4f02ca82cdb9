// The task manager of one IKE SA (after strongSwan's task_manager_v2.c, with
// a window of one, RFC 7296 2.3): owns the message IDs, runs queued
// initiator tasks one exchange at a time, retransmits our outstanding
// request with exponential back-off (2.1) and gives the SA up when the
// retries are spent, answers each peer request through a responder task and
// caches the response so that a retransmitted request gets the same answer
// (2.1: "the responder MUST retransmit the response"), and drops everything
// outside the window. A message sent as RFC 7383 fragments is retransmitted
// and cached as the whole set (RFC 7383 2.6.1); fragments the peer sends are
// collected per direction until the message is whole.
#pragma once

#include <deque>
#include <vector>

#include "ike/engine/fragment_collector.hpp"
#include "ike/engine/task.hpp"

namespace ipsecgw::ike {

class TaskManager {
 public:
  TaskManager(IkeSa& sa, EngineContext& ctx) : sa_(sa), ctx_(ctx) {}

  enum class Verdict { Process, ResendResponse, Drop };
  // Message ID check on the header alone, before any crypto.
  Verdict classify(const Header& h);

  void queue(TaskPtr task) { queued_.push_back(std::move(task)); }
  // Starts the next queued task if no request is outstanding.
  void kick();
  // A request the classify() said to process, with its responder task.
  void handleRequest(const Message& m, ByteView raw, TaskPtr task);
  void handleResponse(const Message& m, ByteView raw);
  void resendResponse();
  // Where the fragments of the peer's request (or of the response to ours)
  // that classify() admitted are reassembled.
  FragmentCollector& fragments(bool response) { return response ? responseFragments_ : requestFragments_; }
  // Retransmission timer (and the fragment reassembly timeout).
  void tick(uint64_t nowMs);

  bool idle() const { return !active_ && queued_.empty(); }
  // Our request on the wire, if any (collision checks, 2.25).
  const Task* active() const { return active_.get(); }
  bool hasQueued(ExchangeType t) const;
  // Sends an INFORMATIONAL request holding only N(`type`) with the next
  // message ID and expects no answer: the SA is about to go (strongSwan's
  // AUTHENTICATION_FAILED after a failed check of the responder's AUTH).
  void notifyAndForget(NotifyType type);
  // Forget everything in flight (the SA is being destroyed).
  void clear();
  // Forget the queued tasks but finish the exchange in flight.
  void dropQueued() { queued_.clear(); }

 private:
  bool sendRequest();
  void send(const std::vector<Bytes>& datagrams);
  Header header(ExchangeType t, bool response, uint32_t messageId) const;

  IkeSa& sa_;
  EngineContext& ctx_;
  std::deque<TaskPtr> queued_;

  // Our outstanding request.
  TaskPtr active_;
  uint32_t nextSendId_ = 0;
  uint32_t activeId_ = 0;
  std::vector<Bytes> activeRequest_;  // one datagram, or the RFC 7383 fragments
  uint32_t retransmits_ = 0;
  uint64_t deadlineMs_ = 0;

  // The peer's requests.
  uint32_t nextRecvId_ = 0;
  bool haveResponse_ = false;
  std::vector<Bytes> lastResponse_;

  FragmentCollector requestFragments_, responseFragments_;
};

}  // namespace ipsecgw::ike
