// The Engine behind ike_engine.hpp: the IKE SA table (by our SPI, plus the
// responder's half-open index by the initiator's address and SPI), the
// receive path that checks header, SA and message ID before any crypto
// (RFC 7296 2.1, 2.2), timers, and the operator actions. Exchanges are the
// tasks' business; this file only routes to them.
#include <algorithm>
#include <map>
#include <tuple>

#include "ike/crypto/cookie.hpp"
#include "ike/crypto/random.hpp"
#include "ike/engine/child_create_task.hpp"
#include "ike/engine/ike_auth_task.hpp"
#include "ike/engine/engine_hooks.hpp"
#include "ike/engine/ike_init_task.hpp"
#include "ike/engine/ike_rekey_task.hpp"
#include "ike/engine/informational_task.hpp"
#include "ike/engine/task_manager.hpp"
#include "ike/engine/traffic_selectors.hpp"
#include "ike/proposal/proposal_keywords.hpp"
#include "ike/wire/message_codec.hpp"
#include "util/hex.hpp"

namespace ipsecgw::ike {

namespace {

// A responder SA that has not completed IKE_AUTH in this time is dropped
// (2.6 leaves it to the implementation; strongSwan uses 30 s).
constexpr uint64_t kHalfOpenTimeoutMs = 30000;

// RFC 3948 4: keepalives keep the NAT mapping in front of us alive; 20 s is
// its suggestion and strongSwan's keep_alive default.
constexpr uint64_t kNatKeepaliveMs = 20000;

// Re-initiation after a dead peer (dpd_action = restart) or a failed
// attempt (keyingtries): the first after 1 s, then doubling up to 60 s, so
// that a peer that stays away is not hammered.
constexpr uint64_t kRestartDelayMs = 1000;

// Unprotected INVALID_IKE_SPI answers (2.21.4) per second, at most: anyone
// can make us send them, so they must not become a reflector.
constexpr uint32_t kUnknownSpiAnswersPerSecond = 10;

// Half-open IKE SAs one source address may hold without a COOKIE, and as
// many again on COOKIEs (strongSwan's block_threshold). Beyond the first
// share its IKE_SA_INIT requests are asked for a COOKIE, so that a flood
// spoofing a peer's address cannot lock that peer out; beyond the second
// they are dropped.
constexpr uint32_t kHalfOpenPerSource = 5;
constexpr uint64_t kRestartDelayMaxMs = 60000;

bool isCryptoError(WireErrc c) { return c == WireErrc::IcvFailure || c == WireErrc::BadPadding; }

const char* stateName(IkeSaState s) {
  switch (s) {
    case IkeSaState::Connecting: return "CONNECTING";
    case IkeSaState::Established: return "ESTABLISHED";
    case IkeSaState::Deleting: return "DELETING";
  }
  return "UNKNOWN";
}

ConnectionEntry makeEntry(config::ConnectionConfig&& c) {
  ConnectionEntry e;
  // Keywords the proposal parser refuses are left out here; the config
  // layer reports them to the operator.
  for (const std::string& k : c.ikeProposals)
    if (auto p = parseIkeProposal(k)) e.ikeProposals.push_back(std::move(*p));
  for (const config::ChildConfig& child : c.children) {
    std::vector<Proposal> esp;
    for (const std::string& k : child.espProposals)
      if (auto p = parseEspProposal(k)) esp.push_back(std::move(*p));
    e.espProposals.push_back(std::move(esp));
  }
  if (c.auth == config::AuthMethod::Pubkey) {
    // The config layer parsed these files; a failure here leaves the
    // connection without credentials, and its IKE_AUTH fails (counted).
    std::string error;
    e.credentials = loadCredentials(c.pubkey, error);
  }
  e.config = std::move(c);
  return e;
}

class EngineImpl final : public Engine, private SaRegistry {
 public:
  EngineImpl(const config::IkeSettings& settings, std::vector<config::ConnectionConfig>&& connections,
             EngineHooks&& hooks);

  void receive(Datagram&& d, uint64_t nowMs) override;
  void tick(uint64_t nowMs) override;
  bool initiate(std::string_view connection, std::string_view child, uint64_t nowMs, std::string& error) override;
  bool terminate(std::string_view connection, uint64_t nowMs, std::string& error) override;
  bool terminateChild(std::string_view connection, std::string_view child, uint64_t nowMs,
                      std::string& error) override;
  void childTrafficSeen(uint32_t inboundSpi, uint64_t nowMs) override;
  void childSoftExpired(uint32_t inboundSpi, uint64_t nowMs) override;
  bool rekeyIke(std::string_view connection, uint64_t nowMs, std::string& error) override;
  bool rekeyChild(std::string_view connection, std::string_view child, uint64_t nowMs, std::string& error) override;
  bool rekeyIkeSa(uint64_t ikeSaId, uint64_t nowMs, std::string& error) override;
  bool rekeyChildSa(uint32_t inboundSpi, uint64_t nowMs, std::string& error) override;
  bool addConnection(config::ConnectionConfig&& connection, std::string& error) override;
  bool removeConnection(std::string_view connection, uint64_t nowMs, std::string& error) override;
  const config::ConnectionConfig* connectionConfig(std::string_view connection) const override {
    const ConnectionEntry* e = ctx_.findConnection(connection);
    return e ? &e->config : nullptr;
  }
  std::vector<Datagram> takeOutgoing() override { return std::exchange(ctx_.outgoing, {}); }
  std::vector<SaEvent> takeEvents() override { return std::exchange(ctx_.events, {}); }
  std::vector<IkeSaInfo> listSas() const override;
  std::vector<EngineCounterValue> counters() const override;

 private:
  using HalfOpenKey = std::tuple<IpAddress, uint16_t, uint64_t>;

  void receiveInitRequest(Datagram& d, const Header& h);
  void dispatch(IkeSa& sa, Datagram& d, const Header& h);
  TaskPtr responderTask(IkeSa& sa, const Message& request);
  // RFC 7383: the whole message once `d` completed its fragment set.
  std::optional<Message> reassemble(IkeSa& sa, Datagram& d, const Header& h, const Message& outer);
  static bool wholeOrFirstFragment(const Datagram& d);
  // SaRegistry, for the IKE SA rekey.
  std::optional<uint64_t> freshSpi() override;
  IkeSa* find(uint64_t ourSpi) override;
  IkeSa& adopt(IkeSaPtr sa) override;
  void afterStep(IkeSa& sa);
  void startChildRekey(IkeSa& sa, ChildSa& child);
  void startIkeRekey(IkeSa& sa);
  void kickAll();
  void sendKeepalive(IkeSa& sa);
  // Brings up `children` of `conn` on its live IKE SA, or a new one.
  bool bringUp(const ConnectionEntry* conn, const std::vector<size_t>& children, uint32_t attempt, std::string& error);
  void scheduleRestart(const IkeSa& sa);
  void answerUnknownSpi(const Datagram& d, const Header& h);
  // 2.6: whether the request may get state, and whether it proved its
  // source address with a COOKIE; Refused ones were answered with a COOKIE
  // or dropped and counted.
  enum class Admission : uint8_t { Refused, Admitted, AdmittedOnCookie };
  Admission admitInitRequest(const Datagram& d, const Header& h, const Message& m);
  void halfOpenDone(uint64_t ourSpi);
  void runRestarts();
  void sweep();
  void destroy(IkeSa& sa);

  EngineContext ctx_;
  std::map<uint64_t, IkeSaPtr> sas_;  // by our SPI
  std::map<HalfOpenKey, uint64_t> halfOpen_;
  std::map<uint64_t, uint64_t> lastSeenMs_;  // our SPI -> last authenticated message (DPD)

  // Connections to initiate again by themselves (dpd_action, keyingtries).
  struct Restart {
    const ConnectionEntry* conn;
    std::vector<size_t> children;
    uint32_t attempt;  // the attempt this will be, from 1
    uint64_t atMs;
  };
  std::vector<Restart> restarts_;

  // Responder SAs before IKE_AUTH completes (2.6), by our SPI, with the
  // initiator's address and whether it came back with a COOKIE, and their
  // count per (address, cookie). The two are limited apart: requests that
  // spoof the peer's address fill only its no-cookie slots, and then the
  // peer itself gets in on a cookie (which the spoofer never sees).
  using HalfOpenSource = std::pair<IpAddress, bool>;
  std::map<uint64_t, HalfOpenSource> halfOpenSas_;
  std::map<HalfOpenSource, uint32_t> halfOpenBySource_;
  CookieSecrets cookies_;

  uint64_t unknownSpiWindowMs_ = 0;  // start of the current second
  uint32_t unknownSpiAnswers_ = 0;   // answers sent in it
};

EngineImpl::EngineImpl(const config::IkeSettings& settings, std::vector<config::ConnectionConfig>&& connections,
                       EngineHooks&& hooks) {
  ctx_.settings = settings;
  ctx_.registry = this;
  ctx_.nonceSource = std::move(hooks.nonce);
  for (config::ConnectionConfig& c : connections) ctx_.connections.push_back(makeEntry(std::move(c)));
}

std::optional<uint64_t> EngineImpl::freshSpi() {
  for (int i = 0; i < 16; ++i) {
    auto spi = makeIkeSpi();
    if (!spi) return std::nullopt;
    if (!sas_.count(*spi)) return *spi;
  }
  return std::nullopt;
}

IkeSa* EngineImpl::find(uint64_t ourSpi) {
  auto it = sas_.find(ourSpi);
  return it == sas_.end() || it->second->dead ? nullptr : it->second.get();
}

IkeSa& EngineImpl::adopt(IkeSaPtr sa) {
  IkeSa& ref = *sa;
  lastSeenMs_[ref.ourSpi()] = ctx_.nowMs;
  sas_.emplace(ref.ourSpi(), std::move(sa));
  return ref;
}

void EngineImpl::sendKeepalive(IkeSa& sa) {
  // Only the side behind the NAT (the peer's NAT_DETECTION_DESTINATION_IP
  // did not match us, or encap is forced, 2.23) and only on the NAT-T
  // port; any datagram we sent refreshes the mapping as well.
  if (!sa.natLocal || sa.local.port == 500 || ctx_.nowMs - sa.lastSentMs < kNatKeepaliveMs) return;
  sa.lastSentMs = ctx_.nowMs;
  ctx_.count(EngineCounter::KeepaliveSent);
  ctx_.outgoing.push_back(Datagram{sa.local, sa.remote, {0xFF}, true});
}

void EngineImpl::kickAll() {
  // A task of one SA may queue work on another (IKE SA rekey).
  for (auto& [spi, sa] : sas_)
    if (!sa->dead) sa->tasks->kick();
}

void EngineImpl::receive(Datagram&& d, uint64_t nowMs) {
  ctx_.nowMs = nowMs;
  auto h = decodeHeader(d.bytes);
  if (!h) {
    ctx_.count(EngineCounter::BadHeader);
    return;
  }
  if (h->exchangeType == ExchangeType::IkeSaInit && !h->isResponse()) {
    receiveInitRequest(d, *h);
  } else {
    // The I flag says who sent it: from the original initiator, our SPI is
    // SPIr (we are the responder), else SPIi.
    uint64_t ours = h->isInitiator() ? h->spiR : h->spiI;
    auto it = sas_.find(ours);
    if (it == sas_.end() || it->second->spiI != h->spiI) {
      ctx_.count(EngineCounter::UnknownSpi);
      answerUnknownSpi(d, *h);
      return;
    }
    IkeSa& sa = *it->second;
    if (h->isInitiator() == sa.initiator) {
      ctx_.count(EngineCounter::BadFlags);
      return;
    }
    // Until IKE_SA_INIT completes the initiator does not know SPIr.
    if (sa.spiR != 0 && h->spiR != sa.spiR && h->exchangeType != ExchangeType::IkeSaInit) {
      ctx_.count(EngineCounter::UnknownSpi);
      answerUnknownSpi(d, *h);
      return;
    }
    dispatch(sa, d, *h);
  }
  sweep();
}

// 2.21.4: a request outside any IKE SA we know (we may have restarted) MAY
// be answered, unprotected, with INVALID_IKE_SPI, the SPIs and message ID
// copied, to where it came from; a response MUST NOT be. The peer must not
// change any state on it, so this only speeds up its own liveness check.
void EngineImpl::answerUnknownSpi(const Datagram& d, const Header& h) {
  if (h.isResponse() || h.exchangeType == ExchangeType::IkeSaInit) return;
  if (ctx_.nowMs - unknownSpiWindowMs_ >= 1000) {
    unknownSpiWindowMs_ = ctx_.nowMs;
    unknownSpiAnswers_ = 0;
  }
  if (unknownSpiAnswers_ >= kUnknownSpiAnswersPerSecond) return;
  Message m;
  m.header = h;
  m.header.flags = static_cast<uint8_t>(kFlagResponse | (h.isInitiator() ? 0 : kFlagInitiator));
  m.add(NotifyPayload{ProtocolId::None, {}, NotifyType::InvalidIkeSpi, {}});
  auto bytes = encodeMessage(m);
  if (!bytes) return;
  ++unknownSpiAnswers_;
  ctx_.count(EngineCounter::UnknownSpiAnswered);
  ctx_.outgoing.push_back(Datagram{d.local, d.remote, std::move(*bytes)});
}

EngineImpl::Admission EngineImpl::admitInitRequest(const Datagram& d, const Header& h, const Message& m) {
  const auto plain = halfOpenBySource_.find(HalfOpenSource{d.remote.address, false});
  const bool sourceFull = plain != halfOpenBySource_.end() && plain->second >= kHalfOpenPerSource;
  if (halfOpenSas_.size() < ctx_.settings.cookieThreshold && !sourceFull) return Admission::Admitted;
  // Past the threshold, or this address holds its share of half-open SAs
  // already: state only for a request that proves it can receive at its
  // source address. 2.6: N(COOKIE) must be the first payload of the retry.
  const NoncePayload* ni = m.get<NoncePayload>(PayloadType::Nonce);
  const ByteView nonce = ni ? ByteView(ni->data) : ByteView();
  const ByteView ipi(d.remote.address.bytes.data(), d.remote.address.size());
  const NotifyPayload* cookie = m.payloads.empty() ? nullptr : std::get_if<NotifyPayload>(&m.payloads.front().body);
  if (cookie && cookie->type != NotifyType::Cookie) cookie = nullptr;
  if (cookie && cookies_.verify(cookie->data, nonce, ipi, h.spiI, ctx_.nowMs)) {
    // A real address may still not hold more than its share (strongSwan's
    // block_threshold); it is the one that answers, so no cookie for it.
    const auto proven = halfOpenBySource_.find(HalfOpenSource{d.remote.address, true});
    if (proven != halfOpenBySource_.end() && proven->second >= kHalfOpenPerSource) {
      ctx_.count(EngineCounter::HalfOpenLimit);
      return Admission::Refused;
    }
    return Admission::AdmittedOnCookie;
  }
  if (cookie) ctx_.count(EngineCounter::CookieRejected);
  // HDR(SPIi, 0), N(COOKIE): stateless, nothing allocated for it.
  auto value = cookies_.make(nonce, ipi, h.spiI, ctx_.nowMs);
  if (value.empty()) {
    ctx_.count(EngineCounter::CryptoFailure);
    return Admission::Refused;
  }
  Message r;
  r.header = h;
  r.header.spiR = 0;
  r.header.flags = kFlagResponse;
  r.add(NotifyPayload{ProtocolId::None, {}, NotifyType::Cookie, std::move(value)});
  if (auto bytes = encodeMessage(r)) {
    ctx_.count(EngineCounter::CookieSent);
    ctx_.outgoing.push_back(Datagram{d.local, d.remote, std::move(*bytes)});
  }
  return Admission::Refused;
}

void EngineImpl::halfOpenDone(uint64_t ourSpi) {
  auto it = halfOpenSas_.find(ourSpi);
  if (it == halfOpenSas_.end()) return;
  auto src = halfOpenBySource_.find(it->second);
  if (src != halfOpenBySource_.end() && --src->second == 0) halfOpenBySource_.erase(src);
  halfOpenSas_.erase(it);
}

void EngineImpl::receiveInitRequest(Datagram& d, const Header& h) {
  if (!h.isInitiator() || h.spiR != 0) {
    ctx_.count(EngineCounter::BadFlags);
    return;
  }
  auto known = halfOpen_.find(HalfOpenKey{d.remote.address, d.remote.port, h.spiI});
  if (known != halfOpen_.end()) {
    auto it = sas_.find(known->second);
    if (it != sas_.end()) dispatch(*it->second, d, h);
    return;
  }
  if (h.messageId != 0) {
    ctx_.count(EngineCounter::OutOfWindow);
    return;
  }
  // Decode before allocating anything for it.
  auto m = decodeMessage(d.bytes);
  if (!m) {
    ctx_.count(EngineCounter::DecodeFailed);
    return;
  }
  const ConnectionEntry* conn = ctx_.findByAddresses(d.local.address, d.remote.address);
  if (!conn) {
    ctx_.count(EngineCounter::NoConnection);
    return;
  }
  const Admission admission = admitInitRequest(d, h, *m);
  if (admission == Admission::Refused) return;
  auto spi = freshSpi();
  if (!spi) {
    ctx_.count(EngineCounter::CryptoFailure);
    return;
  }
  auto sa = std::make_unique<IkeSa>(ctx_.nextSaId++, false, ctx_);
  sa->spiI = h.spiI;
  sa->spiR = *spi;
  sa->connection = conn;
  sa->local = d.local;
  sa->remote = d.remote;
  sa->createdMs = ctx_.nowMs;
  IkeSa& ref = *sa;
  sas_.emplace(*spi, std::move(sa));
  halfOpen_.emplace(HalfOpenKey{d.remote.address, d.remote.port, h.spiI}, *spi);
  const HalfOpenSource source{d.remote.address, admission == Admission::AdmittedOnCookie};
  halfOpenSas_.emplace(*spi, source);
  ++halfOpenBySource_[source];
  ref.tasks->handleRequest(*m, d.bytes, std::make_unique<IkeInitTask>(ref, ctx_, false));
  afterStep(ref);
}

TaskPtr EngineImpl::responderTask(IkeSa& sa, const Message& request) {
  switch (request.header.exchangeType) {
    case ExchangeType::IkeSaInit: return std::make_unique<IkeInitTask>(sa, ctx_, false);
    case ExchangeType::IkeAuth: return std::make_unique<IkeAuthTask>(sa, ctx_, false);
    case ExchangeType::CreateChildSa:
      if (IkeRekeyTask::isIkeRekey(request)) return std::make_unique<IkeRekeyTask>(sa, ctx_, false);
      return std::make_unique<ChildCreateTask>(sa, ctx_, false);
    case ExchangeType::Informational: return std::make_unique<InformationalTask>(sa, ctx_, false);
    default: return nullptr;
  }
}

void EngineImpl::dispatch(IkeSa& sa, Datagram& d, const Header& h) {
  // Exchanges must follow the SA's progress (1.2): IKE_AUTH only right
  // after IKE_SA_INIT, the others once established.
  const bool request = !h.isResponse();
  switch (sa.tasks->classify(h)) {
    case TaskManager::Verdict::Drop: return;
    case TaskManager::Verdict::ResendResponse:
      // RFC 7383 2.6.1: of a retransmitted fragmented request only fragment
      // 1 draws the (whole) response again, so that n fragments do not
      // make us send n copies.
      if (!wholeOrFirstFragment(d)) {
        ctx_.count(EngineCounter::FragmentRetransmitIgnored);
        return;
      }
      sa.tasks->resendResponse();
      return;
    case TaskManager::Verdict::Process: break;
  }
  if (request) {
    // IKE_SA_INIT only before the keys exist, IKE_AUTH only between, the
    // rest only after: a replayed or forged IKE_SA_INIT never re-keys an SA.
    bool fits;
    if (h.exchangeType == ExchangeType::IkeSaInit)
      fits = !sa.inbound;
    else if (h.exchangeType == ExchangeType::IkeAuth)
      fits = sa.inbound && sa.state == IkeSaState::Connecting;
    else
      fits = sa.state != IkeSaState::Connecting;
    if (!fits) {
      ctx_.count(EngineCounter::UnsupportedExchange);
      return;
    }
  }
  auto outer = decodeMessage(d.bytes);
  if (!outer) {
    ctx_.count(EngineCounter::DecodeFailed);
    return;
  }
  Message m;
  if (h.exchangeType == ExchangeType::IkeSaInit) {
    if (outer->find(PayloadType::SK) || outer->find(PayloadType::SKF)) {
      ctx_.count(EngineCounter::DecodeFailed);
      return;
    }
    m = std::move(*outer);
  } else {
    if (outer->find(PayloadType::SKF)) {
      auto whole = reassemble(sa, d, h, *outer);
      if (!whole) return;  // kept for later, or dropped and counted
      m = std::move(*whole);
    } else {
      if (!outer->find(PayloadType::SK) || !sa.inbound) {
        ctx_.count(EngineCounter::NotEncrypted);
        return;
      }
      auto opened = openMessage(d.bytes, *outer, *sa.inbound);
      if (!opened) {
        ctx_.count(isCryptoError(opened.error().code) ? EngineCounter::DecryptFailed : EngineCounter::DecodeFailed);
        return;
      }
      m = std::move(*opened);
    }
    // Authenticated: the peer's address and ports are what it uses now
    // (2.23: the initiator moved to 4500; a NAT may have remapped).
    sa.local = d.local;
    sa.remote = d.remote;
    lastSeenMs_[sa.ourSpi()] = ctx_.nowMs;
  }
  if (request) {
    TaskPtr task = responderTask(sa, m);
    if (!task) {
      ctx_.count(EngineCounter::UnsupportedExchange);
      return;
    }
    sa.tasks->handleRequest(m, d.bytes, std::move(task));
  } else {
    sa.tasks->handleResponse(m, d.bytes);
  }
  afterStep(sa);
}

bool EngineImpl::wholeOrFirstFragment(const Datagram& d) {
  auto outer = decodeMessage(d.bytes);
  if (!outer || outer->payloads.empty()) return true;
  const auto* e = std::get_if<EncryptedPayload>(&outer->payloads.back().body);
  return !e || outer->payloads.back().type != PayloadType::SKF || e->fragmentNumber == 1;
}

// RFC 7383 2.6: each fragment is verified (ICV) before it is kept, checked
// against the rules of 2.5, and held per message until the set is complete;
// the whole inner chain is then decoded and processed as one message.
std::optional<Message> EngineImpl::reassemble(IkeSa& sa, Datagram& d, const Header& h, const Message& outer) {
  // 2.3: fragments only on an SA where both sides announced support.
  if (!sa.fragmentation || !sa.inbound) {
    ctx_.count(EngineCounter::Fragmented);
    return std::nullopt;
  }
  auto fragment = openFragment(d.bytes, outer, *sa.inbound);
  if (!fragment) {
    ctx_.count(isCryptoError(fragment.error().code) ? EngineCounter::FragmentDecryptFailed
                                                    : EngineCounter::DecodeFailed);
    return std::nullopt;
  }
  // 2.5: only fragment 1 names the first inner payload; the others MUST
  // carry 0 there.
  if (fragment->number != 1 && fragment->firstInner != PayloadType::NoNext) {
    ctx_.count(EngineCounter::FragmentInvalid);
    return std::nullopt;
  }
  lastSeenMs_[sa.ourSpi()] = ctx_.nowMs;  // authenticated: the peer is alive (2.4)
  FragmentCollector& collector = sa.tasks->fragments(h.isResponse());
  switch (collector.add(h.messageId, h.exchangeType, std::move(*fragment), ctx_.nowMs)) {
    case FragmentVerdict::Stored: ctx_.count(EngineCounter::FragmentsReceived); return std::nullopt;
    case FragmentVerdict::Duplicate: ctx_.count(EngineCounter::FragmentDuplicate); return std::nullopt;
    case FragmentVerdict::Stale: ctx_.count(EngineCounter::FragmentInvalid); return std::nullopt;
    case FragmentVerdict::TooMany:
      ctx_.count(EngineCounter::FragmentLimit);
      collector.reset();  // a set that cannot complete only pins memory
      return std::nullopt;
    case FragmentVerdict::Complete: ctx_.count(EngineCounter::FragmentsReceived); break;
  }
  Reassembled whole = collector.take();
  ctx_.count(EngineCounter::FragmentsReassembled);
  auto inner = decodeChain(whole.firstInner, whole.inner);
  if (!inner) {
    ctx_.count(EngineCounter::DecodeFailed);
    return std::nullopt;
  }
  return Message{h, std::move(*inner), true};
}

void EngineImpl::afterStep(IkeSa& sa) {
  if (sa.state != IkeSaState::Connecting) halfOpenDone(sa.ourSpi());
  if (!sa.dead && sa.state == IkeSaState::Established && sa.initialContact && !sa.initiator) {
    // INITIAL_CONTACT (3.10.1): the peer has no other SA with us; anything
    // older with this connection and peer is stale.
    sa.initialContact = false;
    for (auto& [spi, other] : sas_) {
      if (other.get() == &sa || other->connection != sa.connection || other->remote.address != sa.remote.address)
        continue;
      if (other->state == IkeSaState::Established) {
        // Tell the peer too, in case it still holds that SA after all.
        other->tasks->dropQueued();
        other->tasks->queue(
            std::make_unique<InformationalTask>(*other, ctx_, true, InformationalTask::Kind::DeleteIke));
        other->tasks->kick();
      } else if (other->state == IkeSaState::Connecting) {
        other->kill("replaced (INITIAL_CONTACT)");
      }
    }
  }
  kickAll();
}

void EngineImpl::tick(uint64_t nowMs) {
  ctx_.nowMs = nowMs;
  for (auto& [spi, sa] : sas_) {
    sa->tasks->tick(nowMs);
    if (!sa->initiator && sa->state == IkeSaState::Connecting && nowMs - sa->createdMs >= kHalfOpenTimeoutMs) {
      ctx_.count(EngineCounter::HalfOpenExpired);
      sa->announced = false;
      sa->kill("half-open expired");
    }
    if (sa->dead || sa->state != IkeSaState::Established) continue;
    if (sa->supersededBy) {
      // Rekeyed: the rekey initiator deletes it (1.3.2). Should that Delete
      // never come, we send our own rather than keep it for ever.
      if (sa->tasks->idle() && nowMs - lastSeenMs_[spi] >= kHalfOpenTimeoutMs)
        sa->tasks->queue(std::make_unique<InformationalTask>(*sa, ctx_, true, InformationalTask::Kind::DeleteIke));
      continue;
    }
    // Liveness check (2.4) after dpd_delay without an authenticated message.
    const uint32_t dpd = sa->connection ? sa->config().dpdDelayS : 0;
    if (dpd && sa->tasks->idle()) {
      uint64_t& seen = lastSeenMs_[spi];
      if (seen == 0) seen = sa->establishedMs;
      if (nowMs - seen >= uint64_t(dpd) * 1000) {
        seen = nowMs;
        sa->tasks->queue(std::make_unique<InformationalTask>(*sa, ctx_, true));
      }
    }
    sendKeepalive(*sa);
    // IKE SA and CHILD_SA rekeys by time (rekey_time; the data plane's
    // soft lifetimes come in through childSoftExpired()).
    if (sa->rekeyAtMs && nowMs >= sa->rekeyAtMs) startIkeRekey(*sa);
    for (ChildSa& c : sa->children)
      if (c.rekeyAtMs && nowMs >= c.rekeyAtMs) startChildRekey(*sa, c);
  }
  kickAll();
  sweep();
  runRestarts();
}

bool EngineImpl::initiate(std::string_view connection, std::string_view child, uint64_t nowMs, std::string& error) {
  ctx_.nowMs = nowMs;
  const ConnectionEntry* conn = ctx_.findConnection(connection);
  if (!conn) {
    error = "unknown connection";
    return false;
  }
  std::vector<size_t> children;
  for (size_t i = 0; i < conn->config.children.size(); ++i)
    if (child.empty() || conn->config.children[i].name == child) children.push_back(i);
  if (!child.empty() && children.empty()) {
    error = "unknown child";
    return false;
  }
  return bringUp(conn, children, 1, error);
}

bool EngineImpl::bringUp(const ConnectionEntry* conn, const std::vector<size_t>& children, uint32_t attempt,
                         std::string& error) {
  if (conn->ikeProposals.empty()) {
    error = "no usable IKE proposal";
    return false;
  }
  for (auto& [spi, sa] : sas_) {
    if (sa->connection != conn || sa->dead || sa->state == IkeSaState::Deleting || sa->supersededBy) continue;
    for (size_t i : children) {
      bool up = std::any_of(sa->children.begin(), sa->children.end(), [&](const ChildSa& c) { return c.childIndex == i; });
      if (!up) sa->tasks->queue(std::make_unique<ChildCreateTask>(*sa, ctx_, true, i));
    }
    sa->tasks->kick();
    return true;
  }
  auto spi = freshSpi();
  if (!spi) {
    error = "no random SPI";
    return false;
  }
  auto sa = std::make_unique<IkeSa>(ctx_.nextSaId++, true, ctx_);
  sa->spiI = *spi;
  sa->connection = conn;
  sa->local = Endpoint{conn->config.localAddress, 500};
  sa->remote = Endpoint{conn->config.remoteAddress, 500};
  sa->createdMs = ctx_.nowMs;
  sa->attempt = attempt;
  sa->wantedChildren = children;
  // 2.4 / 3.10.1: INITIAL_CONTACT when we hold no other IKE SA with this peer.
  sa->initialContact = std::none_of(sas_.begin(), sas_.end(), [&](const auto& e) { return e.second->connection == conn; });
  sa->tasks->queue(std::make_unique<IkeInitTask>(*sa, ctx_, true));
  std::optional<size_t> first;
  if (!children.empty()) first = children.front();
  sa->tasks->queue(std::make_unique<IkeAuthTask>(*sa, ctx_, true, first));
  for (size_t k = 1; k < children.size(); ++k)
    sa->tasks->queue(std::make_unique<ChildCreateTask>(*sa, ctx_, true, children[k]));
  IkeSa& ref = *sa;
  sas_.emplace(*spi, std::move(sa));
  ref.tasks->kick();
  sweep();
  return true;
}

void EngineImpl::scheduleRestart(const IkeSa& sa) {
  // A retired connection (removeConnection) is not brought back.
  if (!sa.connection || sa.connection->retired || sa.downReason != "peer unreachable") return;
  const config::ConnectionConfig& cfg = sa.config();
  uint32_t attempt;
  std::vector<size_t> children;
  if (sa.state == IkeSaState::Established && !sa.supersededBy) {
    // Dead peer (2.4): dpd_action decides; "clear" (and "trap", which needs
    // trap policies in the data plane) only removes.
    if (cfg.dpdAction != config::DpdAction::Restart) return;
    attempt = 1;
    for (const ChildSa& c : sa.children) children.push_back(c.childIndex);
    for (size_t i = 0; i < cfg.children.size(); ++i)
      if (cfg.children[i].startAction == config::StartAction::Start) children.push_back(i);
  } else if (sa.state == IkeSaState::Connecting && sa.initiator) {
    // Our attempt timed out: keyingtries counts attempts, 0 = for ever.
    if (cfg.keyingTries != 0 && sa.attempt >= cfg.keyingTries) return;
    attempt = sa.attempt + 1;
    children = sa.wantedChildren;
  } else {
    return;
  }
  std::sort(children.begin(), children.end());
  children.erase(std::unique(children.begin(), children.end()), children.end());
  std::erase_if(restarts_, [&](const Restart& r) { return r.conn == sa.connection; });
  // Attempt 2 (the first retry) and a dead peer's restart wait 1 s.
  const uint32_t shift = std::min<uint32_t>(attempt >= 2 ? attempt - 2 : 0, 16);
  const uint64_t delay = std::min<uint64_t>(kRestartDelayMs << shift, kRestartDelayMaxMs);
  restarts_.push_back(Restart{sa.connection, std::move(children), attempt, ctx_.nowMs + delay});
}

void EngineImpl::runRestarts() {
  std::vector<Restart> due;
  for (auto it = restarts_.begin(); it != restarts_.end();) {
    if (ctx_.nowMs >= it->atMs) {
      due.push_back(std::move(*it));
      it = restarts_.erase(it);
    } else {
      ++it;
    }
  }
  for (const Restart& r : due) {
    std::string error;
    ctx_.count(EngineCounter::Restarted);
    bringUp(r.conn, r.children, r.attempt, error);
  }
}

bool EngineImpl::terminate(std::string_view connection, uint64_t nowMs, std::string& error) {
  ctx_.nowMs = nowMs;
  bool any = false;
  // The operator's word ends any automatic re-initiation.
  any |= std::erase_if(restarts_, [&](const Restart& r) { return r.conn->config.name == connection; }) > 0;
  for (auto& [spi, sa] : sas_) {
    if (!sa->connection || sa->config().name != connection || sa->dead) continue;
    any = true;
    if (sa->state == IkeSaState::Established) {
      // Whatever was queued is moot; an exchange in flight finishes first
      // (its message ID is taken, window of one).
      sa->tasks->dropQueued();
      sa->tasks->queue(std::make_unique<InformationalTask>(*sa, ctx_, true, InformationalTask::Kind::DeleteIke));
      sa->tasks->kick();
    } else if (sa->state == IkeSaState::Connecting) {
      sa->kill("terminated");
    }
  }
  sweep();
  if (!any) error = "no IKE SA for this connection";
  return any;
}

bool EngineImpl::terminateChild(std::string_view connection, std::string_view child, uint64_t nowMs,
                                std::string& error) {
  ctx_.nowMs = nowMs;
  bool any = false;
  for (auto& [spi, sa] : sas_) {
    if (!sa->connection || sa->config().name != connection || sa->dead || sa->state != IkeSaState::Established)
      continue;
    for (const ChildSa& c : sa->children) {
      if (c.name != child) continue;
      any = true;
      sa->tasks->queue(std::make_unique<InformationalTask>(*sa, ctx_, true, InformationalTask::Kind::DeleteChild,
                                                           c.inboundSpi));
    }
    sa->tasks->kick();
  }
  if (!any) error = "no such CHILD_SA";
  return any;
}

void EngineImpl::childTrafficSeen(uint32_t inboundSpi, uint64_t nowMs) {
  // Traffic from the peer proves liveness as well as an IKE message (2.4).
  for (auto& [spi, sa] : sas_)
    for (const ChildSa& c : sa->children)
      if (c.inboundSpi == inboundSpi) lastSeenMs_[spi] = nowMs;
}

void EngineImpl::childSoftExpired(uint32_t inboundSpi, uint64_t nowMs) {
  ctx_.nowMs = nowMs;
  for (auto& [spi, sa] : sas_)
    for (ChildSa& c : sa->children)
      if (c.inboundSpi == inboundSpi) startChildRekey(*sa, c);
  sweep();
}

bool EngineImpl::rekeyIke(std::string_view connection, uint64_t nowMs, std::string& error) {
  ctx_.nowMs = nowMs;
  bool any = false;
  for (auto& [spi, sa] : sas_) {
    if (!sa->connection || sa->config().name != connection || sa->dead || sa->supersededBy ||
        sa->state != IkeSaState::Established)
      continue;
    any = true;
    startIkeRekey(*sa);
  }
  if (!any) error = "no established IKE SA for this connection";
  return any;
}

bool EngineImpl::rekeyChild(std::string_view connection, std::string_view child, uint64_t nowMs,
                            std::string& error) {
  ctx_.nowMs = nowMs;
  bool any = false;
  for (auto& [spi, sa] : sas_) {
    if (!sa->connection || sa->config().name != connection || sa->dead || sa->supersededBy ||
        sa->state != IkeSaState::Established)
      continue;
    for (ChildSa& c : sa->children)
      if (c.name == child && !c.superseded) {
        any = true;
        startChildRekey(*sa, c);
      }
  }
  if (!any) error = "no such CHILD_SA";
  return any;
}

bool EngineImpl::rekeyIkeSa(uint64_t ikeSaId, uint64_t nowMs, std::string& error) {
  ctx_.nowMs = nowMs;
  for (auto& [spi, sa] : sas_) {
    if (sa->id != ikeSaId || sa->dead) continue;
    if (sa->state != IkeSaState::Established || sa->supersededBy) break;
    startIkeRekey(*sa);
    return true;
  }
  error = "no established IKE SA with id " + std::to_string(ikeSaId);
  return false;
}

bool EngineImpl::rekeyChildSa(uint32_t inboundSpi, uint64_t nowMs, std::string& error) {
  ctx_.nowMs = nowMs;
  for (auto& [spi, sa] : sas_) {
    if (sa->dead || sa->state != IkeSaState::Established || sa->supersededBy) continue;
    for (ChildSa& c : sa->children)
      if (c.inboundSpi == inboundSpi && !c.superseded) {
        startChildRekey(*sa, c);
        return true;
      }
  }
  error = "no CHILD_SA with inbound SPI " + formatSpi(inboundSpi);
  return false;
}

bool EngineImpl::addConnection(config::ConnectionConfig&& connection, std::string& error) {
  if (ctx_.findConnection(connection.name)) {
    error = "connection " + connection.name + " exists";
    return false;
  }
  ctx_.connections.push_back(makeEntry(std::move(connection)));
  return true;
}

bool EngineImpl::removeConnection(std::string_view connection, uint64_t nowMs, std::string& error) {
  auto it = std::find_if(ctx_.connections.begin(), ctx_.connections.end(),
                         [&](const ConnectionEntry& c) { return !c.retired && c.config.name == connection; });
  if (it == ctx_.connections.end()) {
    error = "no connection " + std::string(connection);
    return false;
  }
  std::string none;
  terminate(connection, nowMs, none);  // also cancels restarts; no SA is fine
  it->retired = true;
  return true;
}

void EngineImpl::startChildRekey(IkeSa& sa, ChildSa& child) {
  if (sa.dead || sa.state != IkeSaState::Established || sa.supersededBy || child.rekeying) return;
  child.rekeying = true;
  sa.tasks->queue(std::make_unique<ChildCreateTask>(sa, ctx_, true, child.childIndex, child.inboundSpi));
  sa.tasks->kick();
}

void EngineImpl::startIkeRekey(IkeSa& sa) {
  if (sa.dead || sa.state != IkeSaState::Established || sa.supersededBy || sa.rekeying) return;
  sa.rekeying = true;
  sa.tasks->queue(std::make_unique<IkeRekeyTask>(sa, ctx_, true));
  sa.tasks->kick();
}

void EngineImpl::sweep() {
  for (auto it = sas_.begin(); it != sas_.end();) {
    if (!it->second->dead) {
      ++it;
      continue;
    }
    IkeSaPtr sa = std::move(it->second);
    it = sas_.erase(it);
    destroy(*sa);
  }
}

void EngineImpl::destroy(IkeSa& sa) {
  scheduleRestart(sa);
  sa.tasks->clear();
  while (!sa.children.empty()) retireChild(sa, ctx_, sa.children.back().inboundSpi);
  // The daemon hears of IKE SAs it asked for, or that were up; a refused
  // half-open responder SA is nobody's business but the counters'.
  if (sa.announced || sa.initiator)
    ctx_.events.emplace_back(IkeSaDown{sa.id, sa.connection ? sa.config().name : std::string(), sa.downReason});
  std::erase_if(halfOpen_, [&](const auto& e) { return e.second == sa.ourSpi(); });
  halfOpenDone(sa.ourSpi());
  lastSeenMs_.erase(sa.ourSpi());
}

std::vector<IkeSaInfo> EngineImpl::listSas() const {
  std::vector<IkeSaInfo> out;
  for (const auto& [spi, sa] : sas_) {
    IkeSaInfo info;
    info.ikeSaId = sa->id;
    info.connection = sa->connection ? sa->config().name : "";
    info.state = stateName(sa->state);
    info.initiator = sa->initiator;
    info.spiI = sa->spiI;
    info.spiR = sa->spiR;
    info.local = sa->local;
    info.remote = sa->remote;
    if (sa->connection) {
      info.localId = sa->config().localId.value;
      info.remoteId = sa->config().remoteId.value;
    }
    if (sa->state != IkeSaState::Connecting) info.proposal = proposalKeywords(sa->chosen);
    info.natDetected = sa->natDetected();
    info.establishedMs = sa->establishedMs;
    for (const ChildSa& c : sa->children) {
      ChildSaInfo ci;
      ci.child = c.name;
      ci.inboundSpi = c.inboundSpi;
      ci.outboundSpi = c.outboundSpi;
      ci.proposal = c.proposal;
      ci.localTs = toPolicySide(c.localTs);
      ci.remoteTs = toPolicySide(c.remoteTs);
      ci.establishedMs = c.establishedMs;
      info.children.push_back(std::move(ci));
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<EngineCounterValue> EngineImpl::counters() const {
  std::vector<EngineCounterValue> out;
  for (size_t i = 0; i < static_cast<size_t>(EngineCounter::Count); ++i) {
    auto c = static_cast<EngineCounter>(i);
    out.push_back(EngineCounterValue{engineCounterName(c), ctx_.counters.get(c)});
  }
  return out;
}

}  // namespace

EnginePtr makeEngine(const config::IkeSettings& settings, std::vector<config::ConnectionConfig>&& connections) {
  return std::make_unique<EngineImpl>(settings, std::move(connections), EngineHooks{});
}

EnginePtr makeEngine(const config::IkeSettings& settings, std::vector<config::ConnectionConfig>&& connections,
                     EngineHooks&& hooks) {
  return std::make_unique<EngineImpl>(settings, std::move(connections), std::move(hooks));
}

}  // namespace ipsecgw::ike
