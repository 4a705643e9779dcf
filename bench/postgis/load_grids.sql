-- Grids: MultiPolygons from the hex WKB written by gridmap_bench. The GiST index is built
-- (and timed) by pip_build.sql.
CREATE TABLE grids AS
SELECT id, ST_SetSRID(ST_GeomFromWKB(decode(wkb_hex, 'hex')), 4326)::geometry(MultiPolygon, 4326) AS geom
FROM grids_raw;
DROP TABLE grids_raw;
