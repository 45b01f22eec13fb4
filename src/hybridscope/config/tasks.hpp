#pragma once
// The commands of a task farm (workload.kind = "command"): a template run once per item, or a task
// file with one shell command per line. docs/task-farms.md.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hybridscope/config/config.hpp"

namespace hybridscope {

// The placeholder a command template must hold to tell its items apart.
inline constexpr std::string_view kItemPlaceholder = "{item}";

// The commands of a task file, in order: one per line; blank lines and lines whose first non-blank
// character is '#' are skipped. Throws InputError naming the file when it cannot be read.
std::vector<std::string> read_task_list(const std::string& path);

// The template with every {item} replaced by the item number.
std::string expand_command(std::string_view command_template, std::uint64_t item);

// A digest of a task list (FNV-1a over the commands), recorded so that --resume can tell a changed
// task file from the one a timeline ran.
std::string task_list_digest(const std::vector<std::string>& commands);

// For a task file: reads it, sets `items` to its number of commands (or checks that an `items` the
// input gave agrees), and returns the digest; "" for every other input. Throws InputError naming the
// file, key and value. Warnings (a template without {item} for several items) go to `warnings`.
std::string resolve_tasks(RunConfig& config, std::string_view origin, std::vector<std::string>& warnings);

}  // namespace hybridscope
