// Repository of petitions (群众诉求 / 事件) and their event history (the categories are in
// data/catalogue.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "data/db.hpp"
#include "data/petition_types.hpp"
#include "geo/types.hpp"

namespace gridmap::data {

struct Petition {
  std::optional<PetitionId> id;
  Kind kind = Kind::appeal;
  std::string category;
  std::string description;
  std::optional<std::string> reporter_contact;  // personal data
  Status status = Status::reported;
  Level handler_level = Level::grid;
  std::optional<WorkerId> handler_worker_id;
  std::optional<std::string> reported_by;
  int64_t created_at = 0;
  std::optional<int64_t> deadline_at, closed_at;
  int reopened = 0;
  LonLat position;
  std::optional<std::string> grid_code, community_code, subdistrict_code;
  int64_t version = 1;  // bumped by every change; the ETag
  // A suspended case: the status it left and when (its clock stopped then).
  std::optional<Status> suspended_from;
  std::optional<int64_t> suspended_at;
  bool supervised = false;  // 督办: watched by the centre
  std::string supervise_note;
  // A pending extension request (延期申请): the deadline asked for, why, by whom.
  std::optional<int64_t> extension_until;
  std::string extension_reason;
  std::optional<std::string> extension_by;
  int extensions = 0;  // granted ones
  std::optional<int64_t> department_id;  // the department handling it (handler_level department)
  // A duplicate merged into its master case: closed, with the state it left (for unmerge).
  std::optional<PetitionId> merged_into;
  std::optional<Status> merged_from;
};

struct PetitionEvent {
  PetitionId petition_id;
  int64_t at = 0;
  std::string actor;
  Action action = Action::transition;
  std::optional<Status> from_status;
  Status to_status = Status::reported;
  std::optional<Level> handler_level;
  std::string note;
};

class PetitionRepo {
 public:
  explicit PetitionRepo(Db& db);
  PetitionId upsert(const Petition& p);
  void add_event(const PetitionEvent& e);
  std::optional<Petition> get(PetitionId id);
  std::vector<PetitionEvent> events(PetitionId petition_id);
  // When its last event happened (nullopt for no petition).
  std::optional<int64_t> last_event_at(PetitionId petition_id);
  void for_each(const std::function<void(const Petition&)>& f);  // ordered by id
  int64_t count();
  int64_t count_by_status(Status status);

 private:
  Db& db_;
  Statement upsert_, add_event_;
};

}  // namespace gridmap::data
