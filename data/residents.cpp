#include "data/residents.hpp"

namespace gridmap::data {

std::string mask_phone(const std::string& p) {
  if (p.size() < 7) return std::string(p.size(), '*');
  return p.substr(0, 3) + std::string(p.size() - 7, '*') + p.substr(p.size() - 4);
}

std::string mask_id(const std::string& id) {
  if (id.size() < 7) return std::string(id.size(), '*');
  return id.substr(0, 3) + std::string(id.size() - 7, '*') + id.substr(id.size() - 4);
}

std::string mask_name(const std::string& name) {
  if (name.empty()) return name;
  size_t first = 1;
  while (first < name.size() && (static_cast<unsigned char>(name[first]) & 0xC0) == 0x80) ++first;
  return name.substr(0, first) + "**";
}

namespace {
Resident read(Statement& st, bool reveal) {
  Resident r;
  r.id = st.int64(0);
  r.household_id = st.int64(1);
  r.name = st.text(2);
  r.phone = st.opt_text(3);
  r.id_number = st.opt_text(4);
  r.notes = st.opt_text(5);
  if (!reveal) {
    if (r.phone) r.phone = mask_phone(*r.phone);
    if (r.id_number) r.id_number = mask_id(*r.id_number);
    r.name = mask_name(r.name);  // the family name only: 王**
  }
  return r;
}
const char* const kSelect = "SELECT id, household_id, name, phone, id_number, notes FROM residents";
}  // namespace

std::vector<Resident> residents_of(Db& db, int64_t household_id, bool reveal) {
  Statement st(db, std::string(kSelect) + " WHERE household_id = ?1 ORDER BY id");
  st.bind(1, household_id);
  std::vector<Resident> out;
  while (st.step()) out.push_back(read(st, reveal));
  return out;
}

std::optional<Resident> resident(Db& db, int64_t id, bool reveal) {
  Statement st(db, std::string(kSelect) + " WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read(st, reveal);
}

std::optional<std::string> household_grid(Db& db, int64_t household_id) {
  Statement st(db, "SELECT grid_code FROM households WHERE id = ?1");
  st.bind(1, household_id);
  if (!st.step()) return std::nullopt;
  return st.opt_text(0).value_or("");
}

bool delete_resident(Db& db, int64_t id) {
  {
    Transaction tx(db);
    Statement st(db, "DELETE FROM residents WHERE id = ?1");
    st.bind(1, id).run();
    if (db.changes() != 1) return false;
    tx.commit();
  }
  // The WAL still holds the old page until a checkpoint copies the zeroed one back.
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return true;
}

}  // namespace gridmap::data
