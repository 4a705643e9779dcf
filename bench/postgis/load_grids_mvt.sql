-- mvt: the anchor's best reasonable setup for tiles: geometries already in EPSG:3857 (no
-- ST_Transform per tile), a GiST index on them, the attributes in the same row (no joins).
CREATE TABLE grids_mvt AS
  SELECT code, name, NULLIF(worker, '') AS worker, households,
         ST_Transform(ST_SetSRID(ST_GeomFromText(wkt), 4326), 3857) AS geom
  FROM grids_mvt_raw;
-- The same grids as tile servers such as pg_tileserv or Martin usually find them: stored in
-- EPSG:4326 with a GiST index there, transformed to EPSG:3857 per tile.
CREATE TABLE grids_mvt_4326 AS
  SELECT code, name, NULLIF(worker, '') AS worker, households,
         ST_SetSRID(ST_GeomFromText(wkt), 4326) AS geom
  FROM grids_mvt_raw;
DROP TABLE grids_mvt_raw;
CREATE INDEX grids_mvt_geom ON grids_mvt USING gist (geom);
VACUUM ANALYZE grids_mvt;
CREATE INDEX grids_mvt_4326_geom ON grids_mvt_4326 USING gist (geom);
VACUUM ANALYZE grids_mvt_4326;
