// The plan document's shape: JSON -> PlanSpec, every problem with its path. The meaning
// checks (colors exist, weights in range, ...) are make_plan's (plan.cpp).
#include <algorithm>
#include <boost/json.hpp>

#include "traffic/plan.hpp"
#include "traffic/plan_detail.hpp"

namespace cutover::traffic {
namespace json = boost::json;
using detail::Problem;

namespace {

class Reader {
 public:
  std::vector<Problem> problems;
  // Paths whose value could not be read: meaning checks below them would only repeat that.
  std::vector<std::string> broken;
  bool colors_unknown = false;  // "environments" unreadable: every color check would fail

  void fail(const std::string& path, std::string what) {
    problems.push_back({path, std::move(what)});
    broken.push_back(path);
  }

  // An object with only `keys`; false (after a problem) when v is not an object.
  const json::object* object(const json::value& v, const std::string& path,
                             std::initializer_list<std::string_view> keys) {
    if (!v.is_object()) {
      fail(path, "expected an object");
      return nullptr;
    }
    for (const auto& kv : v.get_object())
      if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end())
        fail(join(path, kv.key()), "unknown key");
    return &v.get_object();
  }

  const json::value* member(const json::object& o, std::string_view key, const std::string& path,
                            bool required) {
    auto* v = o.if_contains(key);
    if (v) return v;
    if (required) fail(join(path, key), "required");
    return nullptr;
  }

  void string(const json::object& o, std::string_view key, const std::string& path,
              std::string& out, bool required = true) {
    auto* v = member(o, key, path, required);
    if (!v) return;
    if (v->is_string())
      out = v->get_string();
    else
      fail(join(path, key), "expected a string");
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  static std::string item(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  void schema(const json::object& doc) {
    auto* v = doc.if_contains("schema");
    if (!v) return;
    if (!v->is_int64() || v->get_int64() < 1)
      fail("schema", "expected the schema version, an integer (this cutover writes " +
                         std::to_string(kPlanSchema) + ")");
    else if (v->get_int64() > kPlanSchema)
      fail("schema", "version " + std::to_string(v->get_int64()) +
                         " is newer than this cutover reads (" + std::to_string(kPlanSchema) +
                         "); upgrade cutover");
  }

  void environments(const json::object& doc, PlanSpec& spec) {
    auto* v = member(doc, "environments", "", true);
    if (!v || !v->is_object()) {
      if (v) fail("environments", "expected an object: color -> {\"endpoints\": [...]}");
      colors_unknown = true;
      return;
    }
    for (const auto& kv : v->get_object()) {
      std::string path = join("environments", kv.key());
      Environment& env = spec.environments.emplace_back();
      env.color = kv.key();
      auto* o = object(kv.value(), path, {"endpoints"});
      if (!o) continue;
      auto* list = member(*o, "endpoints", path, true);
      if (!list) continue;
      if (!list->is_array()) {
        fail(path + ".endpoints", "expected a list of URLs");
        continue;
      }
      for (std::size_t i = 0; i < list->get_array().size(); ++i) {
        const auto& e = list->get_array()[i];
        if (e.is_string())
          env.endpoints.emplace_back(e.get_string());
        else
          fail(item(path + ".endpoints", i), "expected a URL string");
      }
    }
  }

  void candidate(const json::object& doc, PlanSpec& spec) {
    auto* v = doc.if_contains("candidate");
    if (!v || v->is_null()) return;
    auto* o = object(*v, "candidate", {"color", "weight_bp"});
    if (!o) return;
    Candidate& c = spec.candidate.emplace();
    string(*o, "color", "candidate", c.color);
    if (auto* w = member(*o, "weight_bp", "candidate", true)) {
      if (w->is_int64() && w->get_int64() >= 0 && w->get_int64() <= kMaxWeightBp)
        c.weight_bp = static_cast<std::uint32_t>(w->get_int64());
      else
        fail("candidate.weight_bp", "expected an integer from 0 to 10000 (basis points)");
    }
  }

  CohortMatch match(const json::value& v, const std::string& path) {
    CohortMatch m;
    std::size_t before = problems.size();
    auto* o = object(v, path, {"header", "equals", "tenant", "subject", "api_key_sha256"});
    if (!o) return m;
    struct Kind {
      std::string_view key;
      CohortMatch::Kind kind;
    };
    static constexpr Kind kKinds[] = {{"header", CohortMatch::Kind::kHeader},
                                      {"tenant", CohortMatch::Kind::kTenant},
                                      {"subject", CohortMatch::Kind::kSubject},
                                      {"api_key_sha256", CohortMatch::Kind::kApiKey}};
    std::size_t found = 0;
    for (const auto& k : kKinds)
      if (o->contains(k.key)) {
        ++found;
        m.kind = k.kind;
      }
    if (found != 1) {
      // With a misspelt key already reported, "none of them" would only repeat it.
      if (found > 1 || problems.size() == before)
        fail(path,
             "expected exactly one of header (with equals), tenant, subject, "
             "api_key_sha256");
      else
        broken.push_back(path);
      return m;
    }
    switch (m.kind) {
      case CohortMatch::Kind::kHeader:
        string(*o, "header", path, m.header);
        string(*o, "equals", path, m.value);
        return m;
      case CohortMatch::Kind::kTenant:
        string(*o, "tenant", path, m.value);
        break;
      case CohortMatch::Kind::kSubject:
        string(*o, "subject", path, m.value);
        break;
      case CohortMatch::Kind::kApiKey:
        string(*o, "api_key_sha256", path, m.value);
        break;
    }
    if (o->contains("equals")) fail(path + ".equals", "only with header");
    return m;
  }

  void cohorts(const json::object& doc, PlanSpec& spec) {
    auto* v = doc.if_contains("cohorts");
    if (!v || v->is_null()) return;
    if (!v->is_array()) return fail("cohorts", "expected a list of rules");
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      std::string path = item("cohorts", i);
      // Every rule gets its slot, readable or not, so later rules keep their paths.
      CohortRule& rule = spec.cohorts.emplace_back();
      auto* o = object(v->get_array()[i], path, {"match", "color"});
      if (!o) continue;
      if (auto* m = member(*o, "match", path, true)) rule.match = match(*m, path + ".match");
      string(*o, "color", path, rule.color);
    }
  }

  void mirror(const json::object& doc, PlanSpec& spec) {
    auto* v = doc.if_contains("mirror");
    if (!v || v->is_null()) return;
    auto* o = object(*v, "mirror", {"color", "fraction"});
    if (!o) return;
    Mirror& m = spec.mirror.emplace();
    string(*o, "color", "mirror", m.color);
    if (auto* f = member(*o, "fraction", "mirror", true)) {
      if (f->is_number())
        m.fraction = f->to_number<double>();
      else
        fail("mirror.fraction", "expected a number from 0 to 1");
    }
  }

  // A meaning problem at `path` that a shape problem already explains.
  bool explained(const Problem& p) const {
    if (colors_unknown && p.what.starts_with("unknown color")) return true;
    return std::any_of(broken.begin(), broken.end(), [&](const std::string& b) {
      return p.path == b ||
             (p.path.starts_with(b) && (p.path[b.size()] == '.' || p.path[b.size()] == '['));
    });
  }
};

// The spec of a document and every problem with it; nullopt when any.
std::optional<PlanSpec> read(std::string_view text, std::vector<Problem>& problems) {
  json::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) {
    problems.push_back({"", "not valid JSON (" + ec.message() + ")"});
    return std::nullopt;
  }
  Reader r;
  auto* o =
      r.object(doc, "", {"schema", "environments", "active", "candidate", "cohorts", "mirror"});
  if (!o) {
    problems = std::move(r.problems);
    return std::nullopt;
  }
  PlanSpec spec;
  r.schema(*o);
  r.environments(*o, spec);
  r.string(*o, "active", "", spec.active);
  r.candidate(*o, spec);
  r.cohorts(*o, spec);
  r.mirror(*o, spec);
  std::vector<Problem> meaning;
  detail::check_spec(spec, meaning);
  problems = std::move(r.problems);
  for (auto& p : meaning)
    if (!r.explained(p)) problems.push_back(std::move(p));
  if (!problems.empty()) return std::nullopt;
  return spec;
}

}  // namespace

Result<Plan> parse_plan(std::string_view text) {
  std::vector<Problem> problems;
  auto spec = read(text, problems);
  if (!spec) return detail::plan_error(problems);
  return make_plan(std::move(*spec));
}

std::vector<std::string> plan_problems(std::string_view text) {
  std::vector<Problem> problems;
  read(text, problems);
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(detail::problem_text(p));
  return out;
}

}  // namespace cutover::traffic
