// Portable driver for the fuzz targets when libFuzzer is not available (g++),
// and the engine behind their ctest entries:
//
//   freshet_fuzz_<name> FILE|DIR...           run every input given (libFuzzer's
//                                             replay mode; -flags=... are ignored)
//   freshet_fuzz_<name> --mutate N --seed S   run N deterministic mutations of the
//                                             target's in-process seeds (S "random":
//                                             a fresh seed, printed first, so that
//                                             every run explores anew and replays)
//   freshet_fuzz_<name> --write-seeds DIR     write the seeds (a libFuzzer corpus)
//
// Other options: --max-seconds S (stop mutating after S seconds), --timeout-s T (one input's time limit, default 10),
// --max-alloc-mb M (one allocation's limit, default 256), --artifact PATH
// (where a failing input is written, default ./fuzz-crash-<name>).
// A failure - a crash, an escaped exception, a timeout, an oversized
// allocation, a sanitizer report - writes the input to the artifact path and
// exits non-zero; rerunning the driver on that file reproduces it.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "mutator.h"

#if defined(__SANITIZE_ADDRESS__)
#define FRESHET_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FRESHET_FUZZ_ASAN 1
#endif
#endif
#ifdef FRESHET_FUZZ_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

// UBSan reports are failures, not warnings.
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

using freshet::fuzz::Input;

// State the failure handlers read; plain globals so signal handlers may.
volatile sig_atomic_t g_running = 0;  // an input is being run
const uint8_t* g_current_data = nullptr;
size_t g_current_size = 0;
char g_artifact_path[4096] = "fuzz-crash";
size_t g_max_alloc_bytes = size_t{256} << 20;

void write_stderr(const char* text) { (void)!write(STDERR_FILENO, text, strlen(text)); }

// Async-signal-safe: open/write/close only.
void save_current_input() {
  if (!g_running) return;
  int fd = open(g_artifact_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  size_t done = 0;
  while (done < g_current_size) {
    ssize_t n = write(fd, g_current_data + done, g_current_size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  write_stderr("fuzz: failing input written to ");
  write_stderr(g_artifact_path);
  write_stderr("\n");
}

void on_fatal_signal(int sig) {
  write_stderr(sig == SIGALRM ? "fuzz: input exceeded its time limit\n" : "fuzz: fatal signal\n");
  save_current_input();
  signal(sig == SIGALRM ? SIGABRT : sig, SIG_DFL);
  raise(sig == SIGALRM ? SIGABRT : sig);
}

void install_failure_handlers() {
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM}) signal(sig, on_fatal_signal);
#ifdef FRESHET_FUZZ_ASAN
  __sanitizer_set_death_callback(save_current_input);
#endif
}

struct Options {
  long mutations = 0;
  uint64_t seed = 1;
  long max_seconds = 0;  // 0: no time limit
  unsigned timeout_s = 10;
  size_t max_input_bytes = 1 << 20;
  std::string write_seeds_dir;
  std::vector<std::string> paths;
};

unsigned g_timeout_s = 10;

void run_one(const Input& input) {
  g_current_data = input.data();
  g_current_size = input.size();
  g_running = 1;
  alarm(g_timeout_s);
  LLVMFuzzerTestOneInput(input.data(), input.size());
  alarm(0);
  g_running = 0;
  g_current_data = nullptr;
  g_current_size = 0;
}

Input read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Input(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int replay(const std::vector<std::string>& paths) {
  size_t count = 0;
  for (const auto& arg : paths) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
    } else {
      files.emplace_back(arg);
    }
    for (const auto& file : files) {
      fprintf(stderr, "fuzz: running %s\n", file.c_str());
      run_one(read_file(file));
      ++count;
    }
  }
  fprintf(stderr, "fuzz: %zu input(s) ran without failure\n", count);
  return 0;
}

int write_seeds(const std::vector<Input>& seeds, const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < seeds.size(); ++i) {
    char name[32];
    snprintf(name, sizeof name, "seed-%05zu", i);
    std::ofstream out(std::filesystem::path(dir) / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(seeds[i].data()), static_cast<std::streamsize>(seeds[i].size()));
  }
  fprintf(stderr, "fuzz: wrote %zu seed(s) to %s\n", seeds.size(), dir.c_str());
  return 0;
}

int mutate(const std::vector<Input>& seeds, const Options& options) {
  const auto start = std::chrono::steady_clock::now();
  for (const auto& seed : seeds) run_one(seed);  // the seeds themselves must pass
  fprintf(stderr, "fuzz: mutating with seed %llu (replay: --seed %llu)\n", static_cast<unsigned long long>(options.seed),
          static_cast<unsigned long long>(options.seed));
  freshet::fuzz::Mutator mutator(options.seed, options.max_input_bytes);
  const auto deadline = start + std::chrono::seconds(options.max_seconds);
  long done = 0;
  for (; done < options.mutations; ++done) {
    if (options.max_seconds > 0 && (done & 255) == 0 && std::chrono::steady_clock::now() >= deadline) break;
    const Input input = mutator.mutate(seeds[mutator.below(seeds.size())], seeds);
    run_one(input);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fprintf(stderr, "fuzz: %zu seed(s) and %ld mutation(s) (seed %llu) ran without failure in %.1f s\n", seeds.size(),
          done, static_cast<unsigned long long>(options.seed), seconds);
  return 0;
}

// A --seed value: a number, or "random" for one drawn from the OS.
uint64_t random_or_number(const std::string& text) {
  if (text != "random") return std::stoull(text);
  std::random_device device;
  return (uint64_t{device()} << 32) | device();
}

[[noreturn]] void usage(const char* argv0) {
  fprintf(stderr,
          "usage: %s [--mutate N] [--seed S|random] [--max-seconds S] [--write-seeds DIR] [--timeout-s T] [--max-alloc-mb M]\n"
          "          [--max-len BYTES] [--artifact PATH] [FILE|DIR]...\n",
          argv0);
  exit(2);
}

}  // namespace

// One allocation above the limit is a decoder trusting a length it read.
void* operator new(size_t size) {
  if (size > g_max_alloc_bytes) {
    fprintf(stderr, "fuzz: allocation of %zu bytes exceeds the limit of %zu\n", size, g_max_alloc_bytes);
    save_current_input();
    abort();
  }
  if (void* p = malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }

int main(int argc, char** argv) {
  Options options;
  std::string name = std::filesystem::path(argv[0]).filename().string();
  snprintf(g_artifact_path, sizeof g_artifact_path, "fuzz-crash-%s", name.c_str());
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(argv[0]);
      return argv[++i];
    };
    if (arg == "--mutate") options.mutations = std::stol(value());
    else if (arg == "--seed") options.seed = random_or_number(value());
    else if (arg == "--max-seconds") options.max_seconds = std::stol(value());
    else if (arg == "--timeout-s") options.timeout_s = static_cast<unsigned>(std::stoul(value()));
    else if (arg == "--max-alloc-mb") g_max_alloc_bytes = std::stoull(value()) << 20;
    else if (arg == "--max-len") options.max_input_bytes = std::stoull(value());
    else if (arg == "--write-seeds") options.write_seeds_dir = value();
    else if (arg == "--artifact") snprintf(g_artifact_path, sizeof g_artifact_path, "%s", value().c_str());
    else if (arg == "--help" || arg == "-h") usage(argv[0]);
    else if (arg.size() > 1 && arg[0] == '-' && arg.find('=') != std::string::npos) continue;  // libFuzzer flags
    else if (arg.size() > 1 && arg[0] == '-') usage(argv[0]);
    else options.paths.push_back(arg);
  }
  g_timeout_s = options.timeout_s;
  install_failure_handlers();
  if (!options.paths.empty()) return replay(options.paths);
  std::vector<Input> seeds;
  freshet::fuzz::fuzz_seeds(seeds);
  if (seeds.empty()) seeds.emplace_back();
  if (!options.write_seeds_dir.empty()) return write_seeds(seeds, options.write_seeds_dir);
  return mutate(seeds, options);
}
