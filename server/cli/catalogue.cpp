// gridmap catalogue import FILE.csv|.xlsx|.ods --db FILE    (all rows or none; each bad row
// reported) gridmap catalogue export [OUT.csv] --db FILE   (stdout without OUT) gridmap calendar
// import FILE.csv --db FILE     (replaces the working calendar) gridmap calendar export [OUT.csv]
// --db FILE    (the stored calendar, else the built-in one)
#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "data/calendar_store.hpp"
#include "data/catalogue.hpp"
#include "data/db.hpp"
#include "data/stats.hpp"
#include "data/work_calendar.hpp"
#include "geo/error.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"

namespace gridmap::cli {
namespace {

int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::ifstream open_input(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_invalid("cannot read " + path);
  return in;
}

// Writes to OUT when given (whole or not at all), else to stdout.
void write_output(const std::vector<std::string>& pos, const std::string& text) {
  if (pos.size() < 2) {
    std::cout << text;
    return;
  }
  std::string tmp = pos[1] + ".part";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) throw_invalid("cannot write " + pos[1]);
  }
  if (std::rename(tmp.c_str(), pos[1].c_str()) != 0) throw_invalid("cannot write " + pos[1]);
}

void check_verb(const std::string& command, const std::vector<std::string>& pos) {
  if (pos.empty() || (pos[0] != "import" && pos[0] != "export"))
    throw_invalid(command + ": give import FILE or export [FILE]");
  if (pos[0] == "import" && pos.size() != 2)
    throw_invalid(command + " import: give the FILE to import");
  if (pos.size() > 2) throw_invalid(command + ": unexpected '" + pos[2] + "'");
}

}  // namespace

const CommandSpec& catalogue_spec() {
  static const CommandSpec spec{"catalogue",
                                "catalogue import FILE.csv|.xlsx|.ods | export [OUT.csv] --db FILE",
                                {{"--db", "FILE", "the database", ""}}};
  return spec;
}

int cmd_catalogue(const Args& args) {
  const auto& pos = args.positional();
  check_verb("catalogue", pos);
  data::Db db = data::Db::open(args.db(), false);
  if (pos[0] == "export") {
    std::ostringstream out;
    data::Catalogue(db).export_csv(out);
    write_output(pos, out.str());
    return 0;
  }
  // A workbook (.xlsx, .ods) is read as the CSV its first worksheet is: its rows are the
  // lines the issues name.
  const std::string& file = pos[1];
  auto ends_with = [&](std::string_view ext) {
    return file.size() >= ext.size() &&
           std::equal(ext.rbegin(), ext.rend(), file.rbegin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  std::unique_ptr<std::istream> in;
  if (ends_with(".xlsx") || ends_with(".ods"))
    in = std::make_unique<std::istringstream>(data::sheet_csv(data::read_sheet(file)));
  else
    in = std::make_unique<std::ifstream>(open_input(file));
  data::Transaction tx(db);
  data::CatalogueImport r = data::Catalogue(db).import_csv(*in);
  if (!r.committed()) {
    for (const data::CatalogueIssue& i : r.issues)
      std::cerr << pos[1] << " line " << i.line << (i.code.empty() ? "" : " (" + i.code + ")")
                << ": " << i.message << "\n";
    throw_invalid(std::to_string(r.issues.size()) + " rows of " + pos[1] +
                  " cannot be used; nothing was imported (fix them and import again)");
  }
  tx.commit();
  std::cout << "catalogue: " << r.added << " added, " << r.updated << " updated, " << r.unchanged
            << " unchanged\n";
  return 0;
}

const CommandSpec& calendar_spec() {
  static const CommandSpec spec{"calendar",
                                "calendar import FILE.csv | export [OUT.csv] --db FILE",
                                {{"--db", "FILE", "the database", ""}}};
  return spec;
}

int cmd_calendar(const Args& args) {
  const auto& pos = args.positional();
  check_verb("calendar", pos);
  data::Db db = data::Db::open(args.db(), false);
  if (pos[0] == "export") {
    write_output(pos, data::load_calendar(db).to_csv());
    return 0;
  }
  data::WorkCalendar cal = data::WorkCalendar::load(pos[1]);
  data::Transaction tx(db);
  data::store_calendar(db, cal, now());
  tx.commit();
  int holidays = 0, workdays = 0;
  for (const data::CalendarEntry& e : cal.entries())
    (e.type == data::DayType::holiday ? holidays : workdays)++;
  std::cout << "calendar: " << holidays << " holidays, " << workdays << " swapped working days, "
            << cal.seconds_per_day() / 60
            << " working minutes a day; deadlines from now on count by it\n";
  return 0;
}

}  // namespace gridmap::cli
