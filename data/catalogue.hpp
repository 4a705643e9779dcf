// The category catalogue (事项目录): what a petition can be about, in two levels (大类 and
// their 小类), each with who handles it first, how long handling may take in working time,
// whether a worker may close it on the spot and whether closing needs photos. Read and
// written here; imported from and exported to CSV (`gridmap catalogue import|export`) and
// the admin API.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "data/petition_types.hpp"

namespace gridmap::data {

class WorkCalendar;

enum class DeadlineUnit : unsigned char { working_hours, working_days };

struct CatalogueEntry {
  std::string code;
  std::string name;                   // Chinese
  std::string name_en;                // English, may be empty
  std::optional<std::string> parent;  // the 大类 of a 小类; none for a 大类
  Level level = Level::grid;          // who handles a new case first
  int deadline = 72;                  // in `unit`s of working time
  DeadlineUnit unit = DeadlineUnit::working_hours;
  bool on_site_close = true;     // a worker may resolve it on the spot (reported -> closed)
  bool photos_to_close = false;  // closing needs a photo of the result
  friend bool operator==(const CatalogueEntry&, const CatalogueEntry&) = default;
};

// A 大类-less entry with the defaults but its code, name and deadline.
CatalogueEntry simple_category(std::string code, std::string name, int deadline,
                               DeadlineUnit unit = DeadlineUnit::working_hours);

// "72h" or "5d" (working hours or days) for an entry's deadline; parse_deadline reads it back.
std::string deadline_text(const CatalogueEntry& e);
// Throws invalid_input for anything but a positive whole number followed by h or d.
void parse_deadline(std::string_view text, CatalogueEntry& e);

// Throws invalid_input naming what is wrong with the entry on its own (code, names, deadline).
void check_entry(const CatalogueEntry& e);

// One row the import refused, by its line in the file.
struct CatalogueIssue {
  int64_t line = 0;
  std::string code;
  std::string message;
};

struct CatalogueImport {
  int64_t added = 0, updated = 0, unchanged = 0;
  std::vector<CatalogueIssue> issues;  // any issue: nothing was imported
  bool committed() const noexcept { return issues.empty(); }
};

class Catalogue {
 public:
  explicit Catalogue(Db& db) : db_(db) {}
  // 大类 first, each followed by its 小类, by code.
  std::vector<CatalogueEntry> list();
  std::optional<CatalogueEntry> get(const std::string& code);
  // Adds or replaces an entry. Throws invalid_input (a bad entry, an unknown parent, a parent
  // that is itself a 小类, making a 大类 with 小类 into a 小类). The caller holds a transaction.
  // Returns whether the entry was new.
  bool put(const CatalogueEntry& e);
  // Throws not_found, or conflict while petitions or 小类 refer to it.
  void remove(const std::string& code);
  // The category a new petition may have: known and without 小类 of its own; throws
  // invalid_input naming the catalogue otherwise.
  CatalogueEntry for_new_petition(const std::string& code);
  // The codes a petition may take, ", "-separated (for messages).
  std::string petition_codes();

  // CSV with the header code,name,name_en,parent,level,deadline,on_site_close,photos_to_close
  // (deadline "72h" or "5d"; booleans yes/no, true/false or 1/0). All rows or none: every
  // bad row is reported with its line. Rows may come in any order (a 小类 before its 大类).
  CatalogueImport import_csv(std::istream& in);
  void export_csv(std::ostream& out);

 private:
  Db& db_;
};

// When a case reported at `from` is due: the entry's deadline in working time.
int64_t due_at(const CatalogueEntry& e, int64_t from, const WorkCalendar& calendar);

}  // namespace gridmap::data
