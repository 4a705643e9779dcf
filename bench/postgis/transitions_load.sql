-- The petitions the transitions benchmark moves (ids 1..:count, all reported, version 1) and
-- their events table, shaped like gridmap's (bench/transitions_bench.cpp writes the moves).
DROP TABLE IF EXISTS bench_events;
DROP TABLE IF EXISTS bench_petitions;
CREATE TABLE bench_petitions (
  id bigint PRIMARY KEY,
  category text NOT NULL,
  status text NOT NULL,
  version bigint NOT NULL,
  updated_at bigint NOT NULL,
  geom geometry(Point, 4326) NOT NULL
);
CREATE TABLE bench_events (
  id bigserial PRIMARY KEY,
  petition_id bigint NOT NULL REFERENCES bench_petitions(id),
  at bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  from_status text,
  to_status text NOT NULL,
  note text NOT NULL
);
CREATE INDEX bench_events_petition ON bench_events(petition_id, at);
INSERT INTO bench_petitions
SELECT i, 'noise', 'reported', 1, 0, ST_SetSRID(ST_MakePoint(111.5 + (i % 1000) * 0.001, 40.7 + (i / 1000) * 0.001), 4326)
FROM generate_series(1, :count) i;
CREATE INDEX bench_petitions_geom ON bench_petitions USING gist(geom);
ANALYZE bench_petitions;
