// `freshet_load txn`: transactional producers back to back.
#pragma once

#include "load_options.h"

namespace freshet::bench {

// Runs `options.producers` producers, one thread and one transactional.id
// ("freshet-load-<topic>-<i>") each, which share `options.transactions`
// transactions between them (as evenly as they divide). Each transaction is
// begin, `records_per_txn` records of `size_bytes` to partition 0, commit; the
// next begins as soon as the commit returns. The clock starts once every
// producer has finished init_transactions and stops when the last commit
// returns. Prints one key=value line (transactions/s, records/s, MB/s and the
// p50/p99/max time from begin to committed); returns non-zero if a record or a
// transaction failed. A commit that fails with a retriable error is called
// again (5 attempts in all); any other transaction error ends the run (exit 1).
int run_txn(const LoadOptions& options);

}  // namespace freshet::bench
