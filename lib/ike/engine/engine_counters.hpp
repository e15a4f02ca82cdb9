// Why the engine dropped or refused something, and the events worth counting
// (STYLE.md "Errors and counters": one list giving enum, name and help text;
// each drop path bumps its own counter). Engine::counters() lists them.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ipsecgw::ike {

#define IPSECGW_IKE_ENGINE_COUNTERS(X)                                                              \
  X(BadHeader, "bad-header", "shorter than an IKE header, wrong version or length")                 \
  X(DecodeFailed, "decode-failed", "payload chain did not decode (lib/ike/wire)")                   \
  X(UnknownSpi, "unknown-spi", "no IKE SA with this SPI (RFC 7296 2.21.4: dropped, not answered)") \
  X(BadFlags, "bad-flags", "Initiator flag contradicts our role in the IKE SA")                     \
  X(OutOfWindow, "message-id-out-of-window", "request ID neither next nor a retransmission")        \
  X(UnexpectedResponse, "unexpected-response", "response without a matching outstanding request")   \
  X(RetransmitAnswered, "retransmit-answered", "retransmitted request answered from the cache")      \
  X(RetransmitSent, "retransmit-sent", "our request sent again after a timeout")                    \
  X(PeerUnreachable, "peer-unreachable", "retransmissions exhausted, IKE SA dropped")               \
  X(DecryptFailed, "decrypt-failed", "SK payload ICV or padding did not verify")                    \
  X(NotEncrypted, "not-encrypted", "exchange after IKE_SA_INIT without an SK payload")              \
  X(Fragmented, "fragment-unsupported", "SKF payload while RFC 7383 fragmentation is not in use on the SA") \
  X(FragmentedSent, "fragmented-sent", "message of ours sent as RFC 7383 fragments (each retransmission too)") \
  X(FragmentsSent, "fragments-sent", "SKF datagrams sent (RFC 7383 2.5)")                                \
  X(FragmentsReceived, "fragments-received", "SKF fragment verified and kept for reassembly")          \
  X(FragmentsReassembled, "fragments-reassembled", "message reassembled from its fragments (RFC 7383 2.6)") \
  X(FragmentDuplicate, "fragment-duplicate", "SKF fragment already held (a retransmission), dropped")    \
  X(FragmentInvalid, "fragment-invalid", "SKF Next Payload set in a non-first fragment, or an older set's Total (RFC 7383 2.5, 2.6)") \
  X(FragmentDecryptFailed, "fragment-decrypt-failed", "SKF fragment ICV or padding did not verify; not kept") \
  X(FragmentLimit, "fragment-limit", "SKF set above the fragment count or byte limit, dropped")         \
  X(FragmentTimeout, "fragment-timeout", "incomplete fragment set given up after 30 s")               \
  X(FragmentRetransmitIgnored, "fragment-retransmit-ignored", "non-first fragment of an answered request (RFC 7383 2.6.1)") \
  X(UnsupportedExchange, "unsupported-exchange", "exchange type we do not serve")                   \
  X(NoConnection, "no-connection", "no connection for these addresses")                            \
  X(NoProposalChosen, "no-proposal-chosen", "IKE proposals did not match")                          \
  X(InvalidKe, "invalid-ke", "KE group differs from the chosen one (INVALID_KE_PAYLOAD)")           \
  X(BadKeValue, "bad-ke-value", "peer's KE data refused by the key exchange")                       \
  X(MissingPayload, "missing-payload", "a payload the exchange requires is absent")                 \
  X(BadResponse, "bad-response", "response does not fit our request (proposal, SPI, TS)")          \
  X(IdMismatch, "id-mismatch", "peer identity differs from the configured remote id")               \
  X(AuthFailed, "auth-failed", "AUTH payload did not verify")                                       \
  X(NoPeerCert, "no-peer-cert", "auth = pubkey but the peer sent no X.509 CERT payload")           \
  X(CertUntrusted, "cert-untrusted", "peer certificate not verified up to a trusted CA, expired or revoked") \
  X(CertIdMismatch, "cert-id-mismatch", "peer certificate does not vouch for the peer's ID payload") \
  X(CertSent, "cert-sent", "our certificate sent in IKE_AUTH (send_cert)")                            \
  X(PeerRefused, "peer-refused", "peer answered with an error notify")                              \
  X(ChildFailed, "child-failed", "CHILD_SA not created (proposal, TS or mode)")                    \
  X(TsUnacceptable, "ts-unacceptable", "traffic selectors have no intersection with the config")    \
  X(CryptoFailure, "crypto-failure", "a key derivation or cipher setup failed")                     \
  X(EncodeFailed, "encode-failed", "our message did not encode")                                    \
  X(HalfOpenExpired, "half-open-expired", "responder IKE SA not completed in time")                 \
  X(UnknownChildSpi, "unknown-child-spi", "Delete or REKEY_SA names an SPI we do not have")        \
  X(IkeRekeyed, "ike-rekeyed", "IKE SA rekeyed (RFC 7296 1.3.2): a new IKE SA took over")         \
  X(RekeyCollisionLost, "rekey-collision-lost", "simultaneous rekey: our new SA had the lowest nonce (2.8)") \
  X(RekeyRefusedBusy, "rekey-refused-busy", "rekey request answered TEMPORARY_FAILURE (2.25)")   \
  X(KeepaliveSent, "nat-keepalive-sent", "NAT keepalive sent (RFC 3948 4)")                       \
  X(Restarted, "restarted", "connection re-initiated by dpd_action/keyingtries")                   \
  X(CookieSent, "cookie-sent", "IKE_SA_INIT answered with a COOKIE (2.6)")                         \
  X(CookieReceived, "cookie-received", "IKE_SA_INIT response asked us for a COOKIE (2.6)")      \
  X(CookieRejected, "cookie-rejected", "IKE_SA_INIT with a wrong or outdated COOKIE (answered anew, 2.6)") \
  X(HalfOpenLimit, "half-open-limit", "IKE_SA_INIT dropped: too many half-open SAs from this source") \
  X(UnknownSpiAnswered, "unknown-spi-answered", "INVALID_IKE_SPI sent for an unknown SPI (2.21.4)")

enum class EngineCounter : uint8_t {
#define IPSECGW_IKE_ENGINE_ENUM(name, label, help) name,
  IPSECGW_IKE_ENGINE_COUNTERS(IPSECGW_IKE_ENGINE_ENUM)
#undef IPSECGW_IKE_ENGINE_ENUM
      Count
};

std::string_view engineCounterName(EngineCounter c);
std::string_view engineCounterHelp(EngineCounter c);

class EngineCounters {
 public:
  void bump(EngineCounter c) { ++values_[static_cast<size_t>(c)]; }
  uint64_t get(EngineCounter c) const { return values_[static_cast<size_t>(c)]; }

 private:
  std::array<uint64_t, static_cast<size_t>(EngineCounter::Count)> values_{};
};

}  // namespace ipsecgw::ike
