-- The kpi benchmark's rows in PostgreSQL: the petitions, their events and follow-ups as
-- gridmap stores them, and the working calendar as one row per China Standard Time day
-- (day = days since 1970-01-01) plus the working periods of a day (seconds after 00:00).
CREATE TABLE kpi_petitions (
  id bigint PRIMARY KEY,
  grid_code text,
  status text NOT NULL,
  created_at bigint NOT NULL,
  deadline_at bigint,
  closed_at bigint,
  reopened int NOT NULL,
  extensions int NOT NULL,
  merged_into bigint
);
CREATE TABLE kpi_events (
  id bigint PRIMARY KEY,
  petition_id bigint NOT NULL,
  at bigint NOT NULL,
  from_status text,
  to_status text NOT NULL
);
CREATE TABLE kpi_followups (
  id bigint PRIMARY KEY,
  petition_id bigint NOT NULL,
  reached int NOT NULL,
  satisfaction text
);
CREATE TABLE kpi_days (day bigint PRIMARY KEY, working boolean NOT NULL);
CREATE TABLE kpi_periods (start_s int NOT NULL, end_s int NOT NULL);
