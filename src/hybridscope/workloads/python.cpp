// Python functions as kernels: one embedded CPython per rank (process), the rank's OpenMP threads
// call function(item) holding the real GIL. docs/kernels.md.
#include "hybridscope/workloads/plugin.hpp"

#include "hybridscope/core/error.hpp"

#ifdef HYBRIDSCOPE_HAVE_PYTHON
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "hybridscope/core/stop.hpp"
#endif

namespace hybridscope::workloads {

#ifndef HYBRIDSCOPE_HAVE_PYTHON

bool python_available() noexcept { return false; }

std::unique_ptr<Workload> make_python_workload(const WorkloadConfig&, const RankContext&) {
  throw InputError("workload \"python\": this hybridscope was built without Python (CMake did not find "
                   "Python3 3.11 Development.Embed; on Debian: apt-get install python3-dev, then rebuild) "
                   "(accepted: another workload.kind, or a build with Python)");
}

#else

bool python_available() noexcept { return true; }

namespace {

// Helpers run inside the interpreter: loading the user's function and formatting exceptions.
constexpr const char* kHelpers = R"PY(
import importlib, importlib.util, os, sys, traceback

def _venv(root):
    site_packages = os.path.join(root, 'lib', 'python%d.%d' % sys.version_info[:2], 'site-packages')
    if os.path.isdir(site_packages):
        import site
        before = list(sys.path)
        site.addsitedir(site_packages)
        added = [p for p in sys.path if p not in before]
        sys.path[:] = added + before

def _load(path, module, function):
    if path:
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = os.path.splitext(os.path.basename(path))[0] or 'kernel'
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError('not a Python source file')
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    else:
        mod = importlib.import_module(module)
    return mod

def _one_line(e):
    text = '%s: %s' % (type(e).__name__, e)
    return ' '.join(text.split())

def _traceback(e):
    return ''.join(traceback.format_exception(type(e), e, e.__traceback__)).rstrip()
)PY";

// Everything the process's one interpreter needs; created once, never finalized (a rank may run
// several workloads, e.g. in tests, and extension modules do not survive re-initialisation).
struct Interpreter {
  PyObject* load = nullptr;        // _load(path, module, function)
  PyObject* one_line = nullptr;    // _one_line(exception)
  PyObject* traceback = nullptr;   // _traceback(exception)
  PyObject* stop_type = nullptr;   // raised asynchronously in items under way when the run stops
  std::string failure;
};

Interpreter& interpreter();

// The GIL for the calling thread, for code outside items (set-up, teardown). RAII.
class Gil {
public:
  Gil() : state_(PyGILState_Ensure()) {}
  ~Gil() { PyGILState_Release(state_); }
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;

private:
  PyGILState_STATE state_;
};

// The pending exception as (one line, full traceback); clears it. Needs the GIL.
std::pair<std::string, std::string> take_exception() {
  PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  if (!value) return {"unknown error", "unknown error"};
  if (tb) PyException_SetTraceback(value, tb);
  auto call = [&](PyObject* fn) {
    std::string out = "(the exception could not be formatted)";
    if (PyObject* text = PyObject_CallOneArg(fn, value)) {
      if (const char* utf8 = PyUnicode_AsUTF8(text)) out = utf8;
      Py_DECREF(text);
    }
    PyErr_Clear();
    return out;
  };
  auto& py = interpreter();
  auto result = std::make_pair(call(py.one_line), call(py.traceback));
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(tb);
  return result;
}

Interpreter& interpreter() {
  static Interpreter py;
  static std::once_flag once;
  std::call_once(once, [] {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.install_signal_handlers = 0;  // SIGINT, SIGTERM and SIGUSR1 stay hybridscope's
    config.parse_argv = 0;
    // The interpreter CMake built against (Debian's /usr/bin/python3), whatever python3 is on PATH.
    PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, HYBRIDSCOPE_PYTHON_EXECUTABLE);
    if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
      py.failure = fmt::format("cannot start Python ({}): {}", HYBRIDSCOPE_PYTHON_EXECUTABLE,
                               status.err_msg ? status.err_msg : "?");
      return;
    }
    PyObject* globals = PyDict_New();
    PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
    if (PyObject* done = PyRun_String(kHelpers, Py_file_input, globals, globals)) {
      Py_DECREF(done);
      py.load = PyDict_GetItemString(globals, "_load");
      py.one_line = PyDict_GetItemString(globals, "_one_line");
      py.traceback = PyDict_GetItemString(globals, "_traceback");
      py.stop_type = PyErr_NewException("hybridscope.Stopped", PyExc_BaseException, nullptr);
      // An active virtualenv: its site-packages first, as its own python would have them.
      if (const char* venv = std::getenv("VIRTUAL_ENV"); venv && *venv) {
        PyObject* fn = PyDict_GetItemString(globals, "_venv");
        PyObject* done_venv = PyObject_CallFunction(fn, "s", venv);
        if (!done_venv) py.failure = "cannot add the virtualenv $VIRTUAL_ENV to sys.path: " + take_exception().first;
        Py_XDECREF(done_venv);
      }
    } else {
      py.failure = "cannot set up the embedded Python";
      PyErr_Print();
    }
    // globals (and with it the helpers) stays alive for the life of the process.
    PyEval_SaveThread();  // the GIL is free for the rank's threads
  });
  return py;
}

// A stable 64-bit FNV-1a: Python's own hash of str and bytes is randomized per process.
std::uint64_t fnv1a(const char* data, std::size_t size, std::uint64_t tag) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ tag;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

enum class Tag : std::uint64_t { str = 1, bytes = 2, big_int = 3 };

// The checksum value of what work(item) returned: int as its 64 bits (as a C kernel's), float as
// its IEEE bits, str (UTF-8) and bytes through FNV-1a, None as 0. Needs the GIL. Returns false for
// another type.
bool fold(PyObject* value, std::uint64_t& out) {
  if (value == Py_None) {
    out = 0;
  } else if (PyLong_Check(value)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    std::uint64_t u = 0;
    if (overflow == 0) {
      out = static_cast<std::uint64_t>(v);  // negative numbers as their two's complement
    } else if (overflow > 0 && (u = PyLong_AsUnsignedLongLong(value), !PyErr_Occurred())) {
      out = u;
    } else {  // beyond 64 bits: its decimal digits
      PyErr_Clear();
      PyObject* text = PyObject_Str(value);
      if (!text) return false;
      Py_ssize_t size = 0;
      const char* utf8 = PyUnicode_AsUTF8AndSize(text, &size);
      out = fnv1a(utf8, static_cast<std::size_t>(size), std::uint64_t(Tag::big_int));
      Py_DECREF(text);
    }
  } else if (PyFloat_Check(value)) {
    const double v = PyFloat_AS_DOUBLE(value);
    std::memcpy(&out, &v, sizeof out);
  } else if (PyUnicode_Check(value)) {
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(value, &size);
    if (!utf8) return false;  // lone surrogates
    out = fnv1a(utf8, static_cast<std::size_t>(size), std::uint64_t(Tag::str));
  } else if (PyBytes_Check(value)) {
    out = fnv1a(PyBytes_AS_STRING(value), static_cast<std::size_t>(PyBytes_GET_SIZE(value)),
                std::uint64_t(Tag::bytes));
  } else if (PyByteArray_Check(value)) {
    out = fnv1a(PyByteArray_AS_STRING(value), static_cast<std::size_t>(PyByteArray_GET_SIZE(value)),
                std::uint64_t(Tag::bytes));
  } else {
    return false;
  }
  return true;
}

// How long items under way may take to end after a stop before the rank ends without them.
constexpr std::chrono::seconds kStopGrace{10};
// How often the stop watcher looks at the stop flag (set by a signal handler, which cannot wake it).
constexpr std::chrono::milliseconds kStopPoll{5};

class PythonWorkload;

class PythonWorker final : public Worker {
public:
  explicit PythonWorker(PythonWorkload& workload);
  ~PythonWorker() override;
  std::uint64_t run(std::uint64_t chunk, std::uint64_t item, trace::ThreadLog& log) override;

private:
  PythonWorkload& workload_;
  PyGILState_STATE first_;
  PyThreadState* saved_ = nullptr;
  unsigned long thread_id_ = 0;
};

class PythonWorkload final : public Workload {
public:
  PythonWorkload(const WorkloadConfig& config, const RankContext& where)
      : rank_(where.rank), crash_(where.rank, fmt::format("in the Python function {}", describe(config))) {
    auto& py = interpreter();
    if (!py.failure.empty()) throw Error(fmt::format("python: {}", py.failure));
    name_ = config.file.empty() ? config.module : config.file;
    function_name_ = config.function;
    if (!config.file.empty()) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(config.file, ec))
        throw InputError(fmt::format("python: workload.file '{}' {} (accepted: the path of a Python source file)",
                                     config.file, std::filesystem::exists(config.file, ec) ? "is not a file"
                                                                                            : "does not exist"));
    }
    Gil gil;
    PyObject* module = PyObject_CallFunction(py.load, "sss", config.file.c_str(), config.module.c_str(),
                                             config.function.c_str());
    if (!module) {
      const auto [line, full] = take_exception();
      throw InputError(fmt::format("python: cannot import workload.{} '{}': {}",
                                   config.file.empty() ? "module" : "file", name_, line));
    }
    function_ = PyObject_GetAttrString(module, config.function.c_str());
    Py_DECREF(module);
    if (!function_ || !PyCallable_Check(function_)) {
      PyErr_Clear();
      Py_XDECREF(function_);
      function_ = nullptr;
      throw InputError(fmt::format("python: '{}' has no function '{}' (workload.function; accepted: the name of a "
                                   "function of one argument, the item number)", name_, config.function));
    }
    watcher_ = std::thread([this] { watch(); });
  }

  ~PythonWorkload() override {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    changed_.notify_all();
    if (watcher_.joinable()) watcher_.join();
    if (function_) {
      Gil gil;
      Py_DECREF(function_);
    }
  }

  std::unique_ptr<Worker> make_worker() override { return std::make_unique<PythonWorker>(*this); }

  PyObject* function() const { return function_; }
  const std::string& name() const { return name_; }
  const std::string& function_name() const { return function_name_; }

  void enroll(unsigned long thread_id) {
    std::lock_guard lock(mutex_);
    threads_.push_back(thread_id);
  }
  void leave(unsigned long thread_id) {
    {
      std::lock_guard lock(mutex_);
      threads_.erase(std::remove(threads_.begin(), threads_.end(), thread_id), threads_.end());
    }
    changed_.notify_all();
  }

private:
  // Waits for a stop request; then raises hybridscope.Stopped in every thread that runs Python items
  // (it surfaces at the thread's next bytecode: a blocking call such as time.sleep ends first), and
  // ends the rank if they are not done within kStopGrace.
  void watch() {
    std::unique_lock lock(mutex_);
    while (!finished_ && !stop::requested()) changed_.wait_for(lock, kStopPoll);
    if (finished_) return;
    lock.unlock();
    {
      Gil gil;  // always GIL before the registry lock; workers never hold the GIL when they take it
      std::lock_guard registry(mutex_);
      for (const auto id : threads_) PyThreadState_SetAsyncExc(id, interpreter().stop_type);
    }
    lock.lock();
    if (changed_.wait_for(lock, kStopGrace, [this] { return finished_ || threads_.empty(); })) return;
    const auto line = fmt::format("hybridscope[rank {}]: error: Python items under way did not end within {} s of "
                                  "the stop ({} is still running); ending the rank\n",
                                  rank_, kStopGrace.count(), function_name_);
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
    std::_Exit(128 + stop::signal_received());
  }

  int rank_;
  CrashReporter crash_;
  std::string name_;
  std::string function_name_;
  PyObject* function_ = nullptr;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<unsigned long> threads_;
  bool finished_ = false;
  std::thread watcher_;
};

PythonWorker::PythonWorker(PythonWorkload& workload) : workload_(workload) {
  first_ = PyGILState_Ensure();  // this thread's Python thread state, kept until the destructor
  thread_id_ = PyThread_get_thread_ident();
  saved_ = PyEval_SaveThread();
  workload_.enroll(thread_id_);
}

PythonWorker::~PythonWorker() {
  workload_.leave(thread_id_);
  PyEval_RestoreThread(saved_);
  PyGILState_Release(first_);
}

std::uint64_t PythonWorker::run(std::uint64_t chunk, std::uint64_t item, trace::ThreadLog& log) {
  const PyGILState_STATE state = PyGILState_Ensure();
  // The wait for the GIL is a lock wait; the item's own CPU time starts now.
  log.close(trace::Activity::lock_wait, chunk, item);
  log.mark_cpu();
  PyObject* argument = PyLong_FromUnsignedLongLong(item);
  PyObject* result = argument ? PyObject_CallOneArg(workload_.function(), argument) : nullptr;
  Py_XDECREF(argument);
  std::uint64_t value = 0;
  if (!result) {
    if (PyErr_ExceptionMatches(interpreter().stop_type)) {
      PyErr_Clear();
      PyGILState_Release(state);
      throw Abandoned{};
    }
    const auto [line, full] = take_exception();
    PyGILState_Release(state);
    throw Error(fmt::format("python {}: {}(item={}) raised {}\n{}", workload_.name(), workload_.function_name(),
                            item, line, full));
  }
  const bool folded = fold(result, value);
  std::string type_name;
  if (!folded) {
    PyErr_Clear();
    type_name = Py_TYPE(result)->tp_name;
  }
  Py_DECREF(result);
  PyGILState_Release(state);
  if (!folded)
    throw Error(fmt::format("python {}: {}(item={}) returned a value of type '{}' (accepted: int, float, str, "
                            "bytes or None)", workload_.name(), workload_.function_name(), item, type_name));
  return value;
}

}  // namespace

std::unique_ptr<Workload> make_python_workload(const WorkloadConfig& config, const RankContext& where) {
  return std::make_unique<PythonWorkload>(config, where);
}

#endif

}  // namespace hybridscope::workloads
