// Clean stops on Ctrl-C / SIGTERM for long-running commands (produce, consume).
#pragma once

#include <csignal>

namespace freshet::cli {

// While an instance lives, the first SIGINT or SIGTERM only sets a flag (and interrupts blocking
// reads); a second one acts as usual and ends the process. One instance at a time.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  bool requested() const;

 private:
  struct sigaction previous_int_;
  struct sigaction previous_term_;
};

}  // namespace freshet::cli
