#pragma once
// Where a run's time goes, phase by phase (bench/scaling.sh): with HYBRIDSCOPE_PHASES=1 in the
// environment, rank 0 prints one line of seconds per phase when the run ends. The first phase,
// "start", runs from the process's creation (exec, loading libraries) to the first mark.
#include <string>
#include <string_view>

namespace hybridscope::phases {

// Ends the phase under way and starts `name` (a string literal). From the main thread only.
void begin(const char* name);

// "start 0.41 s, setup 0.02 s, ...": the phases so far, the one under way ended now.
std::string summary();

// Whether HYBRIDSCOPE_PHASES asks for the line.
bool wanted();

}  // namespace hybridscope::phases
