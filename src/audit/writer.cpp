#include "core/clock.hpp"
#include "audit/writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "audit/entry_codec.hpp"
#include "core/log.hpp"
#include "store/store.hpp"

namespace cutover::audit {
namespace net = http::net;

namespace {


Status write_all_synced(const std::string& path, std::string_view bytes, bool append) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0600);
  if (fd < 0)
    return Error(ErrorCode::kUnavailable, "cannot open the audit spool " + path + ": " + std::strerror(errno));
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return Error(ErrorCode::kUnavailable, "cannot write the audit spool " + path + ": " + std::strerror(err));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error(ErrorCode::kUnavailable, "cannot fsync the audit spool " + path);
  return {};
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

std::int64_t read_done(const std::string& path) {
  std::ifstream in(path + ".done");
  std::int64_t n = 0;
  in >> n;
  return in ? n : 0;
}

}  // namespace

Writer::Writer(WriterOptions options, SignerSource signer)
    : options_(std::move(options)), signer_(std::move(signer)) {
  if (options_.fail_open && !options_.spool_path.empty()) {
    auto pending = static_cast<std::int64_t>(read_lines(options_.spool_path).size()) -
                   read_done(options_.spool_path);
    stats_.spool_pending = std::max<std::int64_t>(pending, 0);
  }
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string Writer::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void Writer::enqueue(Pending p) {
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      queue_.push_back(std::move(p));
      cv_.notify_one();
      return;
    }
  }
  // After shutdown began (the gateway drains first, so only a straggler gets here).
  if (p.done) p.done(Error(ErrorCode::kUnavailable, "the audit writer is shutting down"));
}

net::awaitable<Status> Writer::commit(Entry e) {
  auto init = [this](auto handler, Entry entry) {
    auto work = net::make_work_guard(handler);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    auto done = [shared, work = std::move(work)](Status st) mutable {
      auto home = work.get_executor();
      net::post(home, [shared, st = std::move(st)]() mutable { std::move (*shared)(std::move(st)); });
    };
    enqueue(Pending{std::move(entry), std::move(done)});
  };
  // Named, not a temporary inside the co_await expression (GCC 12, see gateway/counters.cpp).
  auto op = net::async_initiate<const net::use_awaitable_t<>&, void(Status)>(std::move(init),
                                                                          net::use_awaitable, std::move(e));
  Status st = co_await std::move(op);
  co_return st;
}

void Writer::commit_detached(Entry e) { enqueue(Pending{std::move(e), {}}); }

void Writer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, options_.probe_interval, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (stop_) return;
      lock.unlock();
      // Idle: bring the spool in, find out whether the store is back, keep checkpoints due.
      if (stats_.spool_pending > 0) (void)drain_spool();
      else if (!healthy()) {
        std::vector<Entry> none;
        (void)append(none);
      }
      maybe_checkpoint();
      lock.lock();
      continue;
    }
    std::vector<Pending> batch;
    std::size_t n = std::min(queue_.size(), options_.max_batch);
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    Status st = write_batch(batch);
    for (Pending& p : batch)
      if (p.done) p.done(st);
    maybe_checkpoint();
    lock.lock();
  }
}

Status Writer::write_batch(std::vector<Pending>& batch) {
  std::vector<Entry> entries;
  entries.reserve(batch.size());
  for (Pending& p : batch) entries.push_back(std::move(p.entry));
  if (options_.fail_open && stats_.spool_pending > 0) {
    // Entries spooled earlier go first: through the spool, in arrival order.
    if (Status st = spool(entries); !st) return st;
    (void)drain_spool();
    return {};
  }
  Status st = append(entries);
  if (st || !options_.fail_open) return st;
  log::warn("audit store unavailable: spooling entries (fail-open)",
            {{"spool", options_.spool_path}, {"error", st.error().message()}});
  return spool(entries);
}

store::Store* Writer::ready(std::string* error) {
  if (store_) return store_.get();
  auto s = store::open_store(options_.store_url);
  if (!s) {
    *error = s.error().message();
    return nullptr;
  }
  store_ = std::move(s.value());
  return store_.get();
}

Status Writer::append(std::vector<Entry>& entries) {
  Status st = [&]() -> Status {
    std::string why;
    store::Store* s = ready(&why);
    if (!s) return Error(ErrorCode::kUnavailable, "the audit store is unreachable: " + why);
    if (entries.empty()) {  // a probe
      auto head = s->audit().head();
      if (!head) return head.error();
      return {};
    }
    SignerRef key = signer_();
    if (!key.signer) return Error(ErrorCode::kUnavailable, key.problem);
    std::int64_t now = unix_nanos();
    return s->audit().append([&](const store::AuditHead& head) {
      return seal_after(head, entries, *key.signer, options_.mode, now);
    });
  }();
  std::lock_guard lock(mu_);
  if (st) {
    if (!healthy()) log::info("audit store writable again", {});
    stats_.healthy = 1;
    stats_.appended += entries.size();
    if (!entries.empty()) ++stats_.batches;
    appended_since_checkpoint_ += static_cast<std::int64_t>(entries.size());
    return st;
  }
  store_.reset();  // reopened on the next attempt
  ++stats_.failures;
  if (healthy() || last_error_ != st.error().message())
    log::error("audit append failed", {{"error", st.error().message()}});
  stats_.healthy = 0;
  last_error_ = st.error().message();
  return Error(ErrorCode::kUnavailable, st.error().message());
}

Status Writer::spool(const std::vector<Entry>& entries) {
  if (options_.spool_path.empty())
    return Error(ErrorCode::kUnavailable, "fail-open audit needs a spool path");
  std::string lines;
  for (const Entry& e : entries) {
    lines += canonical(e);
    lines += '\n';
  }
  if (Status st = write_all_synced(options_.spool_path, lines, true); !st) return st;
  stats_.spooled += entries.size();
  stats_.spool_pending += static_cast<std::int64_t>(entries.size());
  return {};
}

Status Writer::drain_spool() {
  auto lines = read_lines(options_.spool_path);
  std::int64_t done = read_done(options_.spool_path);
  while (done < static_cast<std::int64_t>(lines.size())) {
    std::vector<Entry> entries;
    for (std::size_t i = static_cast<std::size_t>(done);
         i < lines.size() && entries.size() < options_.max_batch; ++i) {
      auto e = decode_canonical(lines[i]);
      if (!e) {
        log::error("unreadable line in the audit spool: kept in place, appending stopped",
                   {{"spool", options_.spool_path}, {"line", std::to_string(i + 1)},
                    {"error", e.error().message()}});
        return e.error();
      }
      entries.push_back(std::move(e.value()));
    }
    if (Status st = append(entries); !st) return st;
    done += static_cast<std::int64_t>(entries.size());
    if (Status st = write_all_synced(options_.spool_path + ".done", std::to_string(done), false); !st)
      return st;
    stats_.spool_pending = static_cast<std::int64_t>(lines.size()) - done;
  }
  // Everything is in the store: start an empty spool.
  if (Status st = write_all_synced(options_.spool_path, "", false); !st) return st;
  ::unlink((options_.spool_path + ".done").c_str());
  stats_.spool_pending = 0;
  log::info("audit spool appended to the store", {{"entries", std::to_string(lines.size())}});
  return {};
}

void Writer::maybe_checkpoint() {
  if (!store_ || !healthy()) return;
  auto now = std::chrono::steady_clock::now();
  if (appended_since_checkpoint_ < options_.checkpoint_every &&
      now - last_checkpoint_try_ < options_.checkpoint_interval)
    return;
  if (appended_since_checkpoint_ == 0) return;
  last_checkpoint_try_ = now;
  SignerRef key = signer_();
  if (!key.signer) return;
  auto made = checkpoint_if_due(store_->audit(), *key.signer, options_.checkpoint_every,
                                options_.checkpoint_interval, unix_nanos());
  if (!made) {
    log::warn("audit checkpoint failed", {{"error", made.error().message()}});
    return;
  }
  appended_since_checkpoint_ = 0;
  if (*made) ++stats_.checkpoints;
}

}  // namespace cutover::audit
