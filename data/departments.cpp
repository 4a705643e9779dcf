#include "data/departments.hpp"

#include "data/petition_types.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

void DepartmentRepo::load_routes(Department& d) {
  Statement st(db_,
               "SELECT category, subdistrict_code FROM department_routes WHERE department_id = ?1 "
               "ORDER BY category, subdistrict_code");
  st.bind(1, d.id);
  d.routes.clear();
  while (st.step()) d.routes.push_back({st.text(0), st.text(1)});
}

std::vector<Department> DepartmentRepo::list() {
  Statement st(db_, "SELECT id, code, name FROM departments ORDER BY code");
  std::vector<Department> out;
  while (st.step()) out.push_back({st.int64(0), st.text(1), st.text(2), {}});
  for (Department& d : out) load_routes(d);
  return out;
}

std::optional<Department> DepartmentRepo::get(const std::string& code) {
  Statement st(db_, "SELECT id, code, name FROM departments WHERE code = ?1");
  st.bind(1, code);
  if (!st.step()) return std::nullopt;
  Department d{st.int64(0), st.text(1), st.text(2), {}};
  load_routes(d);
  return d;
}

std::optional<Department> DepartmentRepo::get(int64_t id) {
  Statement st(db_, "SELECT code FROM departments WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return get(st.text(0));
}

Department DepartmentRepo::put(const Department& d) {
  if (d.code.empty() || d.code.size() > 64)
    throw_invalid("a department needs a code of 1 to 64 bytes");
  if (d.name.empty() || d.name.size() > 200)
    throw_invalid("department " + d.code + " needs a name of 1 to 200 bytes");
  Statement up(db_,
               "INSERT INTO departments(code, name) VALUES (?1, ?2) "
               "ON CONFLICT(code) DO UPDATE SET name = excluded.name");
  up.bind(1, d.code).bind(2, d.name).run();
  Department out = *get(d.code);
  Statement clear(db_, "DELETE FROM department_routes WHERE department_id = ?1");
  clear.bind(1, out.id).run();
  Statement category(db_, "SELECT 1 FROM categories WHERE code = ?1");
  Statement subdistrict(db_, "SELECT 1 FROM subdistricts WHERE code = ?1");
  Statement taken(
      db_,
      "SELECT d.code FROM department_routes r JOIN departments d ON d.id = r.department_id "
      "WHERE r.category = ?1 AND r.subdistrict_code = ?2");
  Statement add(db_,
                "INSERT INTO department_routes(category, subdistrict_code, department_id) VALUES "
                "(?1, ?2, ?3)");
  for (const Route& r : d.routes) {
    category.bind(1, r.category);
    bool known = category.step();
    category.reset();
    if (!known)
      throw_invalid("unknown category '" + r.category + "' in the routes of " + d.code +
                    " (see /api/v1/catalogue)");
    if (!r.subdistrict_code.empty()) {
      subdistrict.bind(1, r.subdistrict_code);
      known = subdistrict.step();
      subdistrict.reset();
      if (!known)
        throw_invalid("unknown subdistrict '" + r.subdistrict_code + "' in the routes of " +
                      d.code);
    }
    taken.bind(1, r.category).bind(2, r.subdistrict_code);
    if (taken.step()) {
      std::string other = taken.text(0);
      throw Error(ErrorKind::conflict,
                  "category " + r.category +
                      (r.subdistrict_code.empty() ? "" : " in " + r.subdistrict_code) +
                      " is already routed to " + other);
    }
    taken.reset();
    add.bind(1, r.category).bind(2, r.subdistrict_code).bind(3, out.id).run();
  }
  load_routes(out);
  return out;
}

bool DepartmentRepo::remove(const std::string& code) {
  auto d = get(code);
  if (!d) return false;
  Statement busy(db_,
                 "SELECT status, count(*) FROM petitions WHERE department_id = ?1 GROUP BY status");
  busy.bind(1, d->id);
  int64_t open = 0, all = 0;
  while (busy.step()) {
    if (!is_final(stored_status(busy.text(0)))) open += busy.int64(1);
    all += busy.int64(1);
  }
  if (open)
    throw Error(ErrorKind::conflict, "department " + code + " still handles " +
                                         std::to_string(open) +
                                         " open cases: dispatch them elsewhere first");
  if (all)
    throw Error(ErrorKind::conflict,
                "department " + code + " handled " + std::to_string(all) +
                    " cases: it stays for their history (remove its routes instead)");
  Statement users(db_, "SELECT count(*) FROM users WHERE department_id = ?1");
  users.bind(1, d->id);
  users.step();
  if (int64_t n = users.int64(0))
    throw Error(ErrorKind::conflict, "department " + code + " has " + std::to_string(n) +
                                         " users: disable or remove them first");
  Statement st(db_, "DELETE FROM departments WHERE id = ?1");
  st.bind(1, d->id).run();
  return true;
}

std::optional<Department> DepartmentRepo::route_for(const std::string& category,
                                                    const std::optional<std::string>& subdistrict) {
  // The category's own routes first (its subdistrict, then everywhere), then its 大类's.
  Statement st(db_,
               "SELECT r.department_id FROM department_routes r, "
               "(SELECT ?1 AS code, 0 AS rank UNION ALL SELECT parent, 1 FROM categories WHERE "
               "code = ?1 AND parent "
               "IS NOT NULL) c WHERE r.category = c.code AND r.subdistrict_code IN (?2, '') "
               "ORDER BY c.rank, r.subdistrict_code = '' LIMIT 1");
  st.bind(1, category).bind(2, subdistrict.value_or(""));
  if (!st.step()) return std::nullopt;
  return get(st.int64(0));
}

}  // namespace gridmap::data
