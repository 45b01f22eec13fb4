#include "hybridscope/h5/api.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <mutex>

#include "hybridscope/h5/h5.hpp"

namespace hybridscope::h5::api {

namespace {

void load();

// What a function pointer holds until the library is loaded: loading points it (and every other)
// at the library's function, which it then calls.
template <typename Function>
struct Stub;
template <typename Result, typename... Args>
struct Stub<Result (*)(Args...)> {
  template <Result (**Pointer)(Args...)>
  static Result call(Args... args) {
    load();
    return (*Pointer)(args...);
  }
};

void* symbol(void* library, const char* name) {
  void* address = dlsym(library, name);
  if (!address) throw H5Error(fmt::format("HDF5: {} has no '{}'", HYBRIDSCOPE_HDF5_LIBRARY, name));
  return address;
}

void load() {
  static std::once_flag once;
  std::call_once(once, [] {  // a throw leaves it to be tried again
    void* library = dlopen(HYBRIDSCOPE_HDF5_LIBRARY, RTLD_NOW | RTLD_GLOBAL);
    if (!library) throw H5Error(fmt::format("HDF5: cannot load {}: {}", HYBRIDSCOPE_HDF5_LIBRARY, dlerror()));
#define HYBRIDSCOPE_H5_RESOLVE(name) name = reinterpret_cast<decltype(name)>(symbol(library, #name));
    HYBRIDSCOPE_H5_FUNCTIONS(HYBRIDSCOPE_H5_RESOLVE)
    // The identifiers exist once the library is initialized.
    if (reinterpret_cast<herr_t (*)()>(symbol(library, "H5open"))() < 0)
      throw H5Error(fmt::format("HDF5: {} cannot initialize", HYBRIDSCOPE_HDF5_LIBRARY));
#define HYBRIDSCOPE_H5_COPY(name) name = *static_cast<const hid_t*>(symbol(library, #name));
    HYBRIDSCOPE_H5_IDENTIFIERS(HYBRIDSCOPE_H5_COPY)
  });
}

}  // namespace

#define HYBRIDSCOPE_H5_DEFINE_FUNCTION(name) \
  decltype(&::name) name = &Stub<decltype(&::name)>::call<&name>;
#define HYBRIDSCOPE_H5_DEFINE_IDENTIFIER(name) hid_t name = -1;
HYBRIDSCOPE_H5_FUNCTIONS(HYBRIDSCOPE_H5_DEFINE_FUNCTION)
HYBRIDSCOPE_H5_IDENTIFIERS(HYBRIDSCOPE_H5_DEFINE_IDENTIFIER)

herr_t H5open() {
  load();
  return 0;
}

}  // namespace hybridscope::h5::api
