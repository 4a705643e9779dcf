// gridmap resident export WHO --db FILE [--out PREFIX]   everything held about one person
// gridmap resident erase WHO --reason TEXT --db FILE      their erasure, everywhere
// WHO: a resident id or an ID number (身份证号). Both are audited.
#include <fstream>
#include <iostream>

#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/subject_rights.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {

const CommandSpec& resident_spec() {
  static const CommandSpec spec{
      "resident",
      "resident export WHO --db FILE [--out PREFIX]   (WHO: resident id or ID number)\n"
      "        erase WHO --reason TEXT --db FILE",
      {{"--db", "FILE", "the database", ""},
       {"--out", "PREFIX", "write PREFIX.json and PREFIX.csv", "the JSON on stdout"},
       {"--reason", "TEXT", "why the person is erased (the request, its reference): audited", ""}}};
  return spec;
}

int cmd_resident(const Args& args) {
  const auto& pos = args.positional();
  if (pos.size() != 2 || (pos[0] != "export" && pos[0] != "erase"))
    throw_invalid("resident: give export WHO or erase WHO (WHO: a resident id or an ID number)");
  data::Db db = data::Db::open(args.db(), false);
  auto id = data::find_resident(db, pos[1]);
  if (!id) throw Error(ErrorKind::not_found, "no resident '" + pos[1] + "'");
  if (pos[0] == "export") {
    data::PersonalDataExport e = data::export_resident(db, *id);
    data::audit(db, data::now_seconds(), "cli", "export_personal_data",
                "resident:" + std::to_string(*id),
                "cases " + std::to_string(e.cases) + ", visits " + std::to_string(e.visits));
    if (auto out = args.get("--out")) {
      for (auto [ext, bytes] : {std::pair{".json", &e.json}, std::pair{".csv", &e.csv}}) {
        std::ofstream f(*out + ext, std::ios::binary | std::ios::trunc);
        if (!(f << *bytes)) throw Error(ErrorKind::unavailable, "cannot write " + *out + ext);
      }
      std::cout << "exported resident " << *id << " to " << *out << ".json and " << *out << ".csv ("
                << e.cases << " cases, " << e.visits << " visits, " << e.audit_entries
                << " audit entries)\n";
    } else {
      std::cout << e.json << "\n";
    }
    return 0;
  }
  std::string reason = args.get("--reason").value_or("");
  data::Erasure e = data::erase_resident(db, *id, "cli", reason, data::now_seconds());
  std::cout << "erased resident " << *id << ": record and " << e.tags << " tags deleted, "
            << e.cases << " cases, " << e.visits << " visit records and " << e.followups
            << " follow-ups redacted\n";
  if (!e.wal_truncated)
    std::cout << "note: another connection (the server) still reads the write-ahead log; its old "
                 "pages leave "
                 "it at the next checkpoint\n";
  return 0;
}

}  // namespace gridmap::cli
