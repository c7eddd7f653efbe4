// Issue 5, section 7: audit entries appended per second into the store, chained, signed
// and durable, on SQLite and PostgreSQL, in both signing modes. bench/audit.sh builds and
// runs it (and verifies the chain it wrote afterwards); see bench/README.md.
//
//   writer/...   the gateway's path: audit::Writer (group commit) with N committers, each
//                a coroutine on one io_context (one gateway worker) committing entries back
//                to back, so batches form as they do under load
//   append/...   AuditStore::append with a fixed batch size; "unsigned" (seal_unsigned:
//                chained, no signature) is the baseline the signing modes are compared to
//   seal/...     sealing only (canonical encoding, hashes, Merkle frontier, signatures),
//                no store: the CPU ceiling
//   fsync/4KiB   write + fdatasync of 4 KiB next to the SQLite file: the disk's floor
//
// Environment: CUTOVER_BENCH_DIR (required: the SQLite file and audit.pub go there),
// CUTOVER_BENCH_PG (a PostgreSQL URL; its benchmarks are skipped when unset),
// CUTOVER_BENCH_TMPFS (a folder on tmpfs: SQLite there as a not-durable reference),
// CUTOVER_BENCH_COMMITTERS (writer committers; default 64 and 256), CUTOVER_BENCH_IDS=
// random|ordered (request ids of 32 random hex, or time-ordered, instead of the gateway's
// new_request_id(): to see what the request_id index costs).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "audit/chain.hpp"
#include "audit/log.hpp"
#include "audit/writer.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "store/store.hpp"

namespace {

using namespace cutover;
namespace net = http::net;

std::shared_ptr<const audit::Signer> g_signer;

std::int64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Request ids as the gateway makes them (new_request_id()), or with CUTOVER_BENCH_IDS=random
// 32 random hex (every insert lands on a random leaf of the request_id index), or with
// CUTOVER_BENCH_IDS=ordered 16 hex of the time then 16 random (the index grows at its end).
enum class Ids { kGateway, kRandom, kOrdered };
Ids g_ids = Ids::kGateway;
std::string request_id() {
  auto& r = Random::thread_local_instance();
  char hex[33];
  switch (g_ids) {
    case Ids::kGateway:
      return new_request_id();
    case Ids::kRandom:
      std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(r.next()),
                    static_cast<unsigned long long>(r.next()));
      return hex;
    case Ids::kOrdered:
      std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(unix_ns()),
                    static_cast<unsigned long long>(r.next()));
      return hex;
  }
  return {};
}

// What the gateway's audit stage writes for a small allowed chat completion.
audit::Entry sample_entry(std::uint64_t n) {
  audit::Entry e;
  e.time_unix_ns = unix_ns();
  e.color = "blue";
  e.gateway_version = CUTOVER_VERSION;
  e.node_id = "bench-host:4242";
  e.kind = "request";
  e.request_id = request_id();
  e.trace_id = new_request_id();
  e.subject = "bench";
  e.tenant = "bench";
  e.route = "bench";
  e.route_version = "3";
  e.policy_versions = "access=3,limits=7,routes=4";
  e.decision = "allow";
  e.requested_model = "bench";
  e.responding_model = "mock-fast";
  e.provider = "mock";
  e.http_status = 200;
  e.tokens_in = 21;
  e.tokens_out = 12;
  e.latency_us = 180;
  e.request_sha256 = to_hex(sha256("request " + std::to_string(n)));
  e.response_sha256 = to_hex(sha256("response " + std::to_string(n)));
  return e;
}

std::atomic<std::uint64_t> g_next_id{1};

enum class Mode { kUnsigned, kBatch, kEntry };
const char* mode_name(Mode m) {
  return m == Mode::kUnsigned ? "unsigned" : m == Mode::kBatch ? "batch" : "entry";
}
audit::SignMode sign_mode(Mode m) {
  return m == Mode::kEntry ? audit::SignMode::kEntry : audit::SignMode::kBatch;
}

void add_rate_counters(benchmark::State& state, std::uint64_t items, double cpu_s) {
  state.SetItemsProcessed(static_cast<std::int64_t>(items));
  if (items) state.counters["cpu_us_per_entry"] = cpu_s * 1e6 / static_cast<double>(items);
}

void bm_writer(benchmark::State& state, std::string url, Mode mode, int committers) {
  audit::WriterOptions o;  // the gateway's defaults (max_batch 2048, checkpoint every 1000)
  o.store_url = url;
  o.mode = sign_mode(mode);
  audit::Writer writer(o, [] { return audit::SignerRef{g_signer, ""}; });
  net::io_context io;
  constexpr int kPerCommitter = 64;
  std::uint64_t failed = 0;
  std::string last_error;
  auto round = [&] {
    for (int c = 0; c < committers; ++c)
      net::co_spawn(
          io,
          [&]() -> net::awaitable<void> {
            for (int i = 0; i < kPerCommitter; ++i) {
              // Named, not a temporary inside the co_await expression (GCC 12, see
              // gateway/counters.cpp).
              auto op = writer.commit(sample_entry(g_next_id++));
              Status st = co_await std::move(op);
              if (!st) {
                ++failed;
                last_error = st.error().message();
              }
            }
          },
          net::detached);
    io.run();
    io.restart();
  };
  round();  // opens the store, warms the page cache
  if (failed) {
    state.SkipWithError(("commit failed: " + last_error).c_str());
    return;
  }
  const std::uint64_t appended0 = writer.stats().appended, batches0 = writer.stats().batches;
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) round();
  const double cpu = process_cpu_seconds() - cpu0;
  if (failed) state.SkipWithError(("commit failed: " + last_error).c_str());
  const std::uint64_t items =
      static_cast<std::uint64_t>(state.iterations()) * committers * kPerCommitter;
  add_rate_counters(state, items, cpu);
  const auto batches = writer.stats().batches - batches0;
  if (batches)
    state.counters["entries_per_batch"] =
        static_cast<double>(writer.stats().appended - appended0) / static_cast<double>(batches);
}

Status append_once(store::AuditStore& s, std::vector<audit::Entry>& entries, Mode mode) {
  const std::int64_t now = unix_ns();
  return s.append([&](const store::AuditHead& head) {
    if (mode == Mode::kUnsigned) return audit::seal_unsigned(head, entries);
    return audit::seal_after(head, entries, *g_signer, sign_mode(mode), now);
  });
}

void bm_append(benchmark::State& state, std::string url, Mode mode, int batch) {
  auto opened = store::open_store(url);
  if (!opened) {
    state.SkipWithError(opened.error().message().c_str());
    return;
  }
  store::Store& s = *opened.value();
  std::vector<audit::Entry> entries;
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    entries.clear();
    for (int i = 0; i < batch; ++i) entries.push_back(sample_entry(g_next_id++));
    if (Status st = append_once(s.audit(), entries, mode); !st) {
      state.SkipWithError(st.error().message().c_str());
      break;
    }
  }
  add_rate_counters(state, static_cast<std::uint64_t>(state.iterations()) * batch,
                    process_cpu_seconds() - cpu0);
}

void bm_seal(benchmark::State& state, Mode mode, int batch) {
  store::AuditHead head{0, std::string(64, '0'), ""};
  std::vector<audit::Entry> entries;
  for (auto _ : state) {
    entries.clear();
    for (int i = 0; i < batch; ++i) entries.push_back(sample_entry(g_next_id++));
    auto sealed = mode == Mode::kUnsigned
                      ? audit::seal_unsigned(head, entries)
                      : audit::seal_after(head, entries, *g_signer, sign_mode(mode), unix_ns());
    if (!sealed) {
      state.SkipWithError(sealed.error().message().c_str());
      break;
    }
    head = std::move(sealed->head);
    benchmark::DoNotOptimize(sealed->rows.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void bm_fsync(benchmark::State& state, std::string path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    state.SkipWithError(("cannot open " + path).c_str());
    return;
  }
  std::string page(4096, 'x');
  for (auto _ : state) {
    if (::pwrite(fd, page.data(), page.size(), 0) != static_cast<ssize_t>(page.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
  }
  ::close(fd);
  ::unlink(path.c_str());
}

// A migrated store that lists the benchmark's public key (so `cutover audit verify` can
// check what we wrote).
bool prepare_store(const std::string& url, const std::string& pub_hex) {
  auto s = store::open_store(url);
  if (!s) {
    std::cerr << "audit_append_bench: " << s.error().message() << "\n";
    return false;
  }
  if (Status st = s.value()->migrate(); !st) {
    std::cerr << "audit_append_bench: migrate " << url << ": " << st.error().message() << "\n";
    return false;
  }
  const std::int64_t now = unix_ns();
  if (Status st = s.value()->audit().add_key({g_signer->key_id(), pub_hex, now, 0}, now); !st) {
    std::cerr << "audit_append_bench: add_key: " << st.error().message() << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const char* dir_env = std::getenv("CUTOVER_BENCH_DIR");
  if (!dir_env || !*dir_env) {
    std::cerr
        << "audit_append_bench: set CUTOVER_BENCH_DIR to a scratch folder (bench/audit.sh does)\n";
    return 2;
  }
  const std::string dir = dir_env;
  if (const char* ids = std::getenv("CUTOVER_BENCH_IDS"); ids && *ids) {
    const std::string_view v(ids);
    if (v != "random" && v != "ordered") {
      std::cerr << "audit_append_bench: CUTOVER_BENCH_IDS is random or ordered, not " << v << "\n";
      return 2;
    }
    g_ids = v == "random" ? Ids::kRandom : Ids::kOrdered;
  }
  auto signer = audit::Signer::generate();
  if (!signer) {
    std::cerr << "audit_append_bench: " << signer.error().message() << "\n";
    return 1;
  }
  g_signer = std::make_shared<const audit::Signer>(std::move(signer.value()));
  const std::string pub = g_signer->public_raw();
  const std::string pub_hex = to_hex(reinterpret_cast<const std::uint8_t*>(pub.data()), pub.size());
  std::ofstream(dir + "/audit.pub") << pub_hex << "\n";

  std::vector<std::pair<std::string, std::string>> backends{
      {"sqlite", "sqlite://" + dir + "/audit.db"}};
  if (const char* pg = std::getenv("CUTOVER_BENCH_PG"); pg && *pg)
    backends.emplace_back("postgres", pg);
  // SQLite on tmpfs: fsync costs nothing there, so NOT durable; it shows what the software
  // alone allows (the gap to "sqlite" is the disk's flush latency).
  if (const char* t = std::getenv("CUTOVER_BENCH_TMPFS"); t && *t)
    backends.emplace_back("sqlite-tmpfs", "sqlite://" + std::string(t) + "/audit.db");
  for (const auto& [name, url] : backends)
    if (!prepare_store(url, pub_hex)) return 1;

  std::vector<int> committer_counts{64, 256};
  if (const char* c = std::getenv("CUTOVER_BENCH_COMMITTERS"); c && *c)
    committer_counts = {std::atoi(c)};
  for (const auto& [name, url] : backends) {
    for (Mode m : {Mode::kBatch, Mode::kEntry})
      for (int c : committer_counts)
        benchmark::RegisterBenchmark(
            ("writer/" + name + "/" + mode_name(m) + "/committers:" + std::to_string(c)).c_str(),
            bm_writer, url, m, c)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    for (Mode m : {Mode::kUnsigned, Mode::kBatch, Mode::kEntry})
      for (int b : {1, 64, 512})
        benchmark::RegisterBenchmark(
            ("append/" + name + "/" + mode_name(m) + "/batch:" + std::to_string(b)).c_str(),
            bm_append, url, m, b)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
  }
  for (Mode m : {Mode::kUnsigned, Mode::kBatch, Mode::kEntry})
    for (int b : {1, 64, 512})
      benchmark::RegisterBenchmark(
          ("seal/" + std::string(mode_name(m)) + "/batch:" + std::to_string(b)).c_str(), bm_seal, m,
          b)
          ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("fsync/4KiB", bm_fsync, dir + "/fsync.probe")
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // The "unsigned" baseline's entries are covered only by a later signed head (like a
  // control event written without a key): close every chain with one, so that `cutover
  // audit verify` checks everything written.
  for (const auto& [name, url] : backends) {
    auto s = store::open_store(url);
    std::vector<audit::Entry> last{sample_entry(g_next_id++)};
    Status st = s ? append_once(s.value()->audit(), last, Mode::kBatch) : Status(s.error());
    if (!st) {
      std::cerr << "audit_append_bench: closing signed head on " << name << ": "
                << st.error().message() << "\n";
      return 1;
    }
  }
  return 0;
}
