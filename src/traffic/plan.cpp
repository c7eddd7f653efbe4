#include "traffic/plan.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>

#include "core/hash.hpp"
#include "store/canonical_json.hpp"
#include "traffic/plan_detail.hpp"

namespace cutover::traffic {
namespace json = boost::json;
using detail::Problem;

namespace {

constexpr std::size_t kMaxColor = 32;

bool valid_color(std::string_view c) {
  if (c.empty() || c.size() > kMaxColor) return false;
  return std::all_of(c.begin(), c.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
  });
}

// RFC 9110 token characters.
bool valid_header_name(std::string_view n) {
  if (n.empty()) return false;
  return std::all_of(n.begin(), n.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
  });
}

void lower(std::string& s) {
  for (char& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
}

// The document path of a rule's matched value, by kind.
std::string match_value_path(const CohortMatch& m, const std::string& path) {
  switch (m.kind) {
    case CohortMatch::Kind::kHeader:
      return path + ".equals";
    case CohortMatch::Kind::kTenant:
      return path + ".tenant";
    case CohortMatch::Kind::kSubject:
      return path + ".subject";
    case CohortMatch::Kind::kApiKey:
      return path + ".api_key_sha256";
  }
  return path;
}

class Checker {
 public:
  Checker(const PlanSpec& spec, std::vector<Problem>& problems)
      : spec_(spec), problems_(problems) {}

  void fail(std::string path, std::string what) {
    problems_.push_back({std::move(path), std::move(what)});
  }

  // `color` names an environment; otherwise a problem at `path` listing the known ones.
  bool known(std::string_view color, const std::string& path) {
    for (const auto& e : spec_.environments)
      if (e.color == color) return true;
    std::string names;
    for (const auto& e : spec_.environments) names += (names.empty() ? "" : ", ") + e.color;
    fail(path, "unknown color '" + std::string(color) +
                   "' (environments: " + (names.empty() ? "none" : names) + ")");
    return false;
  }

  void environments() {
    if (spec_.environments.empty())
      fail("environments", "at least one environment is required (color -> endpoints)");
    std::map<std::string, std::string> owner;  // endpoint origin+prefix -> "color"
    for (std::size_t i = 0; i < spec_.environments.size(); ++i) {
      const auto& e = spec_.environments[i];
      std::string path = "environments." + e.color;
      if (!valid_color(e.color)) fail(path, "a color is 1 to 32 characters of a-z, 0-9 and '-'");
      for (std::size_t j = 0; j < i; ++j)
        if (spec_.environments[j].color == e.color) fail(path, "duplicate color");
      if (e.endpoints.empty())
        fail(path + ".endpoints", "at least one gateway endpoint (http(s) URL) is required");
      for (std::size_t k = 0; k < e.endpoints.size(); ++k) {
        std::string p = path + ".endpoints[" + std::to_string(k) + "]";
        auto url = http::parse_url(e.endpoints[k]);
        if (!url) {
          fail(p, url.error().message());
          continue;
        }
        auto [it, fresh] = owner.emplace(url->origin + url->path_prefix, e.color);
        if (!fresh)
          fail(p, url->origin + url->path_prefix + " is already an endpoint of " + it->second +
                      "; a gateway serves one color");
      }
    }
  }

  void active() {
    if (spec_.active.empty()) return fail("active", "required: the color that serves");
    known(spec_.active, "active");
  }

  void candidate() {
    if (!spec_.candidate) return;
    const auto& c = *spec_.candidate;
    if (known(c.color, "candidate.color") && c.color == spec_.active)
      fail("candidate.color", "'" + c.color + "' is the active color; a candidate is another one");
    if (c.weight_bp > kMaxWeightBp)
      fail("candidate.weight_bp", "expected 0..10000 basis points (10000 = every caller), got " +
                                      std::to_string(c.weight_bp));
  }

  void cohorts() {
    for (std::size_t i = 0; i < spec_.cohorts.size(); ++i) {
      const auto& r = spec_.cohorts[i];
      std::string path = "cohorts[" + std::to_string(i) + "]";
      const auto& m = r.match;
      if (m.kind == CohortMatch::Kind::kHeader && !valid_header_name(m.header))
        fail(path + ".match.header", "expected an HTTP header name (letters, digits, '-', ...)");
      if (m.value.empty())
        fail(match_value_path(m, path + ".match"), "must not be empty");
      else if (Sha256 d; m.kind == CohortMatch::Kind::kApiKey && !parse_sha256_hex(m.value, d))
        fail(path + ".match.api_key_sha256", "expected 64 hex characters (SHA-256 of the key)");
      for (std::size_t j = 0; j < i; ++j)
        if (spec_.cohorts[j].match == m)
          fail(path + ".match", "same match as cohorts[" + std::to_string(j) +
                                    "], which always decides first; remove one");
      known(r.color, path + ".color");
    }
  }

  void mirror() {
    if (!spec_.mirror) return;
    const auto& m = *spec_.mirror;
    if (known(m.color, "mirror.color") && m.color == spec_.active)
      fail("mirror.color",
           "'" + m.color + "' is the active color; mirror to the color that is not serving");
    if (!(m.fraction >= 0.0 && m.fraction <= 1.0))
      fail("mirror.fraction", "expected a fraction of requests from 0 to 1");
  }

 private:
  const PlanSpec& spec_;
  std::vector<Problem>& problems_;
};

}  // namespace

namespace detail {

void normalize(CohortMatch& m) {
  if (m.kind == CohortMatch::Kind::kHeader) lower(m.header);
  if (m.kind == CohortMatch::Kind::kApiKey) lower(m.value);
}

std::string problem_text(const Problem& p) {
  return (p.path.empty() ? std::string("traffic plan") : p.path) + ": " + p.what;
}

void check_spec(PlanSpec& spec, std::vector<Problem>& problems) {
  std::stable_sort(spec.environments.begin(), spec.environments.end(),
                   [](const Environment& a, const Environment& b) { return a.color < b.color; });
  for (auto& r : spec.cohorts) normalize(r.match);
  Checker c(spec, problems);
  c.environments();
  c.active();
  c.candidate();
  c.cohorts();
  c.mirror();
}

Error plan_error(const std::vector<Problem>& problems) {
  std::string msg = "invalid traffic plan (" + std::to_string(problems.size()) +
                    (problems.size() == 1 ? " problem" : " problems") + "):";
  for (const auto& p : problems) msg += "\n  " + problem_text(p);
  return Error(ErrorCode::kInvalidRequest, std::move(msg));
}

}  // namespace detail

const Environment* Plan::environment(std::string_view color) const {
  for (const auto& e : spec_.environments)
    if (e.color == color) return &e;
  return nullptr;
}

std::span<const http::Url> Plan::endpoint_urls(std::string_view color) const {
  for (std::size_t i = 0; i < spec_.environments.size(); ++i)
    if (spec_.environments[i].color == color) return urls_[i];
  return {};
}

Result<Plan> make_plan(PlanSpec spec) {
  std::vector<Problem> problems;
  detail::check_spec(spec, problems);
  if (!problems.empty()) return detail::plan_error(problems);
  Plan p;
  for (const auto& e : spec.environments) {
    auto& urls = p.urls_.emplace_back();
    for (const auto& text : e.endpoints) urls.push_back(http::parse_url(text).value());
  }
  for (std::size_t i = 0; i < spec.cohorts.size(); ++i)
    p.cohort_labels_.push_back("cohort[" + std::to_string(i) + "]");
  // fraction * 2^32 against the draw's high 32 bits: 1.0 gives 2^32, above every draw.
  if (spec.mirror)
    p.mirror_threshold_ = static_cast<std::uint64_t>(std::llround(spec.mirror->fraction * 0x1p32));
  p.spec_ = std::move(spec);
  return p;
}

std::string canonical_json(const Plan& plan) {
  const auto& s = plan.spec();
  json::object doc;
  doc["schema"] = kPlanSchema;
  json::object envs;
  for (const auto& e : s.environments) {
    json::array endpoints;
    for (const auto& url : e.endpoints) endpoints.emplace_back(url);
    envs[e.color] = json::object{{"endpoints", std::move(endpoints)}};
  }
  doc["environments"] = std::move(envs);
  doc["active"] = s.active;
  if (s.candidate)
    doc["candidate"] = {{"color", s.candidate->color}, {"weight_bp", s.candidate->weight_bp}};
  if (!s.cohorts.empty()) {
    json::array rules;
    for (const auto& r : s.cohorts) {
      json::object match;
      switch (r.match.kind) {
        case CohortMatch::Kind::kHeader:
          match = {{"header", r.match.header}, {"equals", r.match.value}};
          break;
        case CohortMatch::Kind::kTenant:
          match = {{"tenant", r.match.value}};
          break;
        case CohortMatch::Kind::kSubject:
          match = {{"subject", r.match.value}};
          break;
        case CohortMatch::Kind::kApiKey:
          match = {{"api_key_sha256", r.match.value}};
          break;
      }
      rules.push_back(json::object{{"match", std::move(match)}, {"color", r.color}});
    }
    doc["cohorts"] = std::move(rules);
  }
  if (s.mirror) doc["mirror"] = {{"color", s.mirror->color}, {"fraction", s.mirror->fraction}};
  return store::canonical_json(doc);
}

}  // namespace cutover::traffic
