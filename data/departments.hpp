// Departments (职能部门) that handle cases, and the routing of a category to the department
// that handles it in a subdistrict (or everywhere).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"

namespace gridmap::data {

struct Route {
  std::string category;
  std::string subdistrict_code;  // empty: every subdistrict without a route of its own
};

struct Department {
  int64_t id = 0;
  std::string code, name;
  std::vector<Route> routes;
};

class DepartmentRepo {
 public:
  explicit DepartmentRepo(Db& db) : db_(db) {}
  std::vector<Department> list();
  std::optional<Department> get(const std::string& code);
  std::optional<Department> get(int64_t id);
  // Creates or replaces a department and its routes (in the caller's transaction). Throws
  // invalid_input for an empty code or name, an unknown category or subdistrict, and
  // conflict for a route another department already has.
  Department put(const Department& d);
  // False when there is no such department; conflict while it has cases (open or in its
  // history) or users.
  bool remove(const std::string& code);
  // The department that handles `category` in `subdistrict`: a route of the category for
  // that subdistrict, else for every subdistrict, else the same for its 大类.
  std::optional<Department> route_for(const std::string& category,
                                      const std::optional<std::string>& subdistrict);

 private:
  void load_routes(Department& d);
  Db& db_;
};

}  // namespace gridmap::data
