#include "hybridscope/workloads/gil_lock.hpp"

namespace hybridscope::workloads {

GilLock& process_gil() {
  static GilLock lock;
  return lock;
}

}  // namespace hybridscope::workloads
