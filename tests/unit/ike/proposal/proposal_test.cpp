// Proposal keywords (strongSwan's) and proposal selection (RFC 7296 2.7,
// 3.3.6) in both roles.
#include <catch2/catch.hpp>

#include "ike/crypto/algorithms.hpp"
#include "ike/proposal/proposal_keywords.hpp"
#include "ike/proposal/proposal_selection.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

namespace {

Proposal ikeProposal(std::string_view words) {
  auto p = parseIkeProposal(words);
  INFO(words);
  REQUIRE(p);
  return *p;
}
Proposal espProposal(std::string_view words) {
  auto p = parseEspProposal(words);
  INFO(words);
  REQUIRE(p);
  return *p;
}
uint16_t idOf(const Proposal& p, TransformType t) {
  const Transform* x = chosenTransform(p, t);
  REQUIRE(x);
  return x->id;
}

}  // namespace

TEST_CASE("IKE keywords as strongSwan reads them", "[ike][proposal]") {
  Proposal p = ikeProposal("aes128gcm16-prfsha256-x25519");
  REQUIRE(p.transforms.size() == 3);
  CHECK(p.transforms[0] == Transform{TransformType::Encr, 20, 128, false});
  CHECK(p.transforms[1] == Transform{TransformType::Prf, 5, std::nullopt, false});
  CHECK(p.transforms[2] == Transform{TransformType::Dh, 31, std::nullopt, false});
  CHECK(proposalKeywords(p) == "aes128gcm16-prfsha256-x25519");

  // CBC + INTEG: the PRF follows the INTEG algorithm.
  Proposal cbc = ikeProposal("aes256-sha256-modp2048");
  CHECK(proposalKeywords(cbc) == "aes256-sha256-modp2048-prfsha256");
  CHECK(chosenTransform(cbc, TransformType::Encr)->keyLength == 256);

  CHECK(proposalKeywords(ikeProposal("aes256gcm16-prfsha384-ecp384")) == "aes256gcm16-prfsha384-ecp384");
  CHECK(proposalKeywords(ikeProposal("chacha20poly1305-prfsha256-x25519")) == "chacha20poly1305-prfsha256-x25519");
  CHECK(ikeProposal("aes128gcm16-aes256gcm16-prfsha256-x25519-ecp256").transforms.size() == 5);
}

TEST_CASE("IKE keyword errors", "[ike][proposal]") {
  auto error = [](std::string_view w) {
    auto p = parseIkeProposal(w);
    REQUIRE_FALSE(p);
    return p.error();
  };
  CHECK(error("aes128gcm16-prfsha1-x25519") == "unknown algorithm keyword \"prfsha1\"");
  CHECK(error("3des-md5-modp1024") == "unknown algorithm keyword \"3des\"");
  CHECK(error("aes128gcm16-x25519") == "an AEAD proposal needs a PRF such as prfsha256");
  CHECK(error("aes128-prfsha256-x25519") == "a CBC cipher needs an integrity algorithm such as sha256");
  CHECK(error("aes128gcm16-sha256-prfsha256-x25519") == "an AEAD cipher takes no integrity algorithm");
  CHECK(error("aes128gcm16-aes128-sha256-x25519") == "AEAD and CBC ciphers cannot share one proposal (write two)");
  CHECK(error("aes128gcm16-prfsha256") == "no key exchange group such as x25519");
  CHECK(error("aes128gcm16-prfsha256-x25519-esn") == "esn/noesn belong to ESP proposals");
  CHECK(error("aes128gcm16-prfsha256-x25519-x25519") == "\"x25519\" given twice");
  CHECK(error("") == "empty proposal");
  CHECK(error("aes128gcm16--x25519") == "unknown algorithm keyword \"\"");
}

TEST_CASE("ESP keywords", "[ike][proposal]") {
  CHECK(proposalKeywords(espProposal("aes128gcm16")) == "aes128gcm16-noesn");
  CHECK(proposalKeywords(espProposal("aes256-sha256")) == "aes256-sha256-noesn");
  CHECK(proposalKeywords(espProposal("chacha20poly1305-x25519-esn")) == "chacha20poly1305-x25519-esn");
  CHECK_FALSE(parseEspProposal("aes128gcm16-prfsha256"));
  CHECK_FALSE(parseEspProposal("aes256"));
}

TEST_CASE("the responder follows our preference among what the initiator offers", "[ike][proposal]") {
  std::vector<Proposal> ours = {ikeProposal("aes256gcm16-prfsha384-ecp384"), ikeProposal("aes128gcm16-prfsha256-x25519-ecp256")};
  std::vector<Proposal> theirs = {ikeProposal("aes128gcm16-prfsha256-ecp256-x25519"), ikeProposal("aes256gcm16-prfsha384-ecp384")};
  SaPayload offer = offerOf(theirs, {});
  auto chosen = selectProposal(ours, offer);
  REQUIRE(chosen);
  CHECK(chosen->number == 2);  // their number for our first choice
  CHECK(idOf(*chosen, TransformType::Dh) == 20);

  // Our first proposal not offered: our second, with our group preference.
  offer = offerOf({theirs[0]}, {});
  chosen = selectProposal(ours, offer);
  REQUIRE(chosen);
  CHECK(chosen->number == 1);
  CHECK(chosen->transforms.size() == 3);
  CHECK(idOf(*chosen, TransformType::Dh) == 31);
  CHECK(acceptChosenProposal(theirs, SaPayload{{*chosen}}));
}

TEST_CASE("no common proposal is NO_PROPOSAL_CHOSEN", "[ike][proposal]") {
  auto chosen = selectProposal({ikeProposal("aes256gcm16-prfsha384-ecp384")}, offerOf({ikeProposal("aes128gcm16-prfsha256-x25519")}, {}));
  REQUIRE_FALSE(chosen);
  CHECK(chosen.error() == NotifyType::NoProposalChosen);
  // Same algorithm, other key length: no match.
  CHECK_FALSE(selectProposal({ikeProposal("aes256-sha256-modp2048")}, offerOf({ikeProposal("aes128-sha256-modp2048")}, {})));
  // A transform with an unknown attribute is not a candidate (3.3.6).
  SaPayload odd = offerOf({ikeProposal("aes128gcm16-prfsha256-x25519")}, {});
  odd.proposals[0].transforms[0].hasUnknownAttribute = true;
  CHECK_FALSE(selectProposal({ikeProposal("aes128gcm16-prfsha256-x25519")}, odd));
}

TEST_CASE("ESP: PFS and ESN answered only as offered", "[ike][proposal]") {
  Bytes spi = {1, 2, 3, 4};
  // They ask for PFS with x25519, or none (strongSwan sends both for "-x25519"
  // only when told to); we do not list KE: only their NONE can be chosen.
  Proposal theirs = espProposal("aes128gcm16-x25519");
  theirs.transforms.push_back({TransformType::Dh, 0, std::nullopt, false});
  auto chosen = selectProposal({espProposal("aes128gcm16")}, offerOf({theirs}, spi));
  REQUIRE(chosen);
  CHECK(idOf(*chosen, TransformType::Dh) == 0);
  CHECK(chosen->spi == spi);
  // PFS demanded, we have none: refused.
  CHECK_FALSE(selectProposal({espProposal("aes128gcm16")}, offerOf({espProposal("aes128gcm16-x25519")}, spi)));
  // ESN: we want it, they offer both.
  Proposal both = espProposal("aes128gcm16-esn");
  both.transforms.push_back({TransformType::Esn, 0, std::nullopt, false});
  chosen = selectProposal({espProposal("aes128gcm16-esn")}, offerOf({both}, spi));
  REQUIRE(chosen);
  CHECK(idOf(*chosen, TransformType::Esn) == 1);
}

TEST_CASE("the initiator refuses answers it did not offer", "[ike][proposal]") {
  std::vector<Proposal> offered = {ikeProposal("aes128gcm16-prfsha256-x25519-ecp256")};
  Proposal ok = ikeProposal("aes128gcm16-prfsha256-ecp256");
  CHECK(acceptChosenProposal(offered, SaPayload{{ok}}));
  Proposal two = offered[0];  // two groups: not a choice
  CHECK_FALSE(acceptChosenProposal(offered, SaPayload{{two}}));
  Proposal other = ikeProposal("aes128gcm16-prfsha256-ecp384");
  CHECK_FALSE(acceptChosenProposal(offered, SaPayload{{other}}));
  Proposal badNumber = ok;
  badNumber.number = 2;
  CHECK_FALSE(acceptChosenProposal(offered, SaPayload{{badNumber}}));
  Proposal missing = ok;
  missing.transforms.pop_back();
  CHECK_FALSE(acceptChosenProposal(offered, SaPayload{{missing}}));
  CHECK_FALSE(acceptChosenProposal(offered, SaPayload{{ok, ok}}));
}
