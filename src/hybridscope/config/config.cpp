#include "hybridscope/config/config.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <functional>
#include <filesystem>
#include <map>
#include <sstream>
#include <toml++/toml.h>

#include "hybridscope/core/error.hpp"

namespace hybridscope {

namespace {

template <typename Enum, std::size_t N>
using Names = std::array<std::pair<Enum, std::string_view>, N>;

constexpr Names<Strategy, 4> kStrategies{{{Strategy::static_block, "static-block"},
                                          {Strategy::static_cyclic, "static-cyclic"},
                                          {Strategy::dynamic, "dynamic"},
                                          {Strategy::guided, "guided"}}};
constexpr Names<WorkloadKind, 10> kKinds{{{WorkloadKind::fib, "fib"},
                                         {WorkloadKind::spin, "spin"},
                                         {WorkloadKind::sleep, "sleep"},
                                         {WorkloadKind::file_io, "file_io"},
                                         {WorkloadKind::triad, "triad"},
                                         {WorkloadKind::gil, "gil"},
                                         {WorkloadKind::irregular, "irregular"},
                                         {WorkloadKind::plugin, "plugin"},
                                         {WorkloadKind::python, "python"},
                                         {WorkloadKind::command, "command"}}};
constexpr Names<Distribution, 3> kDistributions{{{Distribution::lognormal, "lognormal"},
                                                 {Distribution::uniform, "uniform"},
                                                 {Distribution::bimodal, "bimodal"}}};
constexpr Names<CounterMode, 3> kCounterModes{{{CounterMode::automatic, "auto"},
                                               {CounterMode::shared, "shared"},
                                               {CounterMode::rma, "rma"}}};

template <typename Enum, std::size_t N>
std::string_view name_of(const Names<Enum, N>& names, Enum value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}

template <typename Enum, std::size_t N>
std::string quoted_names(const Names<Enum, N>& names) {
  std::string out;
  for (const auto& [v, name] : names) out += fmt::format("{}\"{}\"", out.empty() ? "" : ", ", name);
  return out;
}

// Upper bounds keep a typo from exhausting memory or running for a year.
constexpr std::int64_t kMaxItems = 1'000'000'000'000;
constexpr std::int64_t kMaxThreads = 1024;
constexpr std::int64_t kMaxFibN = 50;  // fib(50) is ~40 s per item; fib(94) overflows 64 bits
constexpr double kMaxSeconds = 3600.0;
constexpr std::int64_t kMaxBytes = std::int64_t{1} << 30;
constexpr std::int64_t kMaxElements = std::int64_t{1} << 27;  // 1 GiB per array
constexpr std::int64_t kMaxRetries = 100;

// One line of TOML, for messages and for to_toml's dir: tables inline, strings in double quotes
// with escapes (a multi-line or literal string would break the line, or lose a leading newline on
// re-parsing), and the lines toml++ always breaks a long array into joined again.
std::string render(const toml::node& node) {
  constexpr auto flags = toml::toml_formatter::default_flags &
                         ~(toml::format_flags::allow_multi_line_strings |
                           toml::format_flags::allow_literal_strings);
  std::ostringstream out;
  if (const auto* table = node.as_table()) {
    toml::table inline_table = *table;
    inline_table.is_inline(true);
    out << toml::toml_formatter(inline_table, flags);
  } else {
    out << toml::toml_formatter(node, flags);
  }
  std::string line;
  bool joining = false;
  for (const char ch : out.str()) {
    if (ch == '\n') {
      joining = true;
      continue;
    }
    if (joining && (ch == ' ' || ch == '\t')) continue;
    if (joining && !line.empty() && line.back() != ' ') line += ' ';
    joining = false;
    line += ch;
  }
  return line;
}

// Reads one key's value, naming where it came from in every complaint.
class KeyReader {
public:
  KeyReader(const toml::node& node, std::string key, std::string origin)
      : node_(node), key_(std::move(key)), origin_(std::move(origin)) {}

  [[noreturn]] void reject(std::string_view accepted) const {
    throw InputError(
        fmt::format("{}: key '{}' = {}: accepted: {}", origin_, key_, render(node_), accepted));
  }

  std::int64_t integer(std::int64_t lo, std::int64_t hi, std::string_view why = {}) const {
    auto accepted = fmt::format("an integer in [{}, {}]{}{}", lo, hi, why.empty() ? "" : " ", why);
    auto v = node_.value_exact<std::int64_t>();
    if (!v || *v < lo || *v > hi) reject(accepted);
    return *v;
  }

  // Accepts integers too: `seconds = 1` means 1.0.
  double number(double lo_exclusive, double hi) const {
    auto accepted = fmt::format("a number > {} and <= {}", lo_exclusive, hi);
    std::optional<double> v;
    if (node_.is_floating_point()) v = node_.value_exact<double>();
    else if (auto i = node_.value_exact<std::int64_t>()) v = static_cast<double>(*i);
    if (!v || !std::isfinite(*v) || *v <= lo_exclusive || *v > hi) reject(accepted);
    return *v;
  }

  bool boolean() const {
    auto v = node_.value_exact<bool>();
    if (!v) reject("true or false");
    return *v;
  }

  double fraction() const {
    auto accepted = "a number in [0, 1]";
    std::optional<double> v;
    if (node_.is_floating_point()) v = node_.value_exact<double>();
    else if (auto i = node_.value_exact<std::int64_t>()) v = static_cast<double>(*i);
    if (!v || !(*v >= 0.0 && *v <= 1.0)) reject(accepted);
    return *v;
  }

  std::string string() const {
    auto v = node_.value_exact<std::string>();
    if (!v) reject("a string");
    return *v;
  }

  // A file path: a deck's relative to the deck's folder, --set's to the working directory. Made
  // absolute, so that every rank (and the canonical TOML) means the same file.
  std::string path() const {
    const std::string v = string();
    if (v.empty()) reject("a non-empty path");
    const std::filesystem::path p(v);
    if (p.is_absolute()) return p.lexically_normal().string();
    std::error_code ignored;
    std::filesystem::path base = std::filesystem::current_path(ignored);
    if (origin_.rfind("--set ", 0) != 0) base = std::filesystem::absolute(std::filesystem::path(origin_).parent_path(), ignored);
    return (base / p).lexically_normal().string();
  }

  template <typename Enum, std::size_t N>
  Enum choice(const Names<Enum, N>& names) const {
    auto v = node_.value_exact<std::string>();
    if (v)
      for (const auto& [value, name] : names)
        if (*v == name) return value;
    reject(fmt::format("one of {}", quoted_names(names)));
  }

private:
  const toml::node& node_;
  std::string key_;
  std::string origin_;
};

// A Python identifier or dotted name (ASCII only).
bool is_dotted_name(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  bool start = true;
  for (const char ch : name) {
    const bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
    const bool digit = ch >= '0' && ch <= '9';
    if (ch == '.') {
      if (start) return false;
      start = true;
    } else if (alpha || (digit && !start)) {
      start = false;
    } else {
      return false;
    }
  }
  return !start;
}

using Setter = std::function<void(const KeyReader&, RunConfig&)>;

struct KeySpec {
  std::string_view key;
  std::vector<WorkloadKind> kinds;  // workload keys: kinds it applies to
  Setter set;
};

const std::vector<KeySpec>& top_level_keys() {
  static const std::vector<KeySpec> keys{
      {"items", {}, [](const KeyReader& r, RunConfig& c) { c.items = r.integer(1, kMaxItems); }},
      {"chunk", {}, [](const KeyReader& r, RunConfig& c) { c.chunk = r.integer(1, kMaxItems); }},
      {"strategy", {}, [](const KeyReader& r, RunConfig& c) { c.strategy = r.choice(kStrategies); }},
      {"threads", {},
       [](const KeyReader& r, RunConfig& c) {
         c.threads = int(r.integer(0, kMaxThreads, "(0: OMP_NUM_THREADS, else OpenMP's default)"));
       }},
      {"counter", {}, [](const KeyReader& r, RunConfig& c) { c.counter = r.choice(kCounterModes); }},
  };
  return keys;
}

const std::vector<KeySpec>& workload_keys() {
  using K = WorkloadKind;
  static const std::vector<KeySpec> keys{
      {"kind", {}, [](const KeyReader& r, RunConfig& c) { c.workload.kind = r.choice(kKinds); }},
      {"n", {K::fib},
       [](const KeyReader& r, RunConfig& c) {
         c.workload.n = int(r.integer(0, kMaxFibN, "(each step up costs 1.6x; fib(94) overflows 64 bits)"));
       }},
      {"seconds", {K::spin, K::sleep, K::gil, K::irregular},
       [](const KeyReader& r, RunConfig& c) { c.workload.seconds = r.number(0.0, kMaxSeconds); }},
      {"bytes", {K::file_io},
       [](const KeyReader& r, RunConfig& c) { c.workload.bytes = r.integer(1, kMaxBytes); }},
      {"dir", {K::file_io},
       [](const KeyReader& r, RunConfig& c) {
         c.workload.dir = r.string();
         if (c.workload.dir.empty()) r.reject("a non-empty directory path");
       }},
      {"elements", {K::triad},
       [](const KeyReader& r, RunConfig& c) { c.workload.elements = r.integer(16, kMaxElements); }},
      {"switch_interval", {K::gil},
       [](const KeyReader& r, RunConfig& c) { c.workload.switch_interval = r.number(0.0, 1.0); }},
      {"distribution", {K::irregular},
       [](const KeyReader& r, RunConfig& c) { c.workload.distribution = r.choice(kDistributions); }},
      {"sigma", {K::irregular},
       [](const KeyReader& r, RunConfig& c) { c.workload.sigma = r.number(0.0, 4.0); }},
      {"long_fraction", {K::irregular},
       [](const KeyReader& r, RunConfig& c) { c.workload.long_fraction = r.fraction(); }},
      {"long_ratio", {K::irregular},
       [](const KeyReader& r, RunConfig& c) { c.workload.long_ratio = r.number(0.0, 1000.0); }},
      {"seed", {K::irregular},
       [](const KeyReader& r, RunConfig& c) {
         c.workload.seed = r.integer(0, std::numeric_limits<std::int64_t>::max());
       }},
      {"library", {K::plugin}, [](const KeyReader& r, RunConfig& c) { c.workload.library = r.path(); }},
      {"args", {K::plugin},
       [](const KeyReader& r, RunConfig& c) {
         c.workload.args = r.string();
         if (c.workload.args.find('\0') != std::string::npos) r.reject("a string without NUL characters");
       }},
      {"file", {K::python}, [](const KeyReader& r, RunConfig& c) { c.workload.file = r.path(); }},
      {"module", {K::python},
       [](const KeyReader& r, RunConfig& c) {
         c.workload.module = r.string();
         if (!is_dotted_name(c.workload.module)) r.reject("a Python module name such as mypackage.kernels");
       }},
      {"function", {K::python},
       [](const KeyReader& r, RunConfig& c) {
         c.workload.function = r.string();
         if (!is_dotted_name(c.workload.function) || c.workload.function.find('.') != std::string::npos)
           r.reject("a Python function name such as work");
       }},
      {"command", {K::command},
       [](const KeyReader& r, RunConfig& c) {
         c.workload.command = r.string();
         if (c.workload.command.empty() || c.workload.command.find('\0') != std::string::npos)
           r.reject("a shell command such as \"./analyse input-{item}.dat\"");
       }},
      {"tasks", {K::command}, [](const KeyReader& r, RunConfig& c) { c.workload.tasks = r.path(); }},
      {"output", {K::command}, [](const KeyReader& r, RunConfig& c) { c.workload.output = r.path(); }},
      {"retries", {K::command},
       [](const KeyReader& r, RunConfig& c) { c.workload.retries = int(r.integer(0, kMaxRetries)); }},
      {"fail_fast", {K::command}, [](const KeyReader& r, RunConfig& c) { c.workload.fail_fast = r.boolean(); }},
      {"kill_grace", {K::command},
       [](const KeyReader& r, RunConfig& c) { c.workload.kill_grace = r.number(0.0, kMaxSeconds); }},
  };
  return keys;
}

std::string accepted_keys(const std::vector<KeySpec>& specs, std::string_view prefix,
                          std::optional<WorkloadKind> kind) {
  std::string out;
  for (const auto& s : specs) {
    bool applies = s.kinds.empty() || !kind ||
                   std::find(s.kinds.begin(), s.kinds.end(), *kind) != s.kinds.end();
    if (applies) out += fmt::format("{}{}{}", out.empty() ? "" : ", ", prefix, s.key);
  }
  return out;
}

const KeySpec* find_key(const std::vector<KeySpec>& specs, std::string_view key) {
  for (const auto& s : specs)
    if (s.key == key) return &s;
  return nullptr;
}

toml::table parse_text(std::string_view text, std::string_view origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw InputError(fmt::format("{}:{}:{}: TOML syntax error: {} (accepted: a TOML document "
                                 "such as the decks in inputs/)", origin, where.line, where.column,
                                 e.description()));
  }
}

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), as TOML text must be.
bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    // The length of the sequence and the range of its second byte (later ones are 0x80-0xBF).
    std::size_t length = 1;
    unsigned char lo = 0x80, hi = 0xBF;
    if (at(0) >= 0xC2 && at(0) <= 0xDF) {
      length = 2;
    } else if (at(0) >= 0xE0 && at(0) <= 0xEF) {
      length = 3;
      if (at(0) == 0xE0) lo = 0xA0;  // overlong
      if (at(0) == 0xED) hi = 0x9F;  // surrogates
    } else if (at(0) >= 0xF0 && at(0) <= 0xF4) {
      length = 4;
      if (at(0) == 0xF0) lo = 0x90;  // overlong
      if (at(0) == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else if (at(0) >= 0x80) {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k)
      if (at(k) < (k == 1 ? lo : 0x80) || at(k) > (k == 1 ? hi : 0xBF)) return false;
    i += length;
  }
  return true;
}

// Values on the command line are TOML values; a bare word such as `dynamic` is taken as a string.
// It must be UTF-8, as a string in a deck is: any other bytes could not be written to the canonical
// TOML that the other ranks parse.
toml::table override_value(const Override& o) {
  try {
    return toml::parse(fmt::format("v = {}", o.value));
  } catch (const toml::parse_error&) {
    if (!is_utf8(o.value))
      throw InputError(fmt::format("--set {}={}: the value is not UTF-8 text (accepted: a TOML value, "
                                   "or UTF-8 text taken as a string)", o.key, o.value));
    toml::table t;
    t.insert("v", o.value);
    return t;
  }
}

// Applies one override to the document and remembers that the key now comes from the command line.
void apply_override(toml::table& doc, const Override& o, std::map<std::string, std::string>& origins) {
  const auto origin = fmt::format("--set {}={}", o.key, o.value);
  toml::table* table = &doc;
  std::string_view rest = o.key;
  for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
    auto part = std::string(rest.substr(0, dot));
    if (part.empty()) break;
    auto* node = table->get(part);
    if (!node) node = table->insert(part, toml::table{}).first->second.as_table();
    if (!node->is_table())
      throw InputError(fmt::format("{}: key '{}' is not a table (accepted: KEY=VALUE with KEY a key "
                                   "such as chunk or workload.n)", origin, part));
    table = node->as_table();
    rest.remove_prefix(dot + 1);
  }
  if (rest.empty() || rest.find('.') != std::string_view::npos)
    throw InputError(fmt::format("{}: '{}' is not a key (accepted: KEY=VALUE with KEY a key such as "
                                 "chunk or workload.n)", origin, o.key));
  auto value = override_value(o);
  table->insert_or_assign(std::string(rest), std::move(*value.get("v")));
  origins[o.key] = origin;
}

std::string origin_of(const std::map<std::string, std::string>& origins, const std::string& key,
                      std::string_view file) {
  auto it = origins.find(key);
  return it != origins.end() ? it->second : std::string(file);
}

void read_workload(const toml::table& table, RunConfig& config,
                   const std::map<std::string, std::string>& origins, std::string_view file) {
  // The kind decides which other keys apply, so it is read first.
  if (const auto* kind = table.get("kind"))
    find_key(workload_keys(), "kind")
        ->set(KeyReader(*kind, "workload.kind", origin_of(origins, "workload.kind", file)), config);
  for (const auto& [k, node] : table) {
    const std::string key = fmt::format("workload.{}", k.str());
    const auto origin = origin_of(origins, key, file);
    const auto* spec = find_key(workload_keys(), k.str());
    const bool applies = spec && (spec->kinds.empty() ||
                                  std::find(spec->kinds.begin(), spec->kinds.end(),
                                            config.workload.kind) != spec->kinds.end());
    if (!applies)
      throw InputError(fmt::format("{}: key '{}' = {}: {} workload \"{}\" (accepted: {})", origin,
                                   key, render(node), spec ? "does not apply to" : "unknown key for",
                                   to_string(config.workload.kind),
                                   accepted_keys(workload_keys(), "workload.", config.workload.kind)));
    spec->set(KeyReader(node, key, origin), config);
  }
}

}  // namespace

std::string_view to_string(Strategy s) { return name_of(kStrategies, s); }
std::string_view to_string(WorkloadKind k) { return name_of(kKinds, k); }
std::string_view to_string(Distribution d) { return name_of(kDistributions, d); }
std::string_view to_string(CounterMode m) { return name_of(kCounterModes, m); }

Override parse_override(std::string_view assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw InputError(fmt::format("--set {}: accepted: KEY=VALUE, e.g. --set workload.n=32", assignment));
  return {std::string(assignment.substr(0, eq)), std::string(assignment.substr(eq + 1))};
}

RunConfig parse_config(std::string_view toml_text, std::string_view origin,
                       const std::vector<Override>& overrides) {
  toml::table doc = parse_text(toml_text, origin);
  std::map<std::string, std::string> origins;
  for (const auto& o : overrides) apply_override(doc, o, origins);

  RunConfig config;
  for (const auto& [k, node] : doc) {
    const std::string key(k.str());
    const auto key_origin = origin_of(origins, key, origin);
    if (key == "workload") {
      if (!node.is_table())
        throw InputError(fmt::format("{}: key 'workload' = {}: accepted: a table such as "
                                     "[workload] kind = \"fib\"", key_origin, render(node)));
      read_workload(*node.as_table(), config, origins, origin);
      continue;
    }
    const auto* spec = find_key(top_level_keys(), key);
    if (!spec)
      throw InputError(fmt::format("{}: key '{}' = {}: unknown key (accepted: {}, workload)",
                                   key_origin, key, render(node),
                                   accepted_keys(top_level_keys(), "", std::nullopt)));
    spec->set(KeyReader(node, key, key_origin), config);
  }
  const auto& w = config.workload;
  if (w.kind == WorkloadKind::plugin && w.library.empty())
    throw InputError(fmt::format("{}: key 'workload.library' is missing: workload \"plugin\" needs it (accepted: "
                                 "the path of a shared library built against include/hybridscope/kernel.h)",
                                 origin_of(origins, "workload.kind", origin)));
  if (w.kind == WorkloadKind::python && w.file.empty() == w.module.empty())
    throw InputError(fmt::format("{}: keys 'workload.file' and 'workload.module': workload \"python\" needs exactly "
                                 "one of them (accepted: file = \"PATH.py\" or module = \"NAME\")",
                                 origin_of(origins, w.file.empty() ? "workload.kind" : "workload.module", origin)));
  if (w.kind == WorkloadKind::command && w.command.empty() == w.tasks.empty())
    throw InputError(fmt::format("{}: keys 'workload.command' and 'workload.tasks': workload \"command\" needs "
                                 "exactly one of them (accepted: command = \"TEMPLATE with {{item}}\" or tasks = "
                                 "\"FILE\" with one command per line)",
                                 origin_of(origins, w.command.empty() ? "workload.kind" : "workload.tasks", origin)));
  // A task file sets the item count when it is read (resolve_tasks); an `items` given must agree.
  // The built-in default's own `items` was not given by anyone.
  const bool items_given = origins.count("items") || (doc.contains("items") && origin != kDefaultOrigin);
  if (w.kind == WorkloadKind::command && !w.tasks.empty() && !items_given) config.items = 0;
  if (config.items != 0 && config.chunk > config.items)
    throw InputError(fmt::format("{}: key 'chunk' = {}: accepted: an integer in [1, items = {}]",
                                 origin_of(origins, "chunk", origin), config.chunk, config.items));
  return config;
}

std::string to_toml(const RunConfig& c) {
  const auto& w = c.workload;
  std::string out = fmt::format("items = {}\nchunk = {}\nstrategy = \"{}\"\ncounter = \"{}\"\n",
                                c.items, c.chunk, to_string(c.strategy), to_string(c.counter));
  if (c.threads > 0) out += fmt::format("threads = {}\n", c.threads);
  out += fmt::format("\n[workload]\nkind = \"{}\"\n", to_string(w.kind));
  // Floats are written with full precision so that re-parsing gives the identical value.
  switch (w.kind) {
    case WorkloadKind::fib: out += fmt::format("n = {}\n", w.n); break;
    case WorkloadKind::spin:
    case WorkloadKind::sleep: out += fmt::format("seconds = {:.17g}\n", w.seconds); break;
    case WorkloadKind::file_io:
      out += fmt::format("bytes = {}\n", w.bytes);
      if (!w.dir.empty()) out += fmt::format("dir = {}\n", render(toml::value<std::string>(w.dir)));
      break;
    case WorkloadKind::triad: out += fmt::format("elements = {}\n", w.elements); break;
    case WorkloadKind::gil:
      out += fmt::format("seconds = {:.17g}\nswitch_interval = {:.17g}\n", w.seconds, w.switch_interval);
      break;
    case WorkloadKind::irregular:
      // Every shape parameter, whatever the distribution: a deck may set sigma beside "uniform".
      out += fmt::format("seconds = {:.17g}\ndistribution = \"{}\"\nseed = {}\nsigma = {:.17g}\n"
                         "long_fraction = {:.17g}\nlong_ratio = {:.17g}\n", w.seconds,
                         to_string(w.distribution), w.seed, w.sigma, w.long_fraction, w.long_ratio);
      break;
    case WorkloadKind::plugin:
      out += fmt::format("library = {}\n", render(toml::value<std::string>(w.library)));
      if (!w.args.empty()) out += fmt::format("args = {}\n", render(toml::value<std::string>(w.args)));
      break;
    case WorkloadKind::python:
      if (!w.file.empty()) out += fmt::format("file = {}\n", render(toml::value<std::string>(w.file)));
      if (!w.module.empty()) out += fmt::format("module = {}\n", render(toml::value<std::string>(w.module)));
      out += fmt::format("function = {}\n", render(toml::value<std::string>(w.function)));
      break;
    case WorkloadKind::command:
      if (!w.command.empty()) out += fmt::format("command = {}\n", render(toml::value<std::string>(w.command)));
      if (!w.tasks.empty()) out += fmt::format("tasks = {}\n", render(toml::value<std::string>(w.tasks)));
      if (!w.output.empty()) out += fmt::format("output = {}\n", render(toml::value<std::string>(w.output)));
      out += fmt::format("retries = {}\nfail_fast = {}\nkill_grace = {:.17g}\n", w.retries, w.fail_fast,
                         w.kill_grace);
      break;
  }
  return out;
}

std::string describe(const WorkloadConfig& w) {
  switch (w.kind) {
    case WorkloadKind::fib: return fmt::format("fib n={}", w.n);
    case WorkloadKind::spin: return fmt::format("spin {} s", w.seconds);
    case WorkloadKind::sleep: return fmt::format("sleep {} s", w.seconds);
    case WorkloadKind::file_io: return fmt::format("file_io {} bytes", w.bytes);
    case WorkloadKind::triad: return fmt::format("triad {} elements", w.elements);
    case WorkloadKind::gil:
      return fmt::format("gil {} s, switch interval {} s", w.seconds, w.switch_interval);
    case WorkloadKind::irregular: {
      std::string shape;
      if (w.distribution == Distribution::lognormal) shape = fmt::format(", sigma {}", w.sigma);
      if (w.distribution == Distribution::bimodal)
        shape = fmt::format(", {} long x{}", w.long_fraction, w.long_ratio);
      return fmt::format("irregular {} mean {} s{}, seed {}", to_string(w.distribution), w.seconds,
                         shape, w.seed);
    }
    case WorkloadKind::plugin:
      return w.args.empty() ? fmt::format("plugin {}", w.library)
                            : fmt::format("plugin {} args \"{}\"", w.library, w.args);
    case WorkloadKind::python:
      return fmt::format("python {}:{}", w.file.empty() ? w.module : w.file, w.function);
    case WorkloadKind::command: {
      const auto retries = w.retries ? fmt::format(", {} retries", w.retries) : std::string{};
      return w.tasks.empty() ? fmt::format("command \"{}\"{}", w.command, retries)
                             : fmt::format("tasks {}{}", w.tasks, retries);
    }
  }
  return "?";
}

const std::string_view kDefaultInput = R"(# Built-in default: CPU-bound fib(30) items over every rank and thread.
items = 256
chunk = 1
strategy = "dynamic"

[workload]
kind = "fib"  # n = 30 by default; not written here, so that --set workload.kind=... works
)";

}  // namespace hybridscope
