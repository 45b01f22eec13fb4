#include "hybridscope/config/tasks.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "hybridscope/core/error.hpp"

namespace hybridscope {

namespace {

std::string_view trim_left(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  return first == std::string_view::npos ? std::string_view{} : line.substr(first);
}

InputError task_file_error(std::string_view origin, const std::string& path, std::string_view why) {
  return InputError(fmt::format("{}: key 'workload.tasks' = \"{}\": {} (accepted: a readable file of shell "
                                "commands, one per line; blank lines and # comments are skipped)",
                                origin, path, why));
}

}  // namespace

std::vector<std::string> read_task_list(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw InputError(fmt::format("{}: is a directory", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::vector<std::string> commands;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a file saved with CRLF line ends
    const auto text = trim_left(line);
    if (text.empty() || text.front() == '#') continue;
    if (text.find('\0') != std::string_view::npos)
      throw InputError(fmt::format("{}: line {} holds a NUL byte", path, commands.size() + 1));
    commands.emplace_back(line);
  }
  if (in.bad()) throw InputError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return commands;
}

std::string expand_command(std::string_view command_template, std::uint64_t item) {
  std::string out;
  const auto number = std::to_string(item);
  for (std::size_t at = 0;;) {
    const auto hit = command_template.find(kItemPlaceholder, at);
    out.append(command_template.substr(at, hit - at));
    if (hit == std::string_view::npos) return out;
    out += number;
    at = hit + kItemPlaceholder.size();
  }
}

std::string task_list_digest(const std::vector<std::string>& commands) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  const auto add = [&](unsigned char byte) { hash = (hash ^ byte) * 0x100000001b3ULL; };
  for (const auto& command : commands) {
    for (const char ch : command) add(static_cast<unsigned char>(ch));
    add('\n');
  }
  return fmt::format("{:016x}", hash);
}

std::string resolve_tasks(RunConfig& config, std::string_view origin, std::vector<std::string>& warnings) {
  const auto& w = config.workload;
  if (w.kind != WorkloadKind::command) return {};
  if (!w.command.empty()) {
    if (config.items > 1 && w.command.find(kItemPlaceholder) == std::string::npos)
      warnings.push_back(fmt::format("{}: key 'workload.command' has no {} placeholder: all {} items run the "
                                     "same command", origin, kItemPlaceholder, config.items));
    return {};
  }
  std::vector<std::string> commands;
  try {
    commands = read_task_list(w.tasks);
  } catch (const InputError& e) {
    // read_task_list names the file; here the key and what is accepted are added.
    const std::string why = e.what();
    throw task_file_error(origin, w.tasks, why.substr(std::min(why.size(), w.tasks.size() + 2)));
  }
  if (commands.empty()) throw task_file_error(origin, w.tasks, "holds no command");
  if (config.items != 0 && config.items != commands.size())
    throw InputError(fmt::format("{}: key 'items' = {}: the task file \"{}\" holds {} commands (accepted: "
                                 "items = {}, or no items key: a task file sets it)",
                                 origin, config.items, w.tasks, commands.size(), commands.size()));
  config.items = commands.size();
  if (config.chunk > config.items)
    throw InputError(fmt::format("{}: key 'chunk' = {}: accepted: an integer in [1, items = {}]", origin,
                                 config.chunk, config.items));
  return task_list_digest(commands);
}

}  // namespace hybridscope
