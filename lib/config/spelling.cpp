#include "config/spelling.hpp"

#include <algorithm>
#include <vector>

#include "config/config_error.hpp"

namespace ipsecgw::config {

namespace {
constexpr size_t kMaxSuggestDistance = 2;
}

size_t editDistance(std::string_view a, std::string_view b) {
  // One row of the DP table suffices; keys and names are short.
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string_view> closestMatch(std::string_view word, std::span<const std::string_view> candidates) {
  std::optional<std::string_view> best;
  size_t bestDistance = kMaxSuggestDistance + 1;
  bool tie = false;
  for (std::string_view c : candidates) {
    size_t d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
      tie = false;
    } else if (d == bestDistance && best && *best != c) {
      tie = true;
    }
  }
  if (tie) return std::nullopt;
  return best;
}

std::string didYouMean(std::string_view word, std::span<const std::string_view> candidates) {
  auto match = closestMatch(word, candidates);
  return match ? " (did you mean " + quoted(*match) + "?)" : std::string();
}

std::string joinNames(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace ipsecgw::config
