// Petitions as the dispatcher and the grid worker handle them: report at a point, move
// through the lifecycle, escalate, reassign. Every change is one transaction with an event
// row, guarded by the petition's version (If-Match).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "data/changes.hpp"
#include "data/db.hpp"
#include "data/locator.hpp"
#include "data/petitions.hpp"

namespace gridmap::data {

struct NewPetition {
  Kind kind = Kind::appeal;
  std::string category;
  std::string description;
  std::optional<std::string> reporter_contact;
  LonLat position;
  std::string actor;  // who reports it
  std::optional<int64_t> created_at;
};

struct CreatedPetition {
  Petition petition;
  std::vector<PetitionId> possible_duplicates;  // same category within 250 m in the last 7 days
};

struct Change {
  Action action = Action::transition;  // transition | escalate | reassign
  std::optional<Status> to;            // target status (transition)
  std::optional<WorkerId> worker_id;   // new handler (reassign)
  std::optional<int64_t> until;        // the deadline asked for (request_extension)
  std::string note;
  std::string actor;
  std::string role;                         // the actor's role: what they may do (role_may)
  std::optional<WorkerId> actor_worker;     // the worker the actor is, for a worker
  std::optional<int64_t> expected_version;  // If-Match
  bool any_version = false;          // If-Match: * (a progress note does not depend on the state)
  std::optional<PetitionId> master;  // merge: the case this one duplicates
  std::optional<std::string> department;  // dispatch to a department (its code)
  // A community or subdistrict user's area code; a department user's department.
  std::optional<std::string> actor_area;
  std::optional<int64_t> actor_department;
};

// A possible duplicate kept on a case: found when one of the two was reported.
struct DuplicateLink {
  PetitionId other;
  double distance_m = 0;
  Status other_status = Status::reported;
  std::optional<PetitionId> merged_into;  // of the other case
};

// The reporter's follow-up (回访) of a closed case.
enum class Satisfaction : unsigned char { satisfied, basically_satisfied, unsatisfied };
std::string_view to_string(Satisfaction s) noexcept;
std::optional<Satisfaction> parse_satisfaction(std::string_view s) noexcept;

struct FollowUp {
  bool reached = true;                       // the reporter was reached
  std::optional<Satisfaction> satisfaction;  // when reached
  std::string note;
  bool reopen = false;  // an unsatisfied reporter: handle it again
  std::string actor, role;
  std::optional<int64_t> expected_version;  // If-Match
};

struct FollowUpRecord {
  int64_t at = 0;
  std::string actor;
  bool reached = false;
  std::optional<Satisfaction> satisfaction;
  std::string note;
  bool reopened = false;
};

class PetitionService {
 public:
  // `changes`, when given, hears of every committed change (the server's indexes and caches).
  explicit PetitionService(Db& db, ChangeFeed* changes = nullptr) : db_(db), changes_(changes) {}
  // Fills grid, community, subdistrict, the grid's worker and the deadline of its category.
  CreatedPetition create(const NewPetition& n, const Locator& locator, int64_t now);
  // Throws not_found, forbidden (a move the actor's role may not make, or a worker moving
  // a case another worker handles), conflict (a move the lifecycle does not allow),
  // precondition_failed (stale version) or invalid_input.
  Petition change(PetitionId id, const Change& c, int64_t now);
  // Records a follow-up of a closed case (a dispatcher's); with `reopen` (only when the
  // reporter is unsatisfied) the case goes back to in_progress with its handler, counted
  // as reopened. Throws forbidden, not_found, conflict (not closed), precondition_failed or
  // _required, invalid_input.
  Petition follow_up(PetitionId id, const FollowUp& f, int64_t now);
  std::vector<FollowUpRecord> follow_ups(PetitionId id);
  // The possible duplicates of a case, both those found when it was reported and later
  // reports that found it; nearest first.
  std::vector<DuplicateLink> duplicates_of(PetitionId id);

 private:
  void published(PetitionId id);
  // merge / unmerge: the duplicate `next` and its master both record it.
  void merge(const Petition& cur, Petition& next, PetitionEvent& ev, const Change& c, int64_t now);
  void tell_master(PetitionId master, const Petition& dup, const Change& c, int64_t now);
  Db& db_;
  ChangeFeed* changes_;
};

}  // namespace gridmap::data
