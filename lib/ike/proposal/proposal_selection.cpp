#include "ike/proposal/proposal_selection.hpp"

#include <algorithm>
#include <array>

namespace ipsecgw::ike {

namespace {

constexpr std::array<TransformType, 5> kTypes = {TransformType::Encr, TransformType::Prf, TransformType::Integ,
                                                 TransformType::Dh, TransformType::Esn};

bool sameAlgorithm(const Transform& a, const Transform& b) {
  return a.type == b.type && a.id == b.id && a.keyLength == b.keyLength;
}

bool offers(const Proposal& p, TransformType type) {
  return std::any_of(p.transforms.begin(), p.transforms.end(),
                     [&](const Transform& t) { return t.type == type && !t.hasUnknownAttribute; });
}

// Our most preferred transform of `type` that `theirs` offers; a type that
// only they list is satisfied by their NONE (0); a type neither lists needs
// nothing (nullopt with ok = true).
std::optional<Transform> pick(const Proposal& ours, const Proposal& theirs, TransformType type, bool& ok) {
  ok = true;
  bool weList = offers(ours, type), theyList = offers(theirs, type);
  if (!weList && !theyList) return std::nullopt;
  if (!weList) {
    for (const Transform& t : theirs.transforms)
      if (t.type == type && t.id == 0 && !t.hasUnknownAttribute) return t;
    ok = false;
    return std::nullopt;
  }
  for (const Transform& mine : ours.transforms) {
    if (mine.type != type) continue;
    for (const Transform& t : theirs.transforms)
      if (!t.hasUnknownAttribute && sameAlgorithm(mine, t)) return t;
  }
  ok = false;
  return std::nullopt;
}

std::optional<Proposal> match(const Proposal& ours, const Proposal& theirs) {
  if (ours.protocol != theirs.protocol) return std::nullopt;
  Proposal chosen;
  chosen.number = theirs.number;
  chosen.protocol = theirs.protocol;
  chosen.spi = theirs.spi;
  for (TransformType type : kTypes) {
    bool ok = false;
    std::optional<Transform> t = pick(ours, theirs, type, ok);
    if (!ok) return std::nullopt;
    if (t) chosen.transforms.push_back(*t);
  }
  // Every type the peer listed must be answered (3.3.6); kTypes covers
  // them all unless the peer sent a type we do not know.
  for (const Transform& t : theirs.transforms)
    if (std::find(kTypes.begin(), kTypes.end(), t.type) == kTypes.end()) return std::nullopt;
  return chosen;
}

}  // namespace

Expected<Proposal, NotifyType> selectProposal(const std::vector<Proposal>& ours, const SaPayload& theirs) {
  for (const Proposal& mine : ours)
    for (const Proposal& p : theirs.proposals)
      if (auto chosen = match(mine, p)) return *chosen;
  return unexpected(NotifyType::NoProposalChosen);
}

bool acceptChosenProposal(const std::vector<Proposal>& offered, const SaPayload& chosen) {
  if (chosen.proposals.size() != 1) return false;
  const Proposal& c = chosen.proposals[0];
  if (c.number == 0 || c.number > offered.size()) return false;
  const Proposal& mine = offered[c.number - 1];
  if (c.protocol != mine.protocol) return false;
  for (TransformType type : kTypes) {
    size_t n = static_cast<size_t>(std::count_if(c.transforms.begin(), c.transforms.end(),
                                                 [&](const Transform& t) { return t.type == type; }));
    if (!offers(mine, type)) {
      // A type we did not offer may come back only as NONE.
      if (n == 0) continue;
      const Transform* t = chosenTransform(c, type);
      if (n != 1 || t->id != 0) return false;
      continue;
    }
    if (n != 1) return false;
    const Transform* t = chosenTransform(c, type);
    if (std::none_of(mine.transforms.begin(), mine.transforms.end(),
                     [&](const Transform& m) { return sameAlgorithm(m, *t); }))
      return false;
  }
  return c.transforms.size() <= kTypes.size();
}

const Transform* chosenTransform(const Proposal& p, TransformType type) {
  for (const Transform& t : p.transforms)
    if (t.type == type) return &t;
  return nullptr;
}

SaPayload offerOf(const std::vector<Proposal>& ours, const Bytes& spi) {
  SaPayload sa;
  for (size_t i = 0; i < ours.size(); ++i) {
    Proposal p = ours[i];
    p.number = static_cast<uint8_t>(i + 1);
    p.spi = spi;
    sa.proposals.push_back(std::move(p));
  }
  return sa;
}

}  // namespace ipsecgw::ike
