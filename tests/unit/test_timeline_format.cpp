// The timeline format described once (timeline/format.hpp) and its documentation for people
// (docs/timeline-format.md) say the same: every root attribute and column is named, in backquotes,
// in the section of its table; every table has its section; names are unique per table.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hybridscope/timeline/format.hpp"
#include "hybridscope/trace/interval.hpp"

#ifndef HYBRIDSCOPE_SOURCE_DIR
#error "tests/CMakeLists.txt defines HYBRIDSCOPE_SOURCE_DIR, the project's source directory"
#endif

namespace hybridscope::timeline {
namespace {

const std::string kDocPath = std::string(HYBRIDSCOPE_SOURCE_DIR) + "/docs/timeline-format.md";
constexpr std::string_view kRootSection = "Root attributes";

std::string read_doc() {
  std::ifstream in(kDocPath);
  if (!in) throw std::runtime_error("cannot read " + kDocPath);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string& doc() {
  static const std::string text = read_doc();
  return text;
}

// The document's "## " sections: heading -> text up to the next one.
std::map<std::string, std::string> sections() {
  std::map<std::string, std::string> out;
  std::istringstream in(doc());
  std::string line, heading;
  bool in_code = false;
  while (std::getline(in, line)) {
    if (line.starts_with("```")) in_code = !in_code;
    if (!in_code && line.starts_with("## ")) {
      heading = line.substr(3);
      out[heading];
      continue;
    }
    if (!heading.empty()) out[heading] += line + "\n";
  }
  return out;
}

// The heading of table `table`'s section: "`/table` — what it is".
std::string table_heading(std::string_view table) {
  const std::string start = "`/" + std::string(table) + "`";
  for (const auto& [heading, text] : sections())
    if (heading.starts_with(start)) return heading;
  return "";
}

std::string quoted(std::string_view name) { return "`" + std::string(name) + "`"; }

TEST(TimelineFormat, DocumentIsThere) {
  ASSERT_FALSE(doc().empty()) << kDocPath;
  EXPECT_TRUE(sections().count(std::string(kRootSection))) << "no '## " << kRootSection << "' in " << kDocPath;
}

TEST(TimelineFormat, DocumentNamesTheSchemaVersion) {
  const std::string title = "# The timeline file (schema_version " + std::to_string(kSchemaVersion) + ")";
  EXPECT_TRUE(doc().starts_with(title + "\n")) << "expected the title '" << title << "' in " << kDocPath;
  const auto root = sections().at(std::string(kRootSection));
  EXPECT_NE(root.find("| `schema_version` | int64 | " + std::to_string(kSchemaVersion) + ";"), std::string::npos)
      << root;
}

TEST(TimelineFormat, EveryTableHasASection) {
  for (const auto table : kTables)
    EXPECT_FALSE(table_heading(table).empty()) << "no '## `/" << table << "`' section in " << kDocPath;
}

TEST(TimelineFormat, EveryFieldIsNamedInTheDocument) {
  ASSERT_FALSE(all_fields().empty());
  for (const auto& field : all_fields())
    EXPECT_NE(doc().find(quoted(field.name)), std::string::npos)
        << field.path() << " is not in " << kDocPath << " as " << quoted(field.name);
}

TEST(TimelineFormat, EveryFieldIsNamedInTheSectionOfItsTable) {
  const auto all = sections();
  for (const auto& field : all_fields()) {
    const std::string heading = field.table.empty() ? std::string(kRootSection) : table_heading(field.table);
    const auto it = all.find(heading);
    ASSERT_NE(it, all.end()) << "no section for " << field.path();
    EXPECT_NE(it->second.find(quoted(field.name)), std::string::npos)
        << field.path() << " is not in the section '" << heading << "' of " << kDocPath;
  }
}

TEST(TimelineFormat, EveryActivityKindIsInTheEnumTableWithItsCode) {
  const auto intervals = sections().at(table_heading("intervals"));
  for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
    const std::string row = "| " + std::to_string(k) + " | " + quoted(trace::kActivityNames[k]) + " |";
    EXPECT_NE(intervals.find(row), std::string::npos) << "no row '" << row << "' in the /intervals section";
  }
}

TEST(TimelineFormat, FieldNamesAreUniquePerTable) {
  std::map<std::string_view, std::set<std::string_view>> names;
  for (const auto& field : all_fields())
    EXPECT_TRUE(names[field.table].insert(field.name).second) << "two fields " << field.path();
  // Every table has columns, and every column belongs to a known table.
  const std::set<std::string_view> tables(std::begin(kTables), std::end(kTables));
  EXPECT_EQ(tables.size(), std::size(kTables)) << "a table is listed twice in kTables";
  for (const auto table : kTables) EXPECT_FALSE(names[table].empty()) << table << " has no columns";
  for (const auto& [table, columns] : names)
    EXPECT_TRUE(table.empty() || tables.count(table)) << "columns of '" << table << "', which kTables does not list";
}

TEST(TimelineFormat, KindColumnsFollowTheActivityNames) {
  for (std::size_t k = 0; k < trace::kActivityCount; ++k) {
    EXPECT_EQ(threads::kind_ns[k].name, std::string(trace::kActivityNames[k]) + "_ns");
    EXPECT_EQ(threads::kind_ns[k].table, "threads");
    EXPECT_EQ(threads::kind_ns[k].unit, "ns");
    EXPECT_EQ(threads::kind_ns[k].type, Type::i64);
  }
}

TEST(TimelineFormat, PathsAndUnits) {
  EXPECT_EQ(attributes::schema_version.path(), "schema_version");
  EXPECT_EQ(intervals::begin_ns.path(), "intervals/begin_ns");
  EXPECT_EQ(threads::kind_ns[1].path(), "threads/work_ns");
  // Every time column and only those is in ns.
  for (const auto& field : all_fields()) {
    if (!field.table.empty()) EXPECT_EQ(field.unit == "ns", field.name.ends_with("_ns")) << field.path();
  }
}

}  // namespace
}  // namespace hybridscope::timeline
