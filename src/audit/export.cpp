#include "audit/export.hpp"

#include <boost/json/parse.hpp>

#include "core/json_text.hpp"

namespace cutover::audit {
namespace {

Error malformed(const std::string& what) { return Error(ErrorCode::kInvalidRequest, what); }

template <class T>
bool take(const boost::json::object& o, std::string_view key, T& out);
template <>
bool take(const boost::json::object& o, std::string_view key, std::string& out) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return false;
  out = v->as_string();
  return true;
}
template <>
bool take(const boost::json::object& o, std::string_view key, std::int64_t& out) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_int64()) return false;
  out = v->as_int64();
  return true;
}

}  // namespace

std::string header_line(const LogHeader& h) {
  std::string out = R"({"type":"log","schema":1)";
  append_json_member(out, "from", h.from);
  append_json_member(out, "prev_hash", h.prev_hash);
  append_json_member(out, "frontier", h.frontier);
  return out + "}";
}

std::string key_line(const store::AuditKey& k) {
  std::string out = R"({"type":"key")";
  append_json_member(out, "key_id", k.key_id);
  append_json_member(out, "public_key", k.public_key);
  append_json_member(out, "created_unix_ns", k.created_unix_ns);
  append_json_member(out, "retired_unix_ns", k.retired_unix_ns);
  return out + "}";
}

std::string entry_line(const store::AuditRow& r) {
  std::string out = R"({"type":"entry")";
  out.reserve(r.entry.size() + 300);
  append_json_member(out, "seq", r.seq);
  append_json_member(out, "prev_hash", r.prev_hash);
  append_json_member(out, "hash", r.hash);
  append_json_member(out, "key_id", r.key_id);
  append_json_member(out, "signature", r.signature);
  out += ",\"entry\":";
  out += r.entry;
  return out + "}";
}

std::string head_line(const store::SignedHead& h) {
  std::string out = R"({"type":"head")";
  append_json_member(out, "seq", h.seq);
  append_json_member(out, "time_unix_ns", h.time_unix_ns);
  append_json_member(out, "hash", h.hash);
  append_json_member(out, "key_id", h.key_id);
  append_json_member(out, "signature", h.signature);
  return out + "}";
}

std::string checkpoint_line(const store::CheckpointRow& c) {
  std::string out = R"({"type":"checkpoint")";
  append_json_member(out, "size", c.size);
  append_json_member(out, "note", c.note);
  return out + "}";
}

Result<ExportLine> parse_export_line(std::string_view line) {
  if (line.size() > (1u << 20)) return malformed("line longer than 1 MiB");
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  boost::json::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return malformed("not a JSON object");
  const auto& o = v.as_object();
  std::string type;
  if (!take(o, "type", type)) return malformed("no \"type\"");
  if (type == "log") {
    LogHeader h;
    if (!take(o, "from", h.from) || !take(o, "prev_hash", h.prev_hash) || !take(o, "frontier", h.frontier))
      return malformed("a log line needs from, prev_hash and frontier");
    return ExportLine(std::move(h));
  }
  if (type == "key") {
    store::AuditKey k;
    if (!take(o, "key_id", k.key_id) || !take(o, "public_key", k.public_key) ||
        !take(o, "created_unix_ns", k.created_unix_ns) || !take(o, "retired_unix_ns", k.retired_unix_ns))
      return malformed("a key line needs key_id, public_key, created_unix_ns and retired_unix_ns");
    return ExportLine(std::move(k));
  }
  if (type == "entry") {
    store::AuditRow r;
    if (!take(o, "seq", r.seq) || !take(o, "prev_hash", r.prev_hash) || !take(o, "hash", r.hash) ||
        !take(o, "key_id", r.key_id) || !take(o, "signature", r.signature))
      return malformed("an entry line needs seq, prev_hash, hash, key_id and signature");
    // The canonical bytes themselves: "entry" is the last member.
    constexpr std::string_view kKey = ",\"entry\":";
    auto at = line.rfind(kKey);
    if (at == std::string_view::npos || line.back() != '}' || !o.contains("entry"))
      return malformed("an entry line ends with its \"entry\" object");
    r.entry = std::string(line.substr(at + kKey.size(), line.size() - 1 - at - kKey.size()));
    return ExportLine(std::move(r));
  }
  if (type == "head") {
    store::SignedHead h;
    if (!take(o, "seq", h.seq) || !take(o, "time_unix_ns", h.time_unix_ns) || !take(o, "hash", h.hash) ||
        !take(o, "key_id", h.key_id) || !take(o, "signature", h.signature))
      return malformed("a head line needs seq, time_unix_ns, hash, key_id and signature");
    return ExportLine(std::move(h));
  }
  if (type == "checkpoint") {
    store::CheckpointRow c;
    if (!take(o, "size", c.size) || !take(o, "note", c.note))
      return malformed("a checkpoint line needs size and note");
    return ExportLine(std::move(c));
  }
  return malformed("unknown type '" + type + "'");
}

}  // namespace cutover::audit
