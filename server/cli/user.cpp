// gridmap user add NAME --role R [--grid CODE]... [--worker ID] [--area CODE] [--department CODE]
//   --db FILE   (prints a token last)
// gridmap user list|disable NAME|enable NAME|passwd NAME|token NAME --db FILE
// gridmap audit verify --db FILE
#include <chrono>
#include <iostream>

#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/users.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {
namespace {
constexpr int64_t kApiTokenDays = 90;

int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_password() {
  std::string pw;
  std::getline(std::cin, pw);
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  return pw;
}
}  // namespace

const CommandSpec& user_spec() {
  static const CommandSpec spec{
      "user",
      "user    add NAME --role admin|dispatcher|worker|planner|community|subdistrict|department\n"
      "            [--grid CODE]... [--worker ID] [--area CODE] [--department CODE]\n"
      "        [--password-stdin] --db FILE   (prints an API token as its last line)\n"
      "        list | disable NAME | enable NAME | passwd NAME | token NAME [--days N]\n"
      "        --db FILE",
      {{"--db", "FILE", "the database", ""},
       {"--role", "ROLE", "the new user's role", ""},
       {"--grid", "CODE", "a grid the user works in (repeat it for several)", ""},
       {"--worker", "ID", "the worker record of a worker", ""},
       {"--area", "CODE", "the community or subdistrict of a community or subdistrict user", ""},
       {"--department", "CODE", "the department of a department user", ""},
       {"--days", "N", "how long the API token is valid", "90"},
       {"--password-stdin", "", "read the password from the first line of stdin", ""}}};
  return spec;
}

int cmd_user(const Args& args) {
  const auto& pos = args.positional();
  if (pos.empty()) throw_invalid("user: give add, list, disable, enable, passwd or token");
  std::string verb = pos[0];
  data::Db db = data::Db::open(args.db(), false);
  data::UserRepo users(db);
  auto name = [&]() -> std::string {
    if (pos.size() != 2) throw_invalid("user " + verb + ": give the user's NAME");
    return pos[1];
  };
  int64_t days = args.integer("--days", kApiTokenDays, 1, 3650);
  if (verb == "add") {
    std::optional<std::string> pw;
    if (args.flag("--password-stdin")) pw = read_password();
    std::optional<int64_t> worker;
    if (args.get("--worker")) worker = args.integer("--worker", 0, 1, INT64_MAX);
    data::Unit unit{args.get("--area"), args.get("--department")};
    data::User u = users.add(name(), args.require("--role"), args.all("--grid"), worker, pw, unit);
    std::string token = users.issue_token(u.id, "api", now(), days * 86400);
    std::cout << "user " << u.name << " (" << u.role << ") created; API token, shown once, valid "
              << days << " days:\n"
              << token << "\n";
  } else if (verb == "list") {
    for (auto& u : users.list()) {
      std::cout << u.name << "\t" << u.role << "\t" << (u.disabled ? "disabled" : "enabled")
                << "\t";
      for (size_t i = 0; i < u.grids.size(); ++i) std::cout << (i ? "," : "") << u.grids[i];
      std::cout << "\n";
    }
  } else if (verb == "disable" || verb == "enable") {
    users.set_disabled(name(), verb == "disable");
    std::cout << "user " << pos[1] << " " << verb << "d\n";
  } else if (verb == "passwd") {
    std::string n = name();
    users.set_password(n, read_password());
    std::cout << "password of " << n
              << " changed; its sessions and API tokens are revoked (gridmap user token " << n
              << " issues a new token)\n";
  } else if (verb == "token") {
    auto u = users.find(name());
    if (!u) throw Error(ErrorKind::not_found, "no user '" + pos[1] + "'");
    std::cout << users.issue_token(u->id, "api", now(), days * 86400) << "\n";
  } else {
    throw_invalid("user: unknown action '" + verb +
                  "' (use add, list, disable, enable, passwd or token)");
  }
  return 0;
}

const CommandSpec& audit_spec() {
  static const CommandSpec spec{
      "audit", "audit   verify --db FILE", {{"--db", "FILE", "the database", ""}}};
  return spec;
}

int cmd_audit(const Args& args) {
  if (args.positional().size() != 1 || args.positional()[0] != "verify")
    throw_invalid("audit: give verify");
  data::Db db = data::Db::open(args.db(), false);
  data::AuditCheck c = data::verify_audit(db);
  if (c.first_bad) {
    std::cout << "audit log BROKEN at entry " << *c.first_bad << " of " << c.entries
              << ": it was edited or removed\n";
    return 1;
  }
  if (!c.anchor_problem.empty()) {
    std::cout << "audit log BROKEN: " << c.anchor_problem << "\n";
    return 1;
  }
  data::AuditAnchor anchor = data::AuditAnchor::of(args.db());
  std::cout << "audit log intact: " << c.entries << " entries (key " << anchor.key_path
            << ", checkpoint " << anchor.checkpoint_path << ")";
  if (std::optional<data::AuditCut> cut = data::audit_cut(db))
    std::cout << "; it starts after entry " << cut->last_id << ", " << cut->removed
              << " older entries removed by retention";
  std::cout << "\n";
  return 0;
}

}  // namespace gridmap::cli
