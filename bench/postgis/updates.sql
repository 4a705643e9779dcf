-- One new position for every worker: COPY into a temporary table (from psql's standard
-- input), then one UPDATE ... FROM, three times (the best time counts). Rounds alternate
-- between the new and the original positions, so every round really moves every worker;
-- VACUUM in between (untimed) so every round starts from a clean table.
CREATE TEMP TABLE upd_raw (id integer NOT NULL, lon double precision NOT NULL, lat double precision NOT NULL);
\copy upd_raw FROM pstdin WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE upd AS
SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom FROM upd_raw;
CREATE TEMP TABLE back AS SELECT id, geom FROM workers;
ANALYZE upd;
ANALYZE back;
\timing on
UPDATE workers w SET geom = u.geom FROM upd u WHERE w.id = u.id;
\timing off
VACUUM ANALYZE workers;
\timing on
UPDATE workers w SET geom = u.geom FROM back u WHERE w.id = u.id;
\timing off
VACUUM ANALYZE workers;
\timing on
UPDATE workers w SET geom = u.geom FROM upd u WHERE w.id = u.id;
\timing off
VACUUM ANALYZE workers;
