// gridmap check --db FILE [--json] [--sliver-m2 A]
// Exit 0 when the layout is clean, 1 when there are findings, 2 on error.
#include <cstdio>
#include <iostream>

#include "data/coverage_store.hpp"
#include "data/db.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

const CommandSpec& check_spec() {
  static const CommandSpec spec{
      "check",
      "check   --db FILE [--json] [--sliver-m2 A]",
      {{"--db", "FILE", "the database", ""},
       {"--json", "", "the findings as JSON, with their geometries", "text"},
       {"--sliver-m2", "A", "pieces smaller than A square metres are slivers", "10"}}};
  return spec;
}

int cmd_check(const Args& args) {
  if (!args.positional().empty()) throw_invalid("check: unexpected argument '" + args.positional()[0] + "'");
  double sliver = 10;
  if (auto s = args.get("--sliver-m2")) {
    sliver = parse_number(*s, args.describe("--sliver-m2"));
    if (sliver < 0) throw_invalid(args.describe("--sliver-m2") + " must not be negative");
  }
  data::Db db = data::Db::open(args.db(), false);
  std::vector<Finding> findings = data::check_stored_coverage(db, sliver);
  if (args.flag("--json")) {
    std::cout << data::coverage_json(findings) << "\n";
  } else {
    for (const Finding& f : findings) {
      std::cout << to_string(f.kind) << "\t" << f.level << "\t";
      for (size_t i = 0; i < f.codes.size(); ++i) std::cout << (i ? "," : "") << f.codes[i];
      char area[48];
      std::snprintf(area, sizeof area, "%.1f", f.area_m2);
      std::cout << "\t" << area << " m2\t" << f.detail << "\n";
    }
    std::cout << (findings.empty() ? "clean: no findings\n" : std::to_string(findings.size()) + " findings\n");
  }
  return findings.empty() ? 0 : 1;
}

}  // namespace gridmap::cli
