#include "data/households.hpp"

namespace gridmap::data {
namespace {
const char* const kSelect =
    "SELECT id, address, X(geom), Y(geom), grid_code, community_code, subdistrict_code FROM households";

Household read_household(Statement& st) {
  return Household{st.int64(0), st.text(1), LonLat{st.real(2), st.real(3)}, st.opt_text(4), st.opt_text(5),
                   st.opt_text(6)};
}
}  // namespace

HouseholdRepo::HouseholdRepo(Db& db)
    : db_(db),
      upsert_(db,
              "INSERT INTO households(id, address, geom, grid_code, community_code, subdistrict_code) "
              "VALUES (?1, ?2, MakePoint(?3, ?4, 4326), ?5, ?6, ?7) ON CONFLICT(id) DO UPDATE SET "
              "address = excluded.address, geom = excluded.geom, grid_code = excluded.grid_code, "
              "community_code = excluded.community_code, subdistrict_code = excluded.subdistrict_code, "
              "updated_at = unixepoch()"),
      add_resident_(db,
                    "INSERT INTO residents(id, household_id, name, phone, id_number, notes) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)") {}

int64_t HouseholdRepo::upsert(const Household& h) {
  upsert_.bind(1, h.id).bind(2, h.address).bind(3, h.position.lon).bind(4, h.position.lat);
  upsert_.bind(5, h.grid_code).bind(6, h.community_code).bind(7, h.subdistrict_code).run();
  return h.id ? *h.id : db_.last_insert_rowid();
}

int64_t HouseholdRepo::add_resident(const Resident& r) {
  add_resident_.bind(1, r.id).bind(2, r.household_id).bind(3, r.name).bind(4, r.phone);
  add_resident_.bind(5, r.id_number).bind(6, r.notes).run();
  return r.id ? *r.id : db_.last_insert_rowid();
}

std::optional<Household> HouseholdRepo::get(int64_t id) {
  Statement st(db_, std::string(kSelect) + " WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_household(st);
}

void HouseholdRepo::for_each(const std::function<void(const Household&)>& f) {
  Statement st(db_, std::string(kSelect) + " ORDER BY id");
  while (st.step()) f(read_household(st));
}

int64_t HouseholdRepo::count() {
  Statement st(db_, "SELECT count(*) FROM households");
  st.step();
  return st.int64(0);
}

int64_t HouseholdRepo::count_residents() {
  Statement st(db_, "SELECT count(*) FROM residents");
  st.step();
  return st.int64(0);
}

}  // namespace gridmap::data
