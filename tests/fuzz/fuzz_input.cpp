// libFuzzer target: input decks. The bytes up to the first NUL are the deck; the words after it,
// NUL-separated, are --set assignments (a deck read from a file never holds a NUL).
// Expected outcomes: a RunConfig, or InputError for bad input. Findings: a crash, a leak, undefined
// behaviour, any other exception, and a canonical round trip that changes the configuration:
// parse_config(to_toml(c)) == c, and to_toml of that is the same text again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "hybridscope/config/config.hpp"
#include "hybridscope/core/error.hpp"

namespace {

using namespace hybridscope;

// Field by field, as the unit tests compare: RunConfig has no operator==.
bool same(const RunConfig& a, const RunConfig& b) {
  const auto& x = a.workload;
  const auto& y = b.workload;
  return a.items == b.items && a.chunk == b.chunk && a.strategy == b.strategy &&
         a.threads == b.threads && a.counter == b.counter && x.kind == y.kind && x.n == y.n &&
         x.seconds == y.seconds && x.bytes == y.bytes && x.dir == y.dir &&
         x.elements == y.elements && x.switch_interval == y.switch_interval &&
         x.distribution == y.distribution && x.sigma == y.sigma &&
         x.long_fraction == y.long_fraction && x.long_ratio == y.long_ratio && x.seed == y.seed;
}

[[noreturn]] void finding(const char* what, const std::string& first, const std::string& second) {
  std::fprintf(stderr, "fuzz_input: %s\n--- resolved:\n%s\n--- again:\n%s\n", what, first.c_str(),
               second.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto end_of_deck = bytes.find('\0');
  const std::string_view deck = bytes.substr(0, end_of_deck);
  RunConfig config;
  try {
    std::vector<Override> overrides;
    if (end_of_deck != std::string_view::npos) {
      bytes.remove_prefix(end_of_deck + 1);
      for (auto nul = bytes.find('\0');; nul = bytes.find('\0')) {
        overrides.push_back(parse_override(bytes.substr(0, nul)));
        if (nul == std::string_view::npos) break;
        bytes.remove_prefix(nul + 1);
      }
    }
    config = parse_config(deck, "fuzz.toml", overrides);
  } catch (const Error&) {
    return 0;  // bad input, rejected as it should be
  }
  (void)describe(config.workload);

  // What every rank other than 0 does with rank 0's verdict (config/load.cpp).
  const std::string canonical = to_toml(config);
  RunConfig again;
  try {
    again = parse_config(canonical, "resolved input from rank 0");
  } catch (const Error& e) {
    finding("the canonical TOML is rejected", canonical, e.what());
  }
  if (!same(config, again)) finding("the round trip changes the configuration", canonical, to_toml(again));
  if (to_toml(again) != canonical) finding("the canonical TOML is not a fixed point", canonical, to_toml(again));
  return 0;
}
