// Users, roles, passwords (argon2id) and tokens (256-bit random, stored only as hashes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"

namespace gridmap::data {

struct User {
  int64_t id = 0;
  std::string name;
  std::string role;  // admin | dispatcher | worker | planner | community | subdistrict | department
  // The patch: a worker's grids; for a community or subdistrict user, every grid of the area.
  std::vector<std::string> grids;
  std::optional<int64_t> worker_id;
  bool disabled = false;
  std::optional<std::string> area_code;   // a community or subdistrict user's area
  std::optional<int64_t> department_id;   // a department user's department
};

// Whom a community, subdistrict or department user acts for: the area's code, or the
// department's code.
struct Unit {
  std::optional<std::string> area_code;
  std::optional<std::string> department;
};

bool is_valid_role(std::string_view role) noexcept;

class UserRepo {
 public:
  explicit UserRepo(Db& db) : db_(db) {}
  // Creates a user; throws conflict when the name is taken, invalid_input for a bad role,
  // unknown grid or worker.
  User add(const std::string& name, const std::string& role, const std::vector<std::string>& grids,
           std::optional<int64_t> worker_id, const std::optional<std::string>& password,
           const Unit& unit = {});
  std::optional<User> find(const std::string& name);
  std::optional<User> get(int64_t id);
  std::vector<User> list();
  void set_disabled(const std::string& name, bool disabled);  // also revokes its tokens
  void set_password(const std::string& name, const std::string& password);  // revokes its tokens
  // The user when the password matches and the user is enabled.
  std::optional<User> check_password(const std::string& name, const std::string& password);

  // A new token (returned once, in clear) valid for `lifetime_s`.
  std::string issue_token(int64_t user_id, const std::string& kind, int64_t now,
                          int64_t lifetime_s);
  // The enabled user a valid (unexpired, unrevoked) token belongs to.
  std::optional<User> by_token(const std::string& token, int64_t now);
  // Revokes a token, session or API (a sign-out with either ends it).
  void revoke_token(const std::string& token, int64_t now);

 private:
  void load_grids(User& u);
  Db& db_;
};

// The one query that turns a token into its user, kept prepared for servers that check a
// token on every request (one per connection: a Statement belongs to its Db).
class TokenCheck {
 public:
  explicit TokenCheck(Db& db);
  // The enabled user a valid (unexpired, unrevoked) token belongs to, with its grids;
  // `hash` is token_hash(token).
  std::optional<User> user(const std::string& token, const std::string& hash, int64_t now);

 private:
  Statement st_, patch_;
};

std::string token_hash(const std::string& token);         // hex BLAKE2b-256
bool is_token_shaped(const std::string& token) noexcept;  // "gm_" + 64 hex digits

}  // namespace gridmap::data
