#include "data/migrations.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "data/db.hpp"
#include "data/partitions.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

// Times are INTEGER seconds since the Unix epoch, UTC. Geometry columns are WGS84.
const char* const kV1 = R"SQL(
CREATE TABLE subdistricts (
  code TEXT PRIMARY KEY NOT NULL CHECK (length(code) > 0),
  name TEXT NOT NULL,
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
SELECT AddGeometryColumn('subdistricts', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1);
SELECT CreateSpatialIndex('subdistricts', 'geom');

CREATE TABLE communities (
  code TEXT PRIMARY KEY NOT NULL CHECK (length(code) > 0),
  name TEXT NOT NULL,
  subdistrict_code TEXT REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX communities_subdistrict ON communities(subdistrict_code);
SELECT AddGeometryColumn('communities', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1);
SELECT CreateSpatialIndex('communities', 'geom');

CREATE TABLE grids (
  code TEXT PRIMARY KEY NOT NULL CHECK (length(code) > 0),
  name TEXT NOT NULL,
  community_code TEXT REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX grids_community ON grids(community_code);
SELECT AddGeometryColumn('grids', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1);
SELECT CreateSpatialIndex('grids', 'geom');

CREATE TABLE workers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  phone TEXT,
  on_duty INTEGER NOT NULL DEFAULT 0 CHECK (on_duty IN (0, 1)),
  position_at INTEGER,
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
SELECT AddGeometryColumn('workers', 'geom', 4326, 'POINT', 'XY', 0);
SELECT CreateSpatialIndex('workers', 'geom');

CREATE TABLE worker_grids (
  worker_id INTEGER NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
  grid_code TEXT NOT NULL REFERENCES grids(code) ON UPDATE CASCADE ON DELETE CASCADE,
  PRIMARY KEY (worker_id, grid_code)
) WITHOUT ROWID;
CREATE INDEX worker_grids_grid ON worker_grids(grid_code);

CREATE TABLE households (
  id INTEGER PRIMARY KEY,
  address TEXT NOT NULL DEFAULT '',
  grid_code TEXT REFERENCES grids(code) ON UPDATE CASCADE ON DELETE SET NULL,
  community_code TEXT REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  subdistrict_code TEXT REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX households_grid ON households(grid_code);
SELECT AddGeometryColumn('households', 'geom', 4326, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('households', 'geom');

-- Personal data lives here only; nothing public joins this table.
CREATE TABLE residents (
  id INTEGER PRIMARY KEY,
  household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  phone TEXT,
  id_number TEXT,
  notes TEXT
);
CREATE INDEX residents_household ON residents(household_id);

CREATE TABLE categories (
  code TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  deadline_hours INTEGER NOT NULL CHECK (deadline_hours > 0)
);

CREATE TABLE petitions (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('appeal', 'incident')),
  category TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  reporter_contact TEXT,
  status TEXT NOT NULL CHECK (status IN
    ('reported', 'dispatched', 'in_progress', 'pending_review', 'closed')),
  handler_level TEXT NOT NULL DEFAULT 'grid' CHECK (handler_level IN
    ('grid', 'community', 'subdistrict', 'department')),
  handler_worker_id INTEGER REFERENCES workers(id) ON DELETE SET NULL,
  reported_by TEXT,
  created_at INTEGER NOT NULL,
  deadline_at INTEGER,
  closed_at INTEGER,
  reopened INTEGER NOT NULL DEFAULT 0,
  grid_code TEXT REFERENCES grids(code) ON UPDATE CASCADE ON DELETE SET NULL,
  community_code TEXT REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  subdistrict_code TEXT REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX petitions_created ON petitions(created_at);
CREATE INDEX petitions_grid ON petitions(grid_code, created_at);
CREATE INDEX petitions_status ON petitions(status);
SELECT AddGeometryColumn('petitions', 'geom', 4326, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('petitions', 'geom');

CREATE TABLE petition_events (
  id INTEGER PRIMARY KEY,
  petition_id INTEGER NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('report', 'transition', 'escalate', 'reassign')),
  from_status TEXT,
  to_status TEXT NOT NULL,
  handler_level TEXT,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX petition_events_petition ON petition_events(petition_id, at);

CREATE TABLE visits (
  id INTEGER PRIMARY KEY,
  worker_id INTEGER NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
  household_id INTEGER NOT NULL REFERENCES households(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX visits_household ON visits(household_id, at);

CREATE TABLE work_logs (
  id INTEGER PRIMARY KEY,
  worker_id INTEGER NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  text TEXT NOT NULL,
  UNIQUE (worker_id, day)
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'dispatcher', 'worker', 'planner')),
  password_hash TEXT,
  worker_id INTEGER REFERENCES workers(id) ON DELETE SET NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE TABLE user_grids (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  grid_code TEXT NOT NULL REFERENCES grids(code) ON UPDATE CASCADE ON DELETE CASCADE,
  PRIMARY KEY (user_id, grid_code)
) WITHOUT ROWID;

-- Append-only; each row's hash covers the previous row's hash (see data/audit).
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
)SQL";

// Version 2: a row version on every editable layer, for ETag / If-Match.
const char* const kV2 = R"SQL(
ALTER TABLE subdistricts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE communities ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE grids ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workers ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE households ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE petitions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
)SQL";

// Version 3: API tokens and sessions, stored only as hashes.
const char* const kV3 = R"SQL(
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('api', 'session')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX tokens_user ON tokens(user_id);
)SQL";

// Version 4: audit entries chained with a keyed MAC (the key lives outside the database
// file, see data/audit.hpp); earlier entries keep their plain hashes.
const char* const kV4 = R"SQL(
ALTER TABLE audit_log ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;
)SQL";

// Version 5: the category catalogue in two levels with working-time deadlines, departments
// (职能部门) and their routing, and the working calendar (see data/catalogue.hpp,
// data/work_calendar.hpp). Existing categories keep their hours, now counted in working time.
const char* const kV5 = R"SQL(
ALTER TABLE categories ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN parent TEXT REFERENCES categories(code) ON UPDATE CASCADE;
ALTER TABLE categories ADD COLUMN level TEXT NOT NULL DEFAULT 'grid' CHECK (level IN
  ('grid', 'community', 'subdistrict', 'department'));
ALTER TABLE categories ADD COLUMN deadline INTEGER NOT NULL DEFAULT 72 CHECK (deadline > 0);
ALTER TABLE categories ADD COLUMN deadline_unit TEXT NOT NULL DEFAULT 'working_hours' CHECK
  (deadline_unit IN ('working_hours', 'working_days'));
ALTER TABLE categories ADD COLUMN on_site_close INTEGER NOT NULL DEFAULT 1;
ALTER TABLE categories ADD COLUMN photos_to_close INTEGER NOT NULL DEFAULT 0;
UPDATE categories SET deadline = deadline_hours;
CREATE INDEX categories_parent ON categories(parent);

CREATE TABLE departments (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
);
CREATE TABLE department_users (
  department_id INTEGER NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (department_id, user_id)
);
-- Which department handles a category in a subdistrict ('' = every subdistrict).
CREATE TABLE department_routes (
  category TEXT NOT NULL REFERENCES categories(code) ON UPDATE CASCADE ON DELETE CASCADE,
  subdistrict_code TEXT NOT NULL DEFAULT '',
  department_id INTEGER NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
  PRIMARY KEY (category, subdistrict_code)
);

-- The working calendar as its CSV text (one row); none: the built-in calendar of China.
CREATE TABLE work_calendar (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  csv TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
)SQL";

// Version 6: the full lifecycle (立案, 不予立案, 核查, 挂起, 撤回, 督办). The new states and the
// supervise action are let into the CHECK constraints by widen_lifecycle_checks() below;
// a suspended case remembers where it was and since when (its clock stops).
const char* const kV6 = R"SQL(
ALTER TABLE petitions ADD COLUMN suspended_from TEXT;
ALTER TABLE petitions ADD COLUMN suspended_at INTEGER;
ALTER TABLE petitions ADD COLUMN supervised INTEGER NOT NULL DEFAULT 0;
ALTER TABLE petitions ADD COLUMN supervise_note TEXT NOT NULL DEFAULT '';
)SQL";

// SQLite cannot alter a CHECK constraint; loosening one may be done by editing the stored
// CREATE TABLE text (https://www.sqlite.org/lang_altertable.html, "otherwise" procedure),
// since every row that passed the old check passes the new one. The schema version is bumped
// so that every connection re-reads the schema.
struct CheckEdit {
  const char* table;
  const char* from;    // the list as an earlier schema wrote it
  const char* to;      // the widened list
  const char* marker;  // a value only the widened list (or a later one) has
};

void widen_checks(Db& db, int migration, std::span<const CheckEdit> edits) {
  Statement version(db, "PRAGMA schema_version");
  version.step();
  int64_t schema = version.int64(0);
  version.reset();
  db.exec("PRAGMA writable_schema = ON");
  for (const CheckEdit& e : edits) {
    Statement up(db,
                 "UPDATE sqlite_master SET sql = replace(sql, ?1, ?2) WHERE type = 'table' AND "
                 "name = ?3 AND "
                 "instr(sql, ?1) > 0");
    up.bind(1, e.from).bind(2, e.to).bind(3, e.table).run();
    if (db.changes() == 1) continue;
    Statement done(
        db,
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0");
    done.bind(1, e.table).bind(2, e.marker);
    if (!done.step()) {
      db.exec("PRAGMA writable_schema = OFF");
      throw Error(ErrorKind::internal, "migration " + std::to_string(migration) +
                                           ": the CHECK constraint of " + e.table +
                                           " is neither the one it widens nor a widened one");
    }
  }
  db.exec("PRAGMA schema_version = " + std::to_string(schema + 1));
  db.exec("PRAGMA writable_schema = OFF");
}

void widen_lifecycle_checks(Db& db) {
  const CheckEdit edits[] = {
      {"petitions", "('reported', 'dispatched', 'in_progress', 'pending_review', 'closed')",
       "('reported', 'dispatched', 'in_progress', 'pending_review', 'closed', 'registered', "
       "'rejected', "
       "'verified', 'suspended', 'withdrawn')",
       "'withdrawn'"},
      {"petition_events", "('report', 'transition', 'escalate', 'reassign')",
       "('report', 'transition', 'escalate', 'reassign', 'supervise')", "'supervise'"}};
  widen_checks(db, 6, edits);
}

// Version 8: extension requests (延期申请) — the new deadline asked for, why and by whom,
// decided by a dispatcher; and how many were granted.
const char* const kV8 = R"SQL(
ALTER TABLE petitions ADD COLUMN extension_until INTEGER;
ALTER TABLE petitions ADD COLUMN extension_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE petitions ADD COLUMN extension_by TEXT;
ALTER TABLE petitions ADD COLUMN extensions INTEGER NOT NULL DEFAULT 0;
)SQL";

void widen_extension_actions(Db& db) {
  const CheckEdit edits[] = {{"petition_events", "'reassign', 'supervise')",
                              "'reassign', 'supervise', 'request_extension', 'approve_extension', "
                              "'refuse_extension')",
                              "'refuse_extension'"}};
  widen_checks(db, 8, edits);
}

// Version 7: the reporter's follow-up (回访) after a case closes: whether they were reached,
// how satisfied they are, and whether the case was reopened for it.
const char* const kV7 = R"SQL(
CREATE TABLE petition_followups (
  id INTEGER PRIMARY KEY,
  petition_id INTEGER NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reached INTEGER NOT NULL CHECK (reached IN (0, 1)),
  satisfaction TEXT CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
  note TEXT NOT NULL DEFAULT '',
  reopened INTEGER NOT NULL DEFAULT 0 CHECK (reopened IN (0, 1)),
  CHECK (reached = 1 OR satisfaction IS NULL)
);
CREATE INDEX petition_followups_petition ON petition_followups(petition_id, at);
)SQL";

// Version 9: notifications — what the event stream and the webhooks tell, kept 7 days
// (data/notifications.hpp) — and the webhook subscriptions with their delivery log.
const char* const kV9 = R"SQL(
-- AUTOINCREMENT: an id is the stream's event id and the webhooks' idempotency key, never
-- reused after pruning. The petition's state is copied in: scope checks and payloads need
-- no join, and nothing personal (reporter, contact, description) is kept.
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN
    ('new_case', 'dispatched', 'deadline_soon', 'overdue', 'escalated', 'reopened')),
  petition_id INTEGER NOT NULL,
  event_id INTEGER,
  status TEXT NOT NULL,
  category TEXT NOT NULL,
  grid_code TEXT,
  community_code TEXT,
  subdistrict_code TEXT,
  handler_level TEXT NOT NULL,
  handler_worker_id INTEGER,
  department_id INTEGER,
  reported_by TEXT,
  deadline_at INTEGER
);
CREATE INDEX notifications_at ON notifications(at);
-- A time-driven notice is written once per case, kind and deadline.
CREATE UNIQUE INDEX notifications_due ON notifications(petition_id, kind, deadline_at)
  WHERE event_id IS NULL;
-- The last petition_events row turned into notifications.
CREATE TABLE notification_cursor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  event_id INTEGER NOT NULL
);

CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  subdistrict_code TEXT,
  department_id INTEGER REFERENCES departments(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  CHECK ((subdistrict_code IS NULL) <> (department_id IS NULL))
);
-- One row per notification a webhook is to receive, sent in id order per webhook.
CREATE TABLE webhook_deliveries (
  webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  notification_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  status_code INTEGER,
  error TEXT NOT NULL DEFAULT '',
  next_attempt_ms INTEGER NOT NULL,
  delivered_at INTEGER,
  PRIMARY KEY (webhook_id, notification_id)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(webhook_id, notification_id)
  WHERE delivered_at IS NULL;
)SQL";

// Version 10: departments handle cases (the petition's department), duplicates are kept on
// the case and may be merged into their master (undone by an admin), and users of a
// community, a subdistrict or a department see and act on their level's queue.
const char* const kV10 = R"SQL(
ALTER TABLE petitions ADD COLUMN department_id INTEGER REFERENCES departments(id);
ALTER TABLE petitions ADD COLUMN merged_into INTEGER REFERENCES petitions(id);
ALTER TABLE petitions ADD COLUMN merged_from TEXT;
CREATE INDEX petitions_merged_into ON petitions(merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX petitions_department ON petitions(department_id) WHERE department_id IS NOT NULL;
-- The possible duplicates found when a case was reported (same category, 250 m, 7 days).
CREATE TABLE petition_duplicates (
  petition_id INTEGER NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
  other_id INTEGER NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
  distance_m REAL NOT NULL,
  PRIMARY KEY (petition_id, other_id)
) WITHOUT ROWID;
CREATE INDEX petition_duplicates_other ON petition_duplicates(other_id);
-- The 挂起/恢复 events alone, for the working time of the KPIs (data/stats.cpp).
CREATE INDEX petition_events_pauses ON petition_events(petition_id, at)
  WHERE to_status = 'suspended' OR from_status = 'suspended';
-- The area or department a community, subdistrict or department user acts for.
ALTER TABLE users ADD COLUMN area_code TEXT;
ALTER TABLE users ADD COLUMN department_id INTEGER REFERENCES departments(id);
)SQL";

void widen_merge_and_roles(Db& db) {
  const CheckEdit edits[] = {
      {"petition_events", "'approve_extension', 'refuse_extension')",
       "'approve_extension', 'refuse_extension', 'merge', 'unmerge')", "'unmerge'"},
      {"users", "('admin', 'dispatcher', 'worker', 'planner')",
       "('admin', 'dispatcher', 'worker', 'planner', 'community', 'subdistrict', 'department')",
       "'department')"}};
  widen_checks(db, 10, edits);
}

// Version 11: field work. Photos and documents attached to cases, visits and work-log
// entries (the files themselves are content-addressed outside the database,
// data/blob_store.hpp); visits with a place, a duration, the answers of the 入户走访 form
// (whose fields are configurable per subdistrict) and the case they raised; the work log
// as entries through the day with their earlier versions kept.
const char* const kV11 = R"SQL(
CREATE TABLE attachments (
  id INTEGER PRIMARY KEY,
  owner_kind TEXT NOT NULL CHECK (owner_kind IN ('petition', 'visit', 'worklog')),
  owner_id INTEGER NOT NULL,
  stage TEXT NOT NULL CHECK (stage IN ('report', 'before', 'progress', 'after', 'record')),
  sha256 TEXT NOT NULL,
  thumb_sha256 TEXT,
  content_type TEXT NOT NULL,
  original_type TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL DEFAULT 0,
  height INTEGER NOT NULL DEFAULT 0,
  taken_at INTEGER,
  taken_lon REAL,
  taken_lat REAL,
  taken_distance_m REAL,
  file_name TEXT NOT NULL DEFAULT '',
  uploaded_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX attachments_owner ON attachments(owner_kind, owner_id);
CREATE INDEX attachments_sha ON attachments(sha256);
CREATE INDEX attachments_thumb ON attachments(thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
-- A record's files go with it (their bytes at the next start-up's sweep), so that a reused
-- id never shows another record's photos.
CREATE TRIGGER attachments_of_petition AFTER DELETE ON petitions BEGIN
  DELETE FROM attachments WHERE owner_kind = 'petition' AND owner_id = old.id;
END;
CREATE TRIGGER attachments_of_visit AFTER DELETE ON visits BEGIN
  DELETE FROM attachments WHERE owner_kind = 'visit' AND owner_id = old.id;
END;

ALTER TABLE visits ADD COLUMN lon REAL;
ALTER TABLE visits ADD COLUMN lat REAL;
ALTER TABLE visits ADD COLUMN distance_m REAL;
ALTER TABLE visits ADD COLUMN off_site_reason TEXT;
ALTER TABLE visits ADD COLUMN duration_min INTEGER;
ALTER TABLE visits ADD COLUMN recorded_at INTEGER;
ALTER TABLE visits ADD COLUMN petition_id INTEGER REFERENCES petitions(id) ON DELETE SET NULL;
CREATE INDEX visits_worker ON visits(worker_id, at);
-- The answers of a visit's form: one row per value (a multiple choice has several).
CREATE TABLE visit_answers (
  visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
  field TEXT NOT NULL,
  position INTEGER NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (visit_id, field, position)
) WITHOUT ROWID;
-- The 入户走访 form: the city's fields (scope '') unless a subdistrict has its own.
CREATE TABLE visit_form_fields (
  scope TEXT NOT NULL,
  position INTEGER NOT NULL,
  key TEXT NOT NULL,
  label TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('integer', 'text', 'flag', 'choice', 'choices')),
  options TEXT NOT NULL DEFAULT '',
  required INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
INSERT INTO visit_form_fields(scope, position, key, label, type, options, required) VALUES
  ('', 1, 'residents_met', '见到的居民人数', 'integer', '', 0),
  ('', 2, 'needs', '反映的诉求', 'text', '', 0),
  ('', 3, 'risk_flags', '风险隐患', 'choices',
   '独居老人无人照料' || char(10) || '矛盾纠纷' || char(10) || '安全隐患' || char(10) ||
   '群租' || char(10) || '精神障碍' || char(10) || '其他', 0),
  ('', 4, 'services', '提供的服务', 'choices',
   '政策宣传' || char(10) || '代办事项' || char(10) || '帮扶慰问' || char(10) ||
   '调解' || char(10) || '信息采集' || char(10) || '其他', 0),
  ('', 5, 'household_present', '家中有人', 'flag', '', 0);

-- The work log: entries through the day, editable for three days; each edit keeps the
-- text it replaced.
CREATE TABLE work_log_entries (
  id INTEGER PRIMARY KEY,
  worker_id INTEGER NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  at INTEGER NOT NULL,
  text TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  edited_at INTEGER,
  edited_by TEXT
);
CREATE INDEX work_log_entries_worker ON work_log_entries(worker_id, day);
CREATE TRIGGER attachments_of_worklog AFTER DELETE ON work_log_entries BEGIN
  DELETE FROM attachments WHERE owner_kind = 'worklog' AND owner_id = old.id;
END;
CREATE TABLE work_log_versions (
  entry_id INTEGER NOT NULL REFERENCES work_log_entries(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  text TEXT NOT NULL,
  written_at INTEGER NOT NULL,
  written_by TEXT NOT NULL,
  PRIMARY KEY (entry_id, version)
) WITHOUT ROWID;
-- A day's log of the earlier schema becomes that day's one entry, at 18:00 China time.
INSERT INTO work_log_entries(worker_id, day, at, text, created_at, created_by)
  SELECT worker_id, day, unixepoch(day || ' 10:00:00'), text, unixepoch(day || ' 10:00:00'), 'migration'
  FROM work_logs WHERE unixepoch(day || ' 10:00:00') IS NOT NULL;
DROP TABLE work_logs;

-- Patrol tracks (巡查轨迹): kept only for workers who opted in, while on duty, and only
-- for the retention period (data/patrols.hpp).
ALTER TABLE workers ADD COLUMN patrol INTEGER NOT NULL DEFAULT 0;
CREATE TABLE patrol_points (
  worker_id INTEGER NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  lon REAL NOT NULL,
  lat REAL NOT NULL,
  PRIMARY KEY (worker_id, at)
) WITHOUT ROWID;
CREATE INDEX patrol_points_at ON patrol_points(at);

-- The register (一标三实): standard addresses down to the room, residents with their
-- relation, status and tags, and units (实有单位).
CREATE TABLE buildings (
  id INTEGER PRIMARY KEY,
  subdistrict_code TEXT REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  community_code TEXT REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  grid_code TEXT REFERENCES grids(code) ON UPDATE CASCADE ON DELETE SET NULL,
  road TEXT NOT NULL DEFAULT '',
  number TEXT NOT NULL DEFAULT '',
  compound TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX buildings_address ON buildings(coalesce(community_code, ''), road, number, compound, name);
CREATE INDEX buildings_grid ON buildings(grid_code);
SELECT AddGeometryColumn('buildings', 'geom', 4326, 'POINT', 'XY');
SELECT AddGeometryColumn('buildings', 'footprint', 4326, 'MULTIPOLYGON', 'XY');
SELECT CreateSpatialIndex('buildings', 'geom');
ALTER TABLE households ADD COLUMN building_id INTEGER REFERENCES buildings(id) ON DELETE SET NULL;
ALTER TABLE households ADD COLUMN unit TEXT NOT NULL DEFAULT '';
ALTER TABLE households ADD COLUMN room TEXT NOT NULL DEFAULT '';
CREATE INDEX households_building ON households(building_id, unit, room);
ALTER TABLE residents ADD COLUMN relation TEXT NOT NULL DEFAULT 'other' CHECK (relation IN
  ('head', 'spouse', 'child', 'parent', 'grandchild', 'grandparent', 'sibling', 'other'));
ALTER TABLE residents ADD COLUMN gender TEXT CHECK (gender IN ('male', 'female'));
ALTER TABLE residents ADD COLUMN birth_date TEXT;
ALTER TABLE residents ADD COLUMN status TEXT NOT NULL DEFAULT 'present' CHECK (status IN
  ('present', 'moved_out', 'deceased'));
ALTER TABLE residents ADD COLUMN status_at INTEGER;
ALTER TABLE residents ADD COLUMN updated_at INTEGER;
CREATE INDEX residents_id_number ON residents(id_number) WHERE id_number IS NOT NULL;
CREATE TABLE resident_tags (
  resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
  tag TEXT NOT NULL CHECK (tag IN ('lonely_elderly', 'disabled', 'low_income', 'special_care',
    'left_behind_child', 'key_person')),
  set_by TEXT NOT NULL,
  set_at INTEGER NOT NULL,
  PRIMARY KEY (resident_id, tag)
) WITHOUT ROWID;
CREATE INDEX resident_tags_tag ON resident_tags(tag);
CREATE TABLE units (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'company' CHECK (kind IN ('shop', 'company', 'organisation', 'school', 'other')),
  credit_code TEXT,
  contact_name TEXT,
  contact_phone TEXT,
  building_id INTEGER REFERENCES buildings(id) ON DELETE SET NULL,
  address TEXT NOT NULL DEFAULT '',
  grid_code TEXT REFERENCES grids(code) ON UPDATE CASCADE ON DELETE SET NULL,
  community_code TEXT REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  subdistrict_code TEXT REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX units_grid ON units(grid_code);
SELECT AddGeometryColumn('units', 'geom', 4326, 'POINT', 'XY');
)SQL";

// Version 12 also: notifications of any change of a case ('moved'), not only the few kinds
// the first version announced; progress notes in a case's history.
void widen_notice_kinds(Db& db) {
  const CheckEdit edits[] = {
      {"notifications", "'escalated', 'reopened')", "'escalated', 'reopened', 'moved')", "'moved'"},
      // and a case's history takes progress notes (处置进展)
      {"petition_events", "'merge', 'unmerge')", "'merge', 'unmerge', 'progress')", "'progress'"}};
  widen_checks(db, 12, edits);
}

// Idempotency keys: the first answer to a write named by a client's key, kept a day.
const char* const kV12 = R"SQL(
CREATE TABLE idempotency_keys (
  user_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  status INTEGER,
  content_type TEXT,
  headers TEXT,
  body BLOB,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
)SQL";

// Retention may cut the oldest entries of the audit log (data/audit.hpp): where it last cut,
// the last entry removed and its MAC, which the first entry kept links to.
const char* const kV13 = R"SQL(
CREATE TABLE audit_cut (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_id INTEGER NOT NULL,
  last_hash TEXT NOT NULL,
  removed INTEGER NOT NULL,
  at INTEGER NOT NULL
);
)SQL";
// PostgreSQL's migration 13: the same table; ids numbered over a partitioned table as a whole;
// the patrol points and the audit log partitioned by month (data/partitions.hpp).
const char* const kPgV13 = R"SQL(
CREATE TABLE audit_cut (
  id bigint PRIMARY KEY CHECK (id = 1),
  last_id bigint NOT NULL,
  last_hash text COLLATE "C" NOT NULL,
  removed bigint NOT NULL,
  at bigint NOT NULL
);
-- Ids of a partitioned table (a row trigger fires on the partition, whose max(id) is not the
-- table's): counted in a row of their own, taken under the writers' lock, so an insert does not
-- plan and run max(id) over every month. An id given (a copy, a row moved into its month)
-- raises the count.
CREATE TABLE gridmap_partition_ids (
  name text COLLATE "C" PRIMARY KEY,
  seq bigint NOT NULL
);
CREATE FUNCTION gridmap_partitioned_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS NULL THEN
    UPDATE gridmap_partition_ids SET seq = seq + 1 WHERE name = TG_ARGV[0]
      RETURNING seq INTO NEW.id;
    IF NOT FOUND THEN
      EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I', TG_ARGV[0]) INTO NEW.id;
      INSERT INTO gridmap_partition_ids(name, seq) VALUES (TG_ARGV[0], NEW.id);
    END IF;
  ELSE
    INSERT INTO gridmap_partition_ids(name, seq) VALUES (TG_ARGV[0], NEW.id)
      ON CONFLICT (name) DO UPDATE SET seq = greatest(gridmap_partition_ids.seq, excluded.seq);
  END IF;
  RETURN NEW;
END $$;
)SQL";

void partition_by_month(Db& db) {
  partition_monthly_tables(db, now_seconds());
}

struct Migration {
  int version;
  const char* sql;
  void (*also)(Db&) = nullptr;  // a step SQL alone cannot say
  // On PostgreSQL (whose schema starts at kPgSchemaBase): its SQL and its step, instead.
  const char* pg_sql = nullptr;
  void (*pg_also)(Db&) = nullptr;
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {{1, kV1},
                                             {2, kV2},
                                             {3, kV3},
                                             {4, kV4},
                                             {5, kV5},
                                             {6, kV6, widen_lifecycle_checks},
                                             {7, kV7},
                                             {8, kV8, widen_extension_actions},
                                             {9, kV9},
                                             {10, kV10, widen_merge_and_roles},
                                             {11, kV11},
                                             {12, kV12, widen_notice_kinds},
                                             {13, kV13, nullptr, kPgV13, partition_by_month}};
  return all;
}

// Runs each statement; SpatiaLite's management functions report failure by returning 0
// rather than an SQL error, so a SELECT whose first value is 0 is a failure too.
void run_checked(Db& db, std::string_view sql) {
  while (true) {
    size_t start = sql.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return;
    sql.remove_prefix(start);
    if (sql.substr(0, 2) == "--") {
      size_t eol = sql.find('\n');
      if (eol == std::string_view::npos) return;
      sql.remove_prefix(eol + 1);
      continue;
    }
    std::string_view tail;
    Statement st(db, sql, &tail);
    bool row = st.step();
    if (row && st.columns() > 0 && !st.is_null(0) && st.int64(0) == 0 &&
        sql.substr(0, 6) == "SELECT")
      throw Error(ErrorKind::internal,
                  "migration step failed: " + std::string(sql.substr(0, sql.size() - tail.size())));
    while (row && st.step()) {
    }
    sql = tail;
  }
}

bool is_empty_database(Db& db) {
  Statement st(db, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
  st.step();
  return st.int64(0) == 0;
}

}  // namespace

bool migrate(Db& db, int target) {
  if (target <= 0 || target > kSchemaVersion) target = kSchemaVersion;
  int version = db.schema_version();
  if (version > kSchemaVersion && !has_table(db, "petitions"))
    throw Error(ErrorKind::unavailable,
                db.path() + " is an SQLite file but not a gridmap database");
  if (version > kSchemaVersion)
    throw Error(ErrorKind::unavailable, db.path() + " was written by a newer gridmap (schema " +
                                            std::to_string(version) + ")");
  if (version >= target) return false;
  if (version == 0 && !is_empty_database(db))
    throw Error(ErrorKind::unavailable,
                db.path() + " is an SQLite file but not a gridmap database");
  bool edited = false;
  for (const Migration& m : migrations()) {
    if (m.version <= version || m.version > target) continue;
    Transaction tx(db);
    if (db.postgresql()) {
      if (m.pg_sql) db.exec_native(m.pg_sql);
      if (m.pg_also) m.pg_also(db);
      db.exec_native("UPDATE gridmap_schema SET version = " + std::to_string(m.version));
      tx.commit();
      version = m.version;
      continue;
    }
    if (version == 0) run_checked(db, "SELECT InitSpatialMetadata(0)");
    run_checked(db, m.sql);
    if (m.also) {
      m.also(db);
      edited = true;
    }
    db.exec("PRAGMA user_version = " + std::to_string(m.version));
    tx.commit();
    version = m.version;
  }
  return edited;
}

std::vector<PendingMigration> pending_migrations(Db& db) {
  int version = db.schema_version();
  if (version > kSchemaVersion)
    throw Error(ErrorKind::unavailable, db.path() + " was written by a newer gridmap (schema " +
                                            std::to_string(version) + ")");
  std::vector<PendingMigration> out;
  for (const Migration& m : migrations()) {
    if (m.version <= version) continue;
    PendingMigration p{m.version, {}};
    // The head of each statement: "CREATE TABLE units", "ALTER TABLE users ADD COLUMN ...".
    std::string_view sql = m.sql;
    while (!sql.empty()) {
      size_t start = sql.find_first_not_of(" \t\r\n");
      if (start == std::string_view::npos) break;
      sql.remove_prefix(start);
      size_t end = sql.find(';');
      std::string_view stmt = sql.substr(0, end);
      sql.remove_prefix(end == std::string_view::npos ? sql.size() : end + 1);
      while (stmt.substr(0, 2) == "--") {  // comment lines before it
        size_t eol = stmt.find('\n');
        stmt = eol == std::string_view::npos ? std::string_view() : stmt.substr(eol + 1);
        stmt.remove_prefix(std::min(stmt.size(), stmt.find_first_not_of(" \t\r\n")));
      }
      if (stmt.empty()) continue;
      std::string head(stmt.substr(0, stmt.find_first_of("(\n")));
      while (!head.empty() && head.back() == ' ') head.pop_back();
      if (head.rfind("SELECT InitSpatialMetadata", 0) == 0) continue;
      p.changes.push_back(head);
    }
    if (m.also) p.changes.push_back("widen CHECK constraints of existing tables");
    if (m.pg_also && db.postgresql())
      p.changes.push_back("partition patrol_points and audit_log by month");
    out.push_back(std::move(p));
  }
  return out;
}

bool upgrade_backups_enabled() {
  const char* v = std::getenv("GRIDMAP_NO_UPGRADE_BACKUP");
  return !(v && (std::string_view(v) == "1" || std::string_view(v) == "true" ||
                 std::string_view(v) == "yes"));
}

}  // namespace gridmap::data
