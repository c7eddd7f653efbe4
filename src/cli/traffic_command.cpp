// `cutover traffic show|set|flip|revert` and `cutover shadow report`. A change is one
// atomic, versioned write of the store's "traffic" domain, recorded in the audit log; it
// returns only when every live switch reports that it serves the new version (or, after
// --wait, names the ones that do not).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "cli/audit_common.hpp"
#include "cli/commands.hpp"
#include "cli/master_key_option.hpp"
#include "cli/store_args.hpp"
#include "store/canonical_json.hpp"
#include "traffic/plan.hpp"

namespace cutover::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kLiveNs = 10'000'000'000;

int fail(std::string_view cmd, const std::string& why) {
  std::cerr << "cutover " << cmd << ": " << why << "\n";
  return 1;
}

std::string actor(std::string_view what) { return "cli:" + std::string(what) + " (" + user_at_host() + ")"; }

struct Current {
  std::optional<traffic::Plan> plan;
  std::int64_t version = 0;
};

Result<Current> current_plan(store::Store& s) {
  auto active = s.state().active();
  if (!active) return std::move(active.error());
  Current c;
  for (const auto& v : active.value()) {
    if (v.domain != "traffic") continue;
    auto p = traffic::parse_plan(v.document);
    if (!p) return Error(ErrorCode::kInvalidRequest, "the stored plan v" + std::to_string(v.version) +
                                                         " does not parse: " + p.error().message());
    c.plan.emplace(std::move(p.value()));
    c.version = v.version;
  }
  return c;
}

// What every change starts from: the master key (to sign its audit entry), the store and
// the plan in force. Empty once it has said why not.
struct Change {
  Result<identity::MasterKey> master;
  std::unique_ptr<store::Store> store;
  Current cur;
};

std::optional<Change> start_change(const std::string& store_url, const std::string& master_key_file,
                                   std::string_view cmd) {
  auto master = load_master_key(master_key_file);
  if (report_bad_master_key_file(master, master_key_file, cmd)) return std::nullopt;
  auto s = open_store_or_report(store_url, true, cmd);
  if (!s) return std::nullopt;
  auto cur = current_plan(*s);
  if (!cur) {
    fail(cmd, cur.error().message());
    return std::nullopt;
  }
  return Change{std::move(master), std::move(s), std::move(cur.value())};
}

std::string summary(const traffic::Plan& p) {
  std::string s = "active " + std::string(p.active());
  if (const auto& c = p.candidate()) s += ", canary " + c->color + " " + std::to_string(c->weight_bp) + "bp";
  if (const auto& m = p.mirror()) s += ", mirror " + m->color + " " + std::to_string(m->fraction);
  if (!p.cohorts().empty()) s += ", " + std::to_string(p.cohorts().size()) + " cohort rules";
  return s;
}

// Waits until every live switch serves `version`. Live: heard from in the last 10 s (a
// switch that stopped cleanly removed itself; one that stalls counts as behind until then).
// t0: when the change was committed (the time reported is from then).
int confirm(store::Store& s, std::int64_t version, int wait_s, std::string_view cmd,
            Clock::time_point t0 = Clock::now()) {
  for (;;) {
    auto inst = s.traffic().instances();
    if (!inst) return fail(cmd, "the plan is stored (v" + std::to_string(version) +
                                    ") but the switches cannot be checked: " + inst.error().message());
    const std::int64_t now = unix_ns_now();
    std::vector<const store::SwitchInstance*> live, behind;
    for (const auto& i : inst.value()) {
      if (now - i.seen_unix_ns > kLiveNs) continue;
      live.push_back(&i);
      if (i.plan_version != version) behind.push_back(&i);  // a revert goes back: equality
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    if (live.empty()) {
      std::cout << "traffic plan v" << version << " stored; no switch is running (each serves it when it starts)\n";
      return 0;
    }
    if (behind.empty()) {
      std::cout << "traffic plan v" << version << " served by " << live.size()
                << (live.size() == 1 ? " switch" : " switches") << " after " << ms << " ms\n";
      return 0;
    }
    if (ms >= wait_s * 1000) {
      std::string names;
      for (auto* b : behind)
        names += (names.empty() ? "" : ", ") + b->id + " (" + b->address + ", serves v" + std::to_string(b->plan_version) + ")";
      return fail(cmd, "traffic plan v" + std::to_string(version) + " is stored, but after " + std::to_string(wait_s) +
                           " s these switches do not serve it yet: " + names);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Stores `next` as the new version, audits it and waits for the switches.
int commit(store::Store& s, const traffic::Plan& next, const Current& cur, std::string_view action,
           int wait_s, std::string_view cmd, const Result<identity::MasterKey>& master) {
  const std::string doc = traffic::canonical_json(next);
  // "flip (from v3)": what `traffic revert` goes back to. Based on cur.version: a change
  // made by someone else meanwhile is refused, not overwritten.
  auto applied = s.state().apply({{"traffic", doc, cur.version}}, actor(cmd),
                                 std::string(action) + " (from v" + std::to_string(cur.version) + ")");
  if (!applied) return fail(cmd, applied.error().message());
  const auto committed = Clock::now();
  if (applied->empty()) {
    std::cout << "traffic plan unchanged (v" << cur.version << "): " << summary(next) << "\n";
    return confirm(s, cur.version, wait_s, cmd, committed);
  }
  const std::int64_t version = applied->front().version;
  std::cout << "traffic plan v" << version << ": " << summary(next) << "\n";
  // The change stands either way; like `state apply`, exit 1 when it is not in the audit log.
  const bool recorded =
      record_control(s, {"traffic." + std::string(action), "v" + std::to_string(version) + ": " + summary(next),
                         actor(cmd), "traffic=" + std::to_string(version), ""},
                     cmd, master);
  const int confirmed = confirm(s, version, wait_s, cmd, committed);
  return recorded ? confirmed : 1;
}

struct SetArgs {
  std::string store_url, master_key_file, active, canary, mirror;
  std::vector<std::string> envs, cohorts, remove_cohorts;
  int wait_s = 10;
};

int run_set(const SetArgs& a) {
  auto change = start_change(a.store_url, a.master_key_file, "traffic set");
  if (!change) return 1;
  auto& [master, s, cur] = *change;
  traffic::PlanSpec spec = cur.plan ? cur.plan->spec() : traffic::PlanSpec{};
  for (const auto& e : a.envs) {  // COLOR=URL[,URL...]
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail("traffic set", "--env expects COLOR=URL[,URL...], got '" + e + "'");
    traffic::Environment env{e.substr(0, eq), {}};
    for (std::size_t at = eq + 1; at <= e.size();) {
      auto comma = std::min(e.find(',', at), e.size());
      if (comma > at) env.endpoints.push_back(e.substr(at, comma - at));
      at = comma + 1;
    }
    std::erase_if(spec.environments, [&](const auto& x) { return x.color == env.color; });
    spec.environments.push_back(std::move(env));
  }
  // A new plan takes --active as is; an existing one changes it below with with_active(),
  // which also clears a canary of that color.
  if (!a.active.empty() && !cur.plan) spec.active = a.active;
  if (spec.active.empty() && spec.environments.size() == 1) spec.active = spec.environments.front().color;
  auto plan = traffic::make_plan(spec);
  if (!plan) return fail("traffic set", plan.error().message());
  traffic::Plan next = std::move(plan.value());
  auto step = [&](Result<traffic::Plan> r) -> bool {
    if (!r) {
      std::cerr << "cutover traffic set: " << r.error().message() << "\n";
      return false;
    }
    next = std::move(r.value());
    return true;
  };
  if (!a.active.empty() && !step(traffic::with_active(next, a.active))) return 1;
  if (!a.canary.empty()) {  // COLOR:BP
    auto colon = a.canary.rfind(':');
    std::uint32_t bp = 0;
    try {
      if (colon == std::string::npos) throw std::invalid_argument("");
      std::size_t used = 0;
      unsigned long v = std::stoul(a.canary.substr(colon + 1), &used);
      if (used != a.canary.size() - colon - 1 || v > traffic::kMaxWeightBp) throw std::invalid_argument("");
      bp = static_cast<std::uint32_t>(v);
    } catch (const std::exception&) {
      return fail("traffic set", "--canary expects COLOR:BASIS_POINTS (0-10000), got '" + a.canary + "'");
    }
    if (!step(traffic::with_canary(next, a.canary.substr(0, colon), bp))) return 1;
  }
  if (!a.mirror.empty()) {  // COLOR:FRACTION
    auto colon = a.mirror.rfind(':');
    double f = -1;
    try {
      std::size_t used = 0;
      if (colon != std::string::npos) f = std::stod(a.mirror.substr(colon + 1), &used);
      if (colon == std::string::npos || used != a.mirror.size() - colon - 1) f = -1;
    } catch (const std::exception&) {
      f = -1;
    }
    if (f < 0 || f > 1) return fail("traffic set", "--mirror expects COLOR:FRACTION (0-1), got '" + a.mirror + "'");
    if (!step(traffic::with_mirror(next, a.mirror.substr(0, colon), f))) return 1;
  }
  for (const auto& text : a.cohorts) {
    auto rule = traffic::parse_cohort_rule(text);
    if (!rule) return fail("traffic set", "--cohort: " + rule.error().message());
    if (!step(traffic::with_cohort(next, rule.value()))) return 1;
  }
  for (const auto& text : a.remove_cohorts) {
    auto rule = traffic::parse_cohort_rule(text + "->x");
    if (!rule) return fail("traffic set", "--remove-cohort: " + rule.error().message());
    if (!step(traffic::without_cohort(next, rule->match))) return 1;
  }
  return commit(*s, next, cur, "set", a.wait_s, "traffic set", master);
}

// traffic flip | revert
struct ChangeArgs {
  std::string store_url, master_key_file;
  int wait_s = 10;
};

int run_flip(const ChangeArgs& a) {
  auto change = start_change(a.store_url, a.master_key_file, "traffic flip");
  if (!change) return 1;
  auto& [master, s, cur] = *change;
  if (!cur.plan) return fail("traffic flip", "there is no traffic plan yet: create one with `cutover traffic set`");
  auto next = traffic::flipped(*cur.plan);
  if (!next) return fail("traffic flip", next.error().message());
  return commit(*s, next.value(), cur, "flip", a.wait_s, "traffic flip", master);
}

// Undoes the last change: the plan that was in force before it becomes a new version
// (so a revert of a revert goes forward again, and history stays append-only).
int run_revert(const ChangeArgs& a) {
  auto change = start_change(a.store_url, a.master_key_file, "traffic revert");
  if (!change) return 1;
  auto& [master, s, cur] = *change;
  if (!cur.plan) return fail("traffic revert", "there is no traffic plan yet");
  auto history = s->state().history("traffic");
  if (!history) return fail("traffic revert", history.error().message());
  const store::StateVersion* active = nullptr;
  for (const auto& v : history.value())
    if (v.version == cur.version) active = &v;
  std::int64_t from = 0;
  if (active) {
    auto at = active->comment.rfind("(from v");
    if (at != std::string::npos) from = std::atoll(active->comment.c_str() + at + 7);
  }
  const store::StateVersion* before = nullptr;
  for (const auto& v : history.value())
    if (v.version == from) before = &v;
  if (!before)
    return fail("traffic revert", "plan v" + std::to_string(cur.version) +
                                      " has no earlier plan to go back to (it is the first, or was not "
                                      "made by `cutover traffic`); use `cutover traffic set`");
  auto plan = traffic::parse_plan(before->document);
  if (!plan) return fail("traffic revert", "plan v" + std::to_string(from) + " does not parse: " + plan.error().message());
  std::cout << "going back to the plan of v" << from << "\n";
  return commit(*s, plan.value(), cur, "revert", a.wait_s, "traffic revert", master);
}

int run_show(const std::string& url) {
  auto s = open_store_or_report(url, false, "traffic show");
  if (!s) return 1;
  auto cur = current_plan(*s);
  if (!cur) return fail("traffic show", cur.error().message());
  if (!cur->plan) {
    std::cout << "no traffic plan in " << s->display_url() << " (create one with `cutover traffic set`)\n";
    return 0;
  }
  const auto& p = *cur->plan;
  std::cout << "plan v" << cur->version << ": " << summary(p) << "\n";
  for (const auto& e : p.environments()) {
    std::cout << "  " << e.color << ":";
    for (const auto& u : e.endpoints) std::cout << " " << u;
    std::cout << "\n";
  }
  for (const auto& r : p.cohorts()) std::cout << "  cohort " << traffic::cohort_rule_text(r) << "\n";
  auto inst = s->traffic().instances();
  if (inst) {
    const std::int64_t now = unix_ns_now();
    for (const auto& i : inst.value())
      std::cout << "switch " << i.id << " (" << i.address << "): serves v" << i.plan_version
                << ((now - i.seen_unix_ns) > 3'000'000'000 ? " [not seen for " + std::to_string((now - i.seen_unix_ns) / 1'000'000'000) + " s]" : "")
                << "\n";
  }
  return 0;
}

int run_report(const std::string& url, const std::string& since) {
  std::int64_t from = 0;
  if (!since.empty()) {
    auto t = parse_time_arg(since);
    if (!t) return fail("shadow report", "--since: " + t.error().message());
    from = t.value();
  }
  auto s = open_store_or_report(url, false, "shadow report");
  if (!s) return 1;
  std::map<std::string, std::int64_t> outcomes, kinds;
  std::vector<store::ShadowResult> samples;
  std::int64_t total = 0, latency_sum = 0, token_sum = 0;
  for (;;) {
    auto rows = s->traffic().shadow_results(from, 10'000);
    if (!rows) return fail("shadow report", rows.error().message());
    for (const auto& r : rows.value()) {
      ++total;
      ++outcomes[r.outcome];
      latency_sum += r.latency_delta_us;
      token_sum += r.token_delta;
      if (r.outcome == "different" || r.outcome == "equivalent") {
        for (std::size_t at = 0; at < r.kinds.size();) {
          auto comma = std::min(r.kinds.find(',', at), r.kinds.size());
          ++kinds[r.outcome + " " + r.kinds.substr(at, comma - at)];
          at = comma + 1;
        }
      }
      if (r.outcome != "equal" && samples.size() < 5) samples.push_back(r);
    }
    if (rows->size() < 10'000) break;
    from = rows->back().time_unix_ns + 1;
  }
  std::cout << "shadow comparisons: " << total << "\n";
  for (const char* o : {"equal", "equivalent", "different", "error"})
    std::cout << "  " << o << ": " << outcomes[o] << "\n";
  if (!kinds.empty()) {
    std::cout << "by kind:\n";
    for (const auto& [k, n] : kinds) std::cout << "  " << k << ": " << n << "\n";
  }
  if (total)
    std::cout << "mean latency delta (shadow - primary): " << latency_sum / total << " us; mean token delta: "
              << static_cast<double>(token_sum) / static_cast<double>(total) << "\n";
  for (const auto& r : samples)
    std::cout << "sample " << r.outcome << " [" << r.kinds << "] request " << r.request_id << ": " << r.sample << "\n";
  return 0;
}

}  // namespace

void add_traffic_command(CLI::App& app) {
  auto url = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("traffic", "The traffic plan the switches serve: show it, change it, flip, revert");
  cmd->require_subcommand(1);
  auto* show = cmd->add_subcommand("show", "The plan in force and the version each live switch serves");
  add_store_option(*show, *url);
  show->callback([url] { set_exit_code(run_show(*url)); });

  auto a = std::make_shared<SetArgs>();
  auto* set = cmd->add_subcommand("set", "Change the plan: every option given becomes ONE new version, audited; "
                                         "returns when every live switch serves it");
  add_store_option(*set, a->store_url);
  set->add_option("--env", a->envs, "COLOR=URL[,URL...]: the gateways of an environment (repeat per color)");
  set->add_option("--active", a->active, "The color that serves (clears the canary)");
  set->add_option("--canary", a->canary, "COLOR:BASIS_POINTS: the candidate and its share of callers (0-10000)");
  set->add_option("--mirror", a->mirror, "COLOR:FRACTION: copy this share of requests to the color that does not serve");
  set->add_option("--cohort", a->cohorts, "KIND:MATCH->COLOR, e.g. header:x-cutover-cohort=beta->green, "
                                          "tenant:acme->green, subject:agent-7->blue, key:SHA256->green");
  set->add_option("--remove-cohort", a->remove_cohorts, "KIND:MATCH of a rule to remove");
  set->add_option("--wait", a->wait_s, "Seconds to wait for the switches to confirm")->check(CLI::Range(0, 3600));
  add_master_key_option(*set, a->master_key_file, kOpensTheControlEntryKey);
  set->callback([a] { set_exit_code(run_set(*a)); });

  auto change = std::make_shared<ChangeArgs>();
  auto* flip = cmd->add_subcommand("flip", "Make the candidate (or the other color) active: a blue-green cutover");
  add_store_option(*flip, change->store_url);
  flip->add_option("--wait", change->wait_s, "Seconds to wait for the switches to confirm");
  add_master_key_option(*flip, change->master_key_file, kOpensTheControlEntryKey);
  flip->callback([change] { set_exit_code(run_flip(*change)); });

  auto* revert = cmd->add_subcommand("revert", "Go back to the previous plan version");
  add_store_option(*revert, change->store_url);
  revert->add_option("--wait", change->wait_s, "Seconds to wait for the switches to confirm");
  add_master_key_option(*revert, change->master_key_file, kOpensTheControlEntryKey);
  revert->callback([change] { set_exit_code(run_revert(*change)); });

  auto since = std::make_shared<std::string>();
  auto* shadow = app.add_subcommand("shadow", "Shadow traffic: how the mirrored color's answers compare");
  shadow->require_subcommand(1);
  auto* report = shadow->add_subcommand("report", "Equal / equivalent / different, by kind, with samples");
  add_store_option(*report, *url);
  report->add_option("--since", *since, "From this time: RFC 3339, unix seconds, or an age (15m, 2h)");
  report->callback([url, since] { set_exit_code(run_report(*url, *since)); });
}

}  // namespace cutover::cli
