// "Did you mean" hints for misspelt keys and names: a typo must fail loudly,
// and the message should point at the fix.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ipsecgw::config {

// Levenshtein distance (insert, delete, substitute; a transposition costs 2).
size_t editDistance(std::string_view a, std::string_view b);

// The unique closest candidate within edit distance 2, if any; a tie between
// two candidates gives no hint rather than a coin toss.
std::optional<std::string_view> closestMatch(std::string_view word, std::span<const std::string_view> candidates);

// " (did you mean "x"?)" or "".
std::string didYouMean(std::string_view word, std::span<const std::string_view> candidates);

// "a, b, c" for messages listing the accepted names.
std::string joinNames(std::span<const std::string_view> names);

}  // namespace ipsecgw::config
