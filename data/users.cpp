#include "data/users.hpp"

#include <sodium.h>

#include "data/areas.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

void init_sodium() {
  if (sodium_init() < 0) throw_internal("libsodium cannot initialise");
}

std::string hex(const unsigned char* p, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

std::string hash_password(const std::string& password) {
  if (password.size() < 8) throw_invalid("a password needs at least 8 characters");
  init_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw_internal("out of memory hashing a password");
  return out;
}

User read_user(Statement& st) {
  User u;
  u.id = st.int64(0);
  u.name = st.text(1);
  u.role = st.text(2);
  u.worker_id = st.opt_int64(3);
  u.disabled = st.int64(4) != 0;
  u.area_code = st.opt_text(5);
  u.department_id = st.opt_int64(6);
  return u;
}

const char* const kSelect = "SELECT id, name, role, worker_id, disabled, area_code, department_id FROM users";

// A user's patch, over the user `u` (an alias of users): a user linked to a worker has that
// worker's grids as they are now (an admin's reassignment moves the user's access with
// it); a community or subdistrict user every grid of the area as it is now; any other user
// the grids given to the user itself.
// A user's patch, the user's id bound to ?1: a user linked to a worker has that worker's
// grids as they are now (an admin's reassignment moves the user's access with it); a
// community or subdistrict user every grid of the area as it is now; any other user the
// grids given to the user itself.
constexpr const char* kPatchOf =
    "SELECT grid_code FROM worker_grids WHERE worker_id = (SELECT worker_id FROM users WHERE id = ?1) "
    "UNION SELECT grid_code FROM user_grids WHERE user_id = ?1 AND (SELECT worker_id FROM users WHERE id = ?1) IS NULL "
    "UNION SELECT code FROM grids WHERE community_code = "
    "(SELECT area_code FROM users WHERE id = ?1 AND role = 'community') "
    "UNION SELECT g.code FROM grids g JOIN communities c ON c.code = g.community_code WHERE c.subdistrict_code = "
    "(SELECT area_code FROM users WHERE id = ?1 AND role = 'subdistrict') ORDER BY 1";

std::vector<std::string> patch_of(Statement& st, int64_t user) {
  std::vector<std::string> out;
  st.bind(1, user);
  while (st.step()) out.push_back(st.text(0));
  st.reset();
  return out;
}

}  // namespace

bool is_valid_role(std::string_view r) noexcept {
  return r == "admin" || r == "dispatcher" || r == "worker" || r == "planner" || r == "community" ||
         r == "subdistrict" || r == "department";
}

bool is_token_shaped(const std::string& token) noexcept {
  return token.size() == 67 && token.rfind("gm_", 0) == 0;
}

std::string token_hash(const std::string& token) {
  init_sodium();
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return hex(h, sizeof h);
}

void UserRepo::load_grids(User& u) {
  Statement st(db_, kPatchOf);
  st.bind(1, u.id);
  u.grids.clear();
  u.grids = patch_of(st, u.id);
}

User UserRepo::add(const std::string& name, const std::string& role,
                   const std::vector<std::string>& grids, std::optional<int64_t> worker_id,
                   const std::optional<std::string>& password, const Unit& unit) {
  if (name.empty() || name.size() > 64) throw_invalid("a user name needs 1 to 64 characters");
  if (!is_valid_role(role))
    throw_invalid("unknown role '" + role +
                  "' (use admin, dispatcher, worker, planner, community, subdistrict or department)");
  bool area_role = role == "community" || role == "subdistrict";
  if (area_role != unit.area_code.has_value())
    throw_invalid(area_role ? "a " + role + " user needs --area CODE, the " + role + " they act for"
                            : "--area is for community and subdistrict users");
  if ((role == "department") != unit.department.has_value())
    throw_invalid(role == "department" ? "a department user needs --department CODE"
                                       : "--department is for department users");
  if (role == "worker" && grids.empty() && !worker_id)
    throw_invalid("a worker user needs --worker ID (their patch is that worker's grids) or at least one --grid");
  std::optional<std::string> hash;
  if (password) hash = hash_password(*password);
  Transaction tx(db_);
  if (find(name)) throw Error(ErrorKind::conflict, "user '" + name + "' exists");
  AreaRepo areas(db_, Layer::grids);
  for (auto& g : grids)
    if (!areas.exists(g)) throw_invalid("no grid with code " + g);
  if (worker_id) {
    Statement w(db_, "SELECT 1 FROM workers WHERE id = ?1");
    w.bind(1, *worker_id);
    if (!w.step()) throw_invalid("no worker " + std::to_string(*worker_id));
    // A linked user's patch is the worker's grids; a --grid beside it must be one of them.
    Statement wg(db_, "SELECT 1 FROM worker_grids WHERE worker_id = ?1 AND grid_code = ?2");
    for (auto& g : grids) {
      wg.bind(1, *worker_id).bind(2, g);
      bool theirs = wg.step();
      wg.reset();
      if (!theirs)
        throw_invalid("grid " + g + " is not worker " + std::to_string(*worker_id) +
                      "'s; a worker user's patch is their worker's grids");
    }
  }
  if (unit.area_code) {
    AreaRepo level(db_, role == "community" ? Layer::communities : Layer::subdistricts);
    if (!level.exists(*unit.area_code)) throw_invalid("no " + role + " with code " + *unit.area_code);
  }
  std::optional<int64_t> department;
  if (unit.department) {
    Statement d(db_, "SELECT id FROM departments WHERE code = ?1");
    d.bind(1, *unit.department);
    if (!d.step()) throw_invalid("unknown department '" + *unit.department + "' (see /api/v1/departments)");
    department = d.int64(0);
  }
  Statement ins(db_,
                "INSERT INTO users(name, role, password_hash, worker_id, area_code, department_id) VALUES (?1, ?2, ?3, "
                "?4, ?5, ?6)");
  ins.bind(1, name).bind(2, role).bind(3, hash).bind(4, worker_id).bind(5, unit.area_code).bind(6, department).run();
  int64_t id = db_.last_insert_rowid();
  Statement g(db_, "INSERT INTO user_grids(user_id, grid_code) VALUES (?1, ?2)");
  for (auto& code : grids) g.bind(1, id).bind(2, code).run();
  tx.commit();
  return *get(id);
}

std::optional<User> UserRepo::find(const std::string& name) {
  Statement st(db_, std::string(kSelect) + " WHERE name = ?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  User u = read_user(st);
  load_grids(u);
  return u;
}

std::optional<User> UserRepo::get(int64_t id) {
  Statement st(db_, std::string(kSelect) + " WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  User u = read_user(st);
  load_grids(u);
  return u;
}

std::vector<User> UserRepo::list() {
  std::vector<User> out;
  Statement st(db_, std::string(kSelect) + " ORDER BY name");
  while (st.step()) out.push_back(read_user(st));
  for (auto& u : out) load_grids(u);
  return out;
}

void UserRepo::set_disabled(const std::string& name, bool disabled) {
  Transaction tx(db_);
  auto u = find(name);
  if (!u) throw Error(ErrorKind::not_found, "no user '" + name + "'");
  Statement st(db_, "UPDATE users SET disabled = ?1 WHERE id = ?2");
  st.bind(1, disabled ? 1 : 0).bind(2, u->id).run();
  if (disabled) {
    Statement rv(
        db_,
        "UPDATE tokens SET revoked_at = unixepoch() WHERE user_id = ?1 AND revoked_at IS NULL");
    rv.bind(1, u->id).run();
  }
  tx.commit();
}

void UserRepo::set_password(const std::string& name, const std::string& password) {
  std::string hash = hash_password(password);
  Transaction tx(db_);
  Statement st(db_, "UPDATE users SET password_hash = ?1 WHERE name = ?2");
  st.bind(1, hash).bind(2, name).run();
  if (db_.changes() != 1) throw Error(ErrorKind::not_found, "no user '" + name + "'");
  // A new password ends every session and API token: whoever knew the old one is out.
  Statement rv(db_,
               "UPDATE tokens SET revoked_at = unixepoch() WHERE revoked_at IS NULL AND "
               "user_id = (SELECT id FROM users WHERE name = ?1)");
  rv.bind(1, name).run();
  tx.commit();
}

std::optional<User> UserRepo::check_password(const std::string& name, const std::string& password) {
  init_sodium();
  Statement st(db_, "SELECT id, password_hash, disabled FROM users WHERE name = ?1");
  st.bind(1, name);
  if (!st.step() || st.is_null(1) || st.int64(2) != 0) {
    // Spend the same effort as a real check so timing does not tell which names exist.
    static const std::string dummy = hash_password("not-a-real-password");
    if (crypto_pwhash_str_verify(dummy.c_str(), password.data(), password.size()) == 0)
      return std::nullopt;
    return std::nullopt;
  }
  std::string hash = st.text(1);
  int64_t id = st.int64(0);
  if (crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) != 0)
    return std::nullopt;
  return get(id);
}

std::string UserRepo::issue_token(int64_t user_id, const std::string& kind, int64_t now,
                                  int64_t lifetime_s) {
  init_sodium();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  std::string token = "gm_" + hex(raw, sizeof raw);
  Statement st(db_,
               "INSERT INTO tokens(user_id, hash, kind, created_at, expires_at) VALUES (?1, ?2, "
               "?3, ?4, ?5)");
  st.bind(1, user_id)
      .bind(2, token_hash(token))
      .bind(3, kind)
      .bind(4, now)
      .bind(5, now + lifetime_s)
      .run();
  return token;
}

std::optional<User> UserRepo::by_token(const std::string& token, int64_t now) {
  return TokenCheck(db_).user(token, token_hash(token), now);
}

TokenCheck::TokenCheck(Db& db)
    : st_(db,
          "SELECT u.id, u.name, u.role, u.worker_id, NULL, u.area_code, u.department_id "
          "FROM tokens t "
          "JOIN users u ON u.id = t.user_id WHERE t.hash = ?1 AND t.revoked_at IS NULL AND "
          "t.expires_at > ?2 "
          "AND u.disabled = 0"),
      patch_(db, kPatchOf) {}

std::optional<User> TokenCheck::user(const std::string& token, const std::string& hash,
                                     int64_t now) {
  if (!is_token_shaped(token)) return std::nullopt;
  st_.bind(1, hash).bind(2, now);
  if (!st_.step()) {
    st_.reset();
    return std::nullopt;
  }
  User u{st_.int64(0), st_.text(1), st_.text(2), {}, st_.opt_int64(3), false, st_.opt_text(5), st_.opt_int64(6)};
  st_.reset();
  u.grids = patch_of(patch_, u.id);
  return u;
}

void UserRepo::revoke_token(const std::string& token, int64_t now) {
  Statement st(db_, "UPDATE tokens SET revoked_at = ?1 WHERE hash = ?2 AND revoked_at IS NULL");
  st.bind(1, now).bind(2, token_hash(token)).run();
}

}  // namespace gridmap::data
