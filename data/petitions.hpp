// Repository of petitions (群众诉求 / 事件), their event history and the categories with
// their deadlines.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/db.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

struct Petition {
  std::optional<int64_t> id;
  std::string kind = "appeal";  // appeal | incident
  std::string category;
  std::string description;
  std::optional<std::string> reporter_contact;  // personal data
  std::string status = "reported";
  std::string handler_level = "grid";
  std::optional<int64_t> handler_worker_id;
  std::optional<std::string> reported_by;
  int64_t created_at = 0;
  std::optional<int64_t> deadline_at, closed_at;
  int reopened = 0;
  LonLat position;
  std::optional<std::string> grid_code, community_code, subdistrict_code;
  int64_t version = 1;  // bumped by every change; the ETag
};

struct PetitionEvent {
  int64_t petition_id = 0;
  int64_t at = 0;
  std::string actor;
  std::string action = "transition";  // report | transition | escalate | reassign
  std::optional<std::string> from_status;
  std::string to_status;
  std::optional<std::string> handler_level;
  std::string note;
};

struct Category {
  std::string code;
  std::string name;
  int deadline_hours = 72;
};

bool is_valid_status(std::string_view s) noexcept;
bool is_valid_kind(std::string_view s) noexcept;

class PetitionRepo {
 public:
  explicit PetitionRepo(Db& db);
  int64_t upsert(const Petition& p);
  void add_event(const PetitionEvent& e);
  void upsert_category(const Category& c);
  std::optional<Category> category(const std::string& code);
  std::optional<Petition> get(int64_t id);
  std::vector<PetitionEvent> events(int64_t petition_id);
  void for_each(const std::function<void(const Petition&)>& f);  // ordered by id
  int64_t count();
  int64_t count_by_status(const std::string& status);

 private:
  Db& db_;
  Statement upsert_, add_event_, upsert_category_;
};

}  // namespace gridmap::data
