-- The heat benchmark's petitions as PostGIS points, with their GiST index (built once and
-- timed: the anchor's index build time).
CREATE TABLE pets AS
SELECT id, category, kind, status, created_at,
       ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom
FROM pets_raw;
DROP TABLE pets_raw;
\timing on
CREATE INDEX pets_geom_gist ON pets USING gist (geom);
\timing off
VACUUM ANALYZE pets;
