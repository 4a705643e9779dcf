// The PostgreSQL engine's schema (PostGIS), equal to the SQLite schema at version 12
// (migrations.cpp says what the columns mean), with the SQLite functions our SQL calls and
// SQLite's rowid rules, so that most statements run on either engine as written.
#include "data/pg_schema.hpp"

namespace gridmap::data {

const char* const kPgSchema = R"SQL(
CREATE EXTENSION IF NOT EXISTS postgis;

-- ---- SQLite's and SpatiaLite's functions, as our statements call them ----

-- SQLite's 'now' holds for one statement; statement_timestamp() is PostgreSQL's equivalent
-- (now() would give every statement of a transaction its start).
CREATE FUNCTION unixepoch() RETURNS bigint
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN floor(extract(epoch FROM statement_timestamp()))::bigint;

CREATE FUNCTION instr(haystack text, needle text) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN strpos(haystack, needle);

-- group_concat: NULLs skipped, values joined in the order the rows come.
CREATE FUNCTION gridmap_concat(joined text, value text, separator text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN value IS NULL THEN joined
              WHEN joined IS NULL THEN value
              ELSE joined || separator || value END;
CREATE FUNCTION gridmap_concat(joined text, value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN gridmap_concat(joined, value, ',');
CREATE AGGREGATE group_concat(text, text) (SFUNC = gridmap_concat, STYPE = text);
CREATE AGGREGATE group_concat(text) (SFUNC = gridmap_concat, STYPE = text);

-- printf: the conversions our SQL uses (%s %d %i %f with flags - + 0, width, precision; %%).
-- As in SQLite, a missing or NULL argument prints as 0 or ''.
CREATE FUNCTION printf(format text, VARIADIC arguments anycompatiblearray) RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  result text := '';
  rest text := format;
  pos integer;
  spec text[];  -- whole, flags, width, precision, conversion
  n integer := 0;
  piece text;
  number numeric;
BEGIN
  LOOP
    pos := strpos(rest, '%');
    IF pos = 0 THEN
      RETURN result || rest;
    END IF;
    result := result || left(rest, pos - 1);
    rest := substr(rest, pos);
    spec := regexp_match(rest, '^(%([-+ 0]*)([0-9]*)(?:\.([0-9]+))?([%sdif]))');
    IF spec IS NULL THEN
      RAISE EXCEPTION 'printf: % is not a conversion gridmap supports', rest
        USING ERRCODE = 'feature_not_supported';
    END IF;
    rest := substr(rest, length(spec[1]) + 1);
    IF spec[5] = '%' THEN
      result := result || '%';
      CONTINUE;
    END IF;
    n := n + 1;
    IF spec[5] = 's' THEN
      piece := coalesce(arguments[n]::text, '');
      IF spec[4] IS NOT NULL THEN
        piece := left(piece, spec[4]::integer);
      END IF;
    ELSE
      number := coalesce(arguments[n]::text::numeric, 0);
      IF spec[5] = 'f' THEN
        piece := round(number, coalesce(spec[4]::integer, 6))::text;
      ELSE
        piece := trunc(number)::text;
      END IF;
      IF number >= 0 AND strpos(spec[2], '+') > 0 THEN
        piece := '+' || piece;
      ELSIF number >= 0 AND strpos(spec[2], ' ') > 0 THEN
        piece := ' ' || piece;
      END IF;
      IF strpos(spec[2], '0') > 0 AND strpos(spec[2], '-') = 0 AND spec[3] <> ''
          AND length(piece) < spec[3]::integer THEN
        piece := CASE WHEN left(piece, 1) IN ('-', '+', ' ')
                      THEN left(piece, 1) || lpad(substr(piece, 2), spec[3]::integer - 1, '0')
                      ELSE lpad(piece, spec[3]::integer, '0') END;
      END IF;
    END IF;
    IF spec[3] <> '' AND length(piece) < spec[3]::integer THEN
      piece := CASE WHEN strpos(spec[2], '-') > 0 THEN rpad(piece, spec[3]::integer)
                    ELSE lpad(piece, spec[3]::integer) END;
    END IF;
    result := result || piece;
  END LOOP;
END $$;

-- json_each over JSON text, as SQLite's: `SELECT value FROM json_each(?)` gives an array's
-- elements (or an object's members, or a scalar itself) as text, strings unquoted. Only
-- text arguments come here; PostgreSQL's own json_each(json) keeps its json values.
CREATE FUNCTION json_each(document text) RETURNS TABLE (key text, value text, type text)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT e.key,
         CASE json_typeof(e.v)
           WHEN 'string' THEN e.v #>> '{}'
           WHEN 'null' THEN NULL
           WHEN 'boolean' THEN CASE WHEN e.v::text = 'true' THEN '1' ELSE '0' END
           ELSE e.v::text END,
         CASE json_typeof(e.v)
           WHEN 'string' THEN 'text'
           WHEN 'boolean' THEN e.v::text
           WHEN 'number' THEN CASE WHEN e.v::text ~ '^-?[0-9]+$' THEN 'integer' ELSE 'real' END
           ELSE json_typeof(e.v) END
  FROM (SELECT (a.i - 1)::text, a.v
          FROM json_array_elements(CASE WHEN json_typeof(document::json) = 'array'
                                        THEN document::json ELSE '[]' END)
               WITH ORDINALITY AS a(v, i)
        UNION ALL
        SELECT o.key, o.value
          FROM pg_catalog.json_each(CASE WHEN json_typeof(document::json) = 'object'
                                         THEN document::json ELSE '{}' END) AS o
        UNION ALL
        SELECT NULL, document::json
         WHERE json_typeof(document::json) NOT IN ('array', 'object')) AS e(key, v);
END;

-- SpatiaLite's X() and Y() give NULL for what is not a point.
CREATE FUNCTION x(geom geometry) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN GeometryType(geom) = 'POINT' THEN ST_X(geom) END;
CREATE FUNCTION y(geom geometry) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN GeometryType(geom) = 'POINT' THEN ST_Y(geom) END;

CREATE FUNCTION makepoint(x double precision, y double precision, srid integer DEFAULT 0)
  RETURNS geometry
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ST_SetSRID(ST_MakePoint(x, y), srid);

-- BuildMbr takes any two opposite corners.
CREATE FUNCTION buildmbr(x1 double precision, y1 double precision,
                         x2 double precision, y2 double precision, srid integer DEFAULT 0)
  RETURNS geometry
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ST_MakeEnvelope(least(x1, x2), least(y1, y2), greatest(x1, x2), greatest(y1, y2), srid);

CREATE FUNCTION mbrminx(geom geometry) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ST_XMin(geom);
CREATE FUNCTION mbrminy(geom geometry) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ST_YMin(geom);
CREATE FUNCTION mbrmaxx(geom geometry) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ST_XMax(geom);
CREATE FUNCTION mbrmaxy(geom geometry) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ST_YMax(geom);

CREATE FUNCTION asbinary(geom geometry) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ST_AsBinary(geom);

CREATE FUNCTION geomfromwkb(wkb bytea, srid integer DEFAULT 0) RETURNS geometry
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ST_GeomFromWKB(wkb, srid);
CREATE FUNCTION geomfromtext(wkt text, srid integer DEFAULT 0) RETURNS geometry
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ST_GeomFromText(wkt, srid);

-- SpatiaLite's defaults: 15 decimals, no bounding box, no CRS (its option bits are PostGIS's).
CREATE FUNCTION asgeojson(geom geometry, decimals integer DEFAULT 15, options integer DEFAULT 0)
  RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ST_AsGeoJSON(geom, decimals, options);

CREATE FUNCTION simplifypreservetopology(geom geometry, tolerance double precision)
  RETURNS geometry
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN ST_SimplifyPreserveTopology(geom, tolerance);

-- ---- SQLite's rowid rules ----

-- An `id INTEGER PRIMARY KEY` inserted without an id takes max(id) + 1, so that the id of
-- the last row comes back once that row is deleted, as in SQLite. Safe because writers
-- hold the advisory write lock (db.cpp).
CREATE FUNCTION gridmap_rowid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS NULL THEN
    EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME)
      INTO NEW.id;
  END IF;
  RETURN NEW;
END $$;

-- AUTOINCREMENT: ids are never reused; the highest one given is kept here (sqlite_sequence).
-- Bumped before the row is written: as in SQLite, an insert that is then ignored uses its id.
CREATE TABLE gridmap_autoincrement (
  name text COLLATE "C" PRIMARY KEY,
  seq bigint NOT NULL
);
CREATE FUNCTION gridmap_autoincrement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS NULL THEN
    EXECUTE format('SELECT greatest(coalesce(max(id), 0), $1) + 1 FROM %I.%I',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME)
      INTO NEW.id
      USING coalesce((SELECT seq FROM gridmap_autoincrement WHERE name = TG_TABLE_NAME), 0);
  END IF;
  INSERT INTO gridmap_autoincrement(name, seq) VALUES (TG_TABLE_NAME, NEW.id)
    ON CONFLICT (name) DO UPDATE SET seq = greatest(gridmap_autoincrement.seq, excluded.seq);
  RETURN NEW;
END $$;

-- last_insert_rowid(): the id of the last row a statement of this session inserted, read by
-- the engine from gridmap.last_id. After the insert (an ignored row sets nothing), and not
-- for rows that triggers insert, as in SQLite.
CREATE FUNCTION gridmap_last_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() = 1 THEN
    PERFORM set_config('gridmap.last_id', NEW.id::text, false);
  END IF;
  RETURN NULL;
END $$;

-- A row of these tables takes its attachments with it (attachments.owner_id has no FK).
CREATE FUNCTION gridmap_attachments_of() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM attachments WHERE owner_kind = TG_ARGV[0] AND owner_id = OLD.id;
  RETURN NULL;
END $$;

-- RAISE(ABORT, ...) of SQLite: a constraint error (SQLSTATE class 23, a conflict).
CREATE FUNCTION gridmap_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;

-- ---- The tables, in the order their references need ----
-- Text is compared as SQLite compares it (bytes, COLLATE "C"), whatever the database's
-- locale. Columns keep SQLite's order (SELECT * reads them by position).

CREATE TABLE gridmap_schema (version integer NOT NULL);
INSERT INTO gridmap_schema VALUES (12);

-- The change feed of several servers on one database (data/change_log.hpp): a row per change
-- notice, written in the transaction of the change, in commit order (seq is taken under the
-- writers' lock); kept an hour. Not copied by `gridmap migrate`.
CREATE TABLE gridmap_change_log (
  seq bigint PRIMARY KEY,
  at bigint NOT NULL,
  origin text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  detail text
);

-- Sign-in throttle of every server (server/handlers/session.cpp): the times of attempts per
-- key, kept for the throttle's window.
CREATE TABLE gridmap_throttle (
  key text COLLATE "C" NOT NULL,
  at bigint NOT NULL
);
CREATE INDEX gridmap_throttle_key ON gridmap_throttle (key, at);

CREATE TABLE subdistricts (
  code text COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(code) > 0),
  name text COLLATE "C" NOT NULL,
  updated_at bigint NOT NULL DEFAULT unixepoch(),
  geom geometry(MultiPolygon, 4326) NOT NULL,
  version bigint NOT NULL DEFAULT 1
);
CREATE INDEX subdistricts_geom_gist ON subdistricts USING gist (geom);

CREATE TABLE communities (
  code text COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(code) > 0),
  name text COLLATE "C" NOT NULL,
  subdistrict_code text COLLATE "C"
    REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at bigint NOT NULL DEFAULT unixepoch(),
  geom geometry(MultiPolygon, 4326) NOT NULL,
  version bigint NOT NULL DEFAULT 1
);
CREATE INDEX communities_subdistrict ON communities(subdistrict_code);
CREATE INDEX communities_geom_gist ON communities USING gist (geom);

CREATE TABLE grids (
  code text COLLATE "C" PRIMARY KEY NOT NULL CHECK (length(code) > 0),
  name text COLLATE "C" NOT NULL,
  community_code text COLLATE "C"
    REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at bigint NOT NULL DEFAULT unixepoch(),
  geom geometry(MultiPolygon, 4326) NOT NULL,
  version bigint NOT NULL DEFAULT 1
);
CREATE INDEX grids_community ON grids(community_code);
CREATE INDEX grids_geom_gist ON grids USING gist (geom);

CREATE TABLE workers (
  id bigint PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  phone text COLLATE "C",
  on_duty bigint NOT NULL DEFAULT 0 CHECK (on_duty IN (0, 1)),
  position_at bigint,
  updated_at bigint NOT NULL DEFAULT unixepoch(),
  geom geometry(Point, 4326),
  version bigint NOT NULL DEFAULT 1,
  patrol bigint NOT NULL DEFAULT 0
);
CREATE INDEX workers_geom_gist ON workers USING gist (geom);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON workers
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON workers
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

CREATE TABLE worker_grids (
  worker_id bigint NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
  grid_code text COLLATE "C" NOT NULL
    REFERENCES grids(code) ON UPDATE CASCADE ON DELETE CASCADE,
  PRIMARY KEY (worker_id, grid_code)
);
CREATE INDEX worker_grids_grid ON worker_grids(grid_code);

-- The register (一标三实): buildings come before the households that refer to them.
CREATE TABLE buildings (
  id bigint PRIMARY KEY,
  subdistrict_code text COLLATE "C"
    REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  community_code text COLLATE "C"
    REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  grid_code text COLLATE "C" REFERENCES grids(code) ON UPDATE CASCADE ON DELETE SET NULL,
  road text COLLATE "C" NOT NULL DEFAULT '',
  number text COLLATE "C" NOT NULL DEFAULT '',
  compound text COLLATE "C" NOT NULL DEFAULT '',
  name text COLLATE "C" NOT NULL DEFAULT '',
  geom geometry(Point, 4326),
  footprint geometry(MultiPolygon, 4326)
);
CREATE UNIQUE INDEX buildings_address
  ON buildings((coalesce(community_code, '')), road, number, compound, name);
CREATE INDEX buildings_grid ON buildings(grid_code);
CREATE INDEX buildings_geom_gist ON buildings USING gist (geom);  -- footprint: none, as SQLite
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON buildings
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON buildings
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

CREATE TABLE households (
  id bigint PRIMARY KEY,
  address text COLLATE "C" NOT NULL DEFAULT '',
  grid_code text COLLATE "C" REFERENCES grids(code) ON UPDATE CASCADE ON DELETE SET NULL,
  community_code text COLLATE "C"
    REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  subdistrict_code text COLLATE "C"
    REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at bigint NOT NULL DEFAULT unixepoch(),
  geom geometry(Point, 4326) NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  building_id bigint REFERENCES buildings(id) ON DELETE SET NULL,
  unit text COLLATE "C" NOT NULL DEFAULT '',
  room text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX households_grid ON households(grid_code);
CREATE INDEX households_building ON households(building_id, unit, room);
CREATE INDEX households_geom_gist ON households USING gist (geom);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON households
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON households
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- Personal data lives here only; nothing public joins this table.
CREATE TABLE residents (
  id bigint PRIMARY KEY,
  household_id bigint NOT NULL REFERENCES households(id) ON DELETE CASCADE,
  name text COLLATE "C" NOT NULL,
  phone text COLLATE "C",
  id_number text COLLATE "C",
  notes text COLLATE "C",
  relation text COLLATE "C" NOT NULL DEFAULT 'other' CHECK (relation IN
    ('head', 'spouse', 'child', 'parent', 'grandchild', 'grandparent', 'sibling', 'other')),
  gender text COLLATE "C" CHECK (gender IN ('male', 'female')),
  birth_date text COLLATE "C",
  status text COLLATE "C" NOT NULL DEFAULT 'present' CHECK (status IN
    ('present', 'moved_out', 'deceased')),
  status_at bigint,
  updated_at bigint
);
CREATE INDEX residents_household ON residents(household_id);
CREATE INDEX residents_id_number ON residents(id_number) WHERE id_number IS NOT NULL;
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON residents
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON residents
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

CREATE TABLE resident_tags (
  resident_id bigint NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
  tag text COLLATE "C" NOT NULL CHECK (tag IN ('lonely_elderly', 'disabled', 'low_income',
    'special_care', 'left_behind_child', 'key_person')),
  set_by text COLLATE "C" NOT NULL,
  set_at bigint NOT NULL,
  PRIMARY KEY (resident_id, tag)
);
CREATE INDEX resident_tags_tag ON resident_tags(tag);

-- Units (实有单位); SQLite gave their geometry no spatial index.
CREATE TABLE units (
  id bigint PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  kind text COLLATE "C" NOT NULL DEFAULT 'company'
    CHECK (kind IN ('shop', 'company', 'organisation', 'school', 'other')),
  credit_code text COLLATE "C",
  contact_name text COLLATE "C",
  contact_phone text COLLATE "C",
  building_id bigint REFERENCES buildings(id) ON DELETE SET NULL,
  address text COLLATE "C" NOT NULL DEFAULT '',
  grid_code text COLLATE "C" REFERENCES grids(code) ON UPDATE CASCADE ON DELETE SET NULL,
  community_code text COLLATE "C"
    REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  subdistrict_code text COLLATE "C"
    REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at bigint NOT NULL DEFAULT unixepoch(),
  geom geometry(Point, 4326)
);
CREATE INDEX units_grid ON units(grid_code);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON units
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON units
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- The category catalogue in two levels, with working-time deadlines (data/catalogue.hpp).
CREATE TABLE categories (
  code text COLLATE "C" PRIMARY KEY NOT NULL,
  name text COLLATE "C" NOT NULL,
  deadline_hours bigint NOT NULL CHECK (deadline_hours > 0),
  name_en text COLLATE "C" NOT NULL DEFAULT '',
  parent text COLLATE "C" REFERENCES categories(code) ON UPDATE CASCADE,
  level text COLLATE "C" NOT NULL DEFAULT 'grid' CHECK (level IN
    ('grid', 'community', 'subdistrict', 'department')),
  deadline bigint NOT NULL DEFAULT 72 CHECK (deadline > 0),
  deadline_unit text COLLATE "C" NOT NULL DEFAULT 'working_hours' CHECK
    (deadline_unit IN ('working_hours', 'working_days')),
  on_site_close bigint NOT NULL DEFAULT 1,
  photos_to_close bigint NOT NULL DEFAULT 0
);
CREATE INDEX categories_parent ON categories(parent);

-- Departments (职能部门), their users and which category they handle where.
CREATE TABLE departments (
  id bigint PRIMARY KEY,
  code text COLLATE "C" NOT NULL UNIQUE,
  name text COLLATE "C" NOT NULL
);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON departments
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON departments
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- Which department handles a category in a subdistrict ('' = every subdistrict).
CREATE TABLE department_routes (
  category text COLLATE "C" NOT NULL
    REFERENCES categories(code) ON UPDATE CASCADE ON DELETE CASCADE,
  subdistrict_code text COLLATE "C" NOT NULL DEFAULT '',
  department_id bigint NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
  PRIMARY KEY (category, subdistrict_code)
);

-- Cases (诉求 and 事件) through their whole lifecycle (data/lifecycle.hpp).
CREATE TABLE petitions (
  id bigint PRIMARY KEY,
  kind text COLLATE "C" NOT NULL CHECK (kind IN ('appeal', 'incident')),
  category text COLLATE "C" NOT NULL,
  description text COLLATE "C" NOT NULL DEFAULT '',
  reporter_contact text COLLATE "C",
  status text COLLATE "C" NOT NULL CHECK (status IN
    ('reported', 'dispatched', 'in_progress', 'pending_review', 'closed', 'registered',
     'rejected', 'verified', 'suspended', 'withdrawn')),
  handler_level text COLLATE "C" NOT NULL DEFAULT 'grid' CHECK (handler_level IN
    ('grid', 'community', 'subdistrict', 'department')),
  handler_worker_id bigint REFERENCES workers(id) ON DELETE SET NULL,
  reported_by text COLLATE "C",
  created_at bigint NOT NULL,
  deadline_at bigint,
  closed_at bigint,
  reopened bigint NOT NULL DEFAULT 0,
  grid_code text COLLATE "C" REFERENCES grids(code) ON UPDATE CASCADE ON DELETE SET NULL,
  community_code text COLLATE "C"
    REFERENCES communities(code) ON UPDATE CASCADE ON DELETE SET NULL,
  subdistrict_code text COLLATE "C"
    REFERENCES subdistricts(code) ON UPDATE CASCADE ON DELETE SET NULL,
  updated_at bigint NOT NULL DEFAULT unixepoch(),
  geom geometry(Point, 4326) NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  suspended_from text COLLATE "C",
  suspended_at bigint,
  supervised bigint NOT NULL DEFAULT 0,
  supervise_note text COLLATE "C" NOT NULL DEFAULT '',
  extension_until bigint,
  extension_reason text COLLATE "C" NOT NULL DEFAULT '',
  extension_by text COLLATE "C",
  extensions bigint NOT NULL DEFAULT 0,
  department_id bigint REFERENCES departments(id),
  merged_into bigint REFERENCES petitions(id),
  merged_from text COLLATE "C"
);
CREATE INDEX petitions_created ON petitions(created_at);
CREATE INDEX petitions_grid ON petitions(grid_code, created_at);
CREATE INDEX petitions_status ON petitions(status);
CREATE INDEX petitions_merged_into ON petitions(merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX petitions_department ON petitions(department_id) WHERE department_id IS NOT NULL;
CREATE INDEX petitions_geom_gist ON petitions USING gist (geom);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON petitions
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON petitions
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();
CREATE TRIGGER attachments_of_petition AFTER DELETE ON petitions
  FOR EACH ROW EXECUTE FUNCTION gridmap_attachments_of('petition');

CREATE TABLE petition_events (
  id bigint PRIMARY KEY,
  petition_id bigint NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
  at bigint NOT NULL,
  actor text COLLATE "C" NOT NULL,
  action text COLLATE "C" NOT NULL CHECK (action IN ('report', 'transition', 'escalate',
    'reassign', 'supervise', 'request_extension', 'approve_extension', 'refuse_extension',
    'merge', 'unmerge', 'progress')),
  from_status text COLLATE "C",
  to_status text COLLATE "C" NOT NULL,
  handler_level text COLLATE "C",
  note text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX petition_events_petition ON petition_events(petition_id, at);
-- The 挂起/恢复 events alone, for the working time of the KPIs (data/stats.cpp).
CREATE INDEX petition_events_pauses ON petition_events(petition_id, at)
  WHERE to_status = 'suspended' OR from_status = 'suspended';
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON petition_events
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON petition_events
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- The reporter's follow-up (回访) after a case closes.
CREATE TABLE petition_followups (
  id bigint PRIMARY KEY,
  petition_id bigint NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
  at bigint NOT NULL,
  actor text COLLATE "C" NOT NULL,
  reached bigint NOT NULL CHECK (reached IN (0, 1)),
  satisfaction text COLLATE "C"
    CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
  note text COLLATE "C" NOT NULL DEFAULT '',
  reopened bigint NOT NULL DEFAULT 0 CHECK (reopened IN (0, 1)),
  CHECK (reached = 1 OR satisfaction IS NULL)
);
CREATE INDEX petition_followups_petition ON petition_followups(petition_id, at);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON petition_followups
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON petition_followups
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- The possible duplicates found when a case was reported (same category, 250 m, 7 days).
CREATE TABLE petition_duplicates (
  petition_id bigint NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
  other_id bigint NOT NULL REFERENCES petitions(id) ON DELETE CASCADE,
  distance_m double precision NOT NULL,
  PRIMARY KEY (petition_id, other_id)
);
CREATE INDEX petition_duplicates_other ON petition_duplicates(other_id);

-- Field work: visits with their place and the answers of the 入户走访 form.
CREATE TABLE visits (
  id bigint PRIMARY KEY,
  worker_id bigint NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
  household_id bigint NOT NULL REFERENCES households(id) ON DELETE CASCADE,
  at bigint NOT NULL,
  note text COLLATE "C" NOT NULL DEFAULT '',
  lon double precision,
  lat double precision,
  distance_m double precision,
  off_site_reason text COLLATE "C",
  duration_min bigint,
  recorded_at bigint,
  petition_id bigint REFERENCES petitions(id) ON DELETE SET NULL
);
CREATE INDEX visits_household ON visits(household_id, at);
CREATE INDEX visits_worker ON visits(worker_id, at);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON visits
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON visits
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();
CREATE TRIGGER attachments_of_visit AFTER DELETE ON visits
  FOR EACH ROW EXECUTE FUNCTION gridmap_attachments_of('visit');

-- One row per value (a multiple choice has several).
CREATE TABLE visit_answers (
  visit_id bigint NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
  field text COLLATE "C" NOT NULL,
  position bigint NOT NULL,
  value text COLLATE "C" NOT NULL,
  PRIMARY KEY (visit_id, field, position)
);

-- The 入户走访 form: the city's fields (scope '') unless a subdistrict has its own.
CREATE TABLE visit_form_fields (
  scope text COLLATE "C" NOT NULL,
  position bigint NOT NULL,
  key text COLLATE "C" NOT NULL,
  label text COLLATE "C" NOT NULL,
  type text COLLATE "C" NOT NULL
    CHECK (type IN ('integer', 'text', 'flag', 'choice', 'choices')),
  options text COLLATE "C" NOT NULL DEFAULT '',
  required bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, key)
);
INSERT INTO visit_form_fields(scope, position, key, label, type, options, required) VALUES
  ('', 1, 'residents_met', '见到的居民人数', 'integer', '', 0),
  ('', 2, 'needs', '反映的诉求', 'text', '', 0),
  ('', 3, 'risk_flags', '风险隐患', 'choices',
   '独居老人无人照料' || chr(10) || '矛盾纠纷' || chr(10) || '安全隐患' || chr(10) ||
   '群租' || chr(10) || '精神障碍' || chr(10) || '其他', 0),
  ('', 4, 'services', '提供的服务', 'choices',
   '政策宣传' || chr(10) || '代办事项' || chr(10) || '帮扶慰问' || chr(10) ||
   '调解' || chr(10) || '信息采集' || chr(10) || '其他', 0),
  ('', 5, 'household_present', '家中有人', 'flag', '', 0);

-- The work log: entries through the day; each edit keeps the text it replaced.
CREATE TABLE work_log_entries (
  id bigint PRIMARY KEY,
  worker_id bigint NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
  day text COLLATE "C" NOT NULL,
  at bigint NOT NULL,
  text text COLLATE "C" NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  created_at bigint NOT NULL,
  created_by text COLLATE "C" NOT NULL,
  edited_at bigint,
  edited_by text COLLATE "C"
);
CREATE INDEX work_log_entries_worker ON work_log_entries(worker_id, day);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON work_log_entries
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON work_log_entries
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();
CREATE TRIGGER attachments_of_worklog AFTER DELETE ON work_log_entries
  FOR EACH ROW EXECUTE FUNCTION gridmap_attachments_of('worklog');

CREATE TABLE work_log_versions (
  entry_id bigint NOT NULL REFERENCES work_log_entries(id) ON DELETE CASCADE,
  version bigint NOT NULL,
  text text COLLATE "C" NOT NULL,
  written_at bigint NOT NULL,
  written_by text COLLATE "C" NOT NULL,
  PRIMARY KEY (entry_id, version)
);

-- Patrol tracks (巡查轨迹), kept for the retention period only (data/patrols.hpp).
CREATE TABLE patrol_points (
  worker_id bigint NOT NULL REFERENCES workers(id) ON DELETE CASCADE,
  at bigint NOT NULL,
  lon double precision NOT NULL,
  lat double precision NOT NULL,
  PRIMARY KEY (worker_id, at)
);
CREATE INDEX patrol_points_at ON patrol_points(at);

-- Users, their grids, API tokens and sessions (stored only as hashes).
CREATE TABLE users (
  id bigint PRIMARY KEY,
  name text COLLATE "C" NOT NULL UNIQUE,
  role text COLLATE "C" NOT NULL CHECK (role IN ('admin', 'dispatcher', 'worker', 'planner',
    'community', 'subdistrict', 'department')),
  password_hash text COLLATE "C",
  worker_id bigint REFERENCES workers(id) ON DELETE SET NULL,
  disabled bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL DEFAULT unixepoch(),
  area_code text COLLATE "C",
  department_id bigint REFERENCES departments(id)
);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON users
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

CREATE TABLE user_grids (
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  grid_code text COLLATE "C" NOT NULL
    REFERENCES grids(code) ON UPDATE CASCADE ON DELETE CASCADE,
  PRIMARY KEY (user_id, grid_code)
);

CREATE TABLE department_users (
  department_id bigint NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (department_id, user_id)
);

CREATE TABLE tokens (
  id bigint PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  hash text COLLATE "C" NOT NULL UNIQUE,
  kind text COLLATE "C" NOT NULL CHECK (kind IN ('api', 'session')),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  revoked_at bigint
);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON tokens
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON tokens
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- Append-only; each row's hash covers the previous row's hash (see data/audit). TRUNCATE,
-- which SQLite lacks, is refused too.
CREATE TABLE audit_log (
  id bigint PRIMARY KEY,
  at bigint NOT NULL,
  actor text COLLATE "C" NOT NULL,
  action text COLLATE "C" NOT NULL,
  subject text COLLATE "C" NOT NULL,
  detail text COLLATE "C" NOT NULL DEFAULT '',
  prev_hash text COLLATE "C" NOT NULL,
  hash text COLLATE "C" NOT NULL,
  keyed bigint NOT NULL DEFAULT 0
);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION gridmap_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION gridmap_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION gridmap_append_only();

-- The working calendar as its CSV text (one row); none: the built-in calendar of China.
CREATE TABLE work_calendar (
  id bigint PRIMARY KEY CHECK (id = 1),
  csv text COLLATE "C" NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON work_calendar
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON work_calendar
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- Notifications (data/notifications.hpp). AUTOINCREMENT: an id is the stream's event id and
-- the webhooks' idempotency key, never reused after pruning. The petition's state is copied
-- in: scope checks and payloads need no join, and nothing personal is kept.
CREATE TABLE notifications (
  id bigint PRIMARY KEY,
  at bigint NOT NULL,
  kind text COLLATE "C" NOT NULL CHECK (kind IN ('new_case', 'dispatched', 'deadline_soon',
    'overdue', 'escalated', 'reopened', 'moved')),
  petition_id bigint NOT NULL,
  event_id bigint,
  status text COLLATE "C" NOT NULL,
  category text COLLATE "C" NOT NULL,
  grid_code text COLLATE "C",
  community_code text COLLATE "C",
  subdistrict_code text COLLATE "C",
  handler_level text COLLATE "C" NOT NULL,
  handler_worker_id bigint,
  department_id bigint,
  reported_by text COLLATE "C",
  deadline_at bigint
);
CREATE INDEX notifications_at ON notifications(at);
-- A time-driven notice is written once per case, kind and deadline.
CREATE UNIQUE INDEX notifications_due ON notifications(petition_id, kind, deadline_at)
  WHERE event_id IS NULL;
CREATE TRIGGER gridmap_autoincrement BEFORE INSERT ON notifications
  FOR EACH ROW EXECUTE FUNCTION gridmap_autoincrement();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON notifications
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- The last petition_events row turned into notifications.
CREATE TABLE notification_cursor (
  id bigint PRIMARY KEY CHECK (id = 1),
  event_id bigint NOT NULL
);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON notification_cursor
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON notification_cursor
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

CREATE TABLE webhooks (
  id bigint PRIMARY KEY,
  url text COLLATE "C" NOT NULL,
  secret text COLLATE "C" NOT NULL,
  subdistrict_code text COLLATE "C",
  department_id bigint REFERENCES departments(id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  created_by text COLLATE "C" NOT NULL,
  CHECK ((subdistrict_code IS NULL) <> (department_id IS NULL))
);
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON webhooks
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON webhooks
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- One row per notification a webhook is to receive, sent in id order per webhook.
CREATE TABLE webhook_deliveries (
  webhook_id bigint NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  notification_id bigint NOT NULL,
  created_at bigint NOT NULL,
  attempts bigint NOT NULL DEFAULT 0,
  status_code bigint,
  error text COLLATE "C" NOT NULL DEFAULT '',
  next_attempt_ms bigint NOT NULL,
  delivered_at bigint,
  PRIMARY KEY (webhook_id, notification_id)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(webhook_id, notification_id)
  WHERE delivered_at IS NULL;

-- Photos and documents of cases, visits and work-log entries; the files themselves are
-- content-addressed outside the database (data/blob_store.hpp).
CREATE TABLE attachments (
  id bigint PRIMARY KEY,
  owner_kind text COLLATE "C" NOT NULL CHECK (owner_kind IN ('petition', 'visit', 'worklog')),
  owner_id bigint NOT NULL,
  stage text COLLATE "C" NOT NULL
    CHECK (stage IN ('report', 'before', 'progress', 'after', 'record')),
  sha256 text COLLATE "C" NOT NULL,
  thumb_sha256 text COLLATE "C",
  content_type text COLLATE "C" NOT NULL,
  original_type text COLLATE "C" NOT NULL,
  bytes bigint NOT NULL,
  width bigint NOT NULL DEFAULT 0,
  height bigint NOT NULL DEFAULT 0,
  taken_at bigint,
  taken_lon double precision,
  taken_lat double precision,
  taken_distance_m double precision,
  file_name text COLLATE "C" NOT NULL DEFAULT '',
  uploaded_by text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX attachments_owner ON attachments(owner_kind, owner_id);
CREATE INDEX attachments_sha ON attachments(sha256);
CREATE INDEX attachments_thumb ON attachments(thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
CREATE TRIGGER gridmap_rowid BEFORE INSERT ON attachments
  FOR EACH ROW EXECUTE FUNCTION gridmap_rowid();
CREATE TRIGGER gridmap_last_id AFTER INSERT ON attachments
  FOR EACH ROW EXECUTE FUNCTION gridmap_last_id();

-- Idempotency keys: the first answer to a write named by a client's key, kept a day.
CREATE TABLE idempotency_keys (
  user_id bigint NOT NULL,
  key text COLLATE "C" NOT NULL,
  fingerprint text COLLATE "C" NOT NULL,
  status bigint,
  content_type text COLLATE "C",
  headers text COLLATE "C",
  body bytea,
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
)SQL";

}  // namespace gridmap::data
