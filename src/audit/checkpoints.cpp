// Signed checkpoints of the audit log (log.hpp: checkpoint_if_due).
#include <optional>

#include "audit/checkpoint.hpp"
#include "audit/log.hpp"
#include "audit/merkle.hpp"

namespace cutover::audit {
namespace {

Error refuse(const std::string& what) {
  return Error(ErrorCode::kInternal, "audit checkpoint refused: " + what);
}

// The origin of the last checkpoint, read from its own text.
Result<std::string> origin_of(const store::CheckpointRow& row) {
  auto blank = row.note.find("\n\n");
  if (blank == std::string::npos) return refuse("the checkpoint of size " + std::to_string(row.size) + " is malformed");
  auto body = parse_body(std::string_view(row.note).substr(0, blank + 1));
  if (!body) return body.error();
  return body->origin;
}

}  // namespace

Result<bool> checkpoint_if_due(store::AuditStore& store, const Signer& signer, std::int64_t every,
                               std::chrono::milliseconds interval, std::int64_t now_unix_ns) {
  bool added = false;
  const std::int64_t interval_ns = std::chrono::nanoseconds(interval).count();
  Status st = store.add_checkpoint(
      [&](const std::optional<store::CheckpointRow>& last, const store::AuditHead& head,
          const std::vector<std::string>& since) -> Result<std::optional<store::CheckpointRow>> {
        const std::int64_t last_size = last ? last->size : 0;
        if (head.seq < last_size)
          return refuse("the chain head (" + std::to_string(head.seq) +
                        ") is behind the last checkpoint (" + std::to_string(last_size) + ")");
        if (head.seq == last_size) return std::optional<store::CheckpointRow>();
        const bool due = head.seq - last_size >= every || !last ||
                         now_unix_ns - last->time_unix_ns >= interval_ns;
        if (!due) return std::optional<store::CheckpointRow>();
        // Never sign a tree that does not extend the last checkpoint's: rebuild the new
        // frontier from the last one plus the entries since, and compare with the head's.
        CompactRange f;
        if (last) {
          auto decoded = CompactRange::decode(last->frontier);
          if (!decoded) return refuse("the last checkpoint's frontier: " + decoded.error().message());
          f = std::move(decoded.value());
          if (static_cast<std::int64_t>(f.size()) != last_size || to_hex(f.root()) != last->root)
            return refuse("the last checkpoint's frontier does not give its root");
        }
        if (static_cast<std::int64_t>(since.size()) != head.seq - last_size)
          return refuse("entries are missing between the last checkpoint and the head");
        for (const std::string& hex : since) {
          Sha256 h;
          if (!parse_sha256_hex(hex, h)) return refuse("an entry hash is malformed");
          if (Status s = f.append(h); !s) return s.error();
        }
        if (f.encode() != head.frontier)
          return refuse("the chain head's frontier is not the last checkpoint's extended by the "
                        "entries since");
        Checkpoint c;
        if (last) {
          auto origin = origin_of(*last);
          if (!origin) return origin.error();
          c.origin = std::move(origin.value());
        } else {
          c.origin = "cutover-audit/" + since.front().substr(0, 16);
        }
        c.size = head.seq;
        c.root = f.root();
        auto note = sign_checkpoint(c, c.origin, signer);
        if (!note) return note.error();
        added = true;
        return std::optional<store::CheckpointRow>(store::CheckpointRow{
            c.size, to_hex(c.root), std::move(note.value()), f.encode(), now_unix_ns});
      });
  if (!st) return st.error();
  return added;
}

}  // namespace cutover::audit
