-- mvt: the anchor's best reasonable setup for tiles: geometries already in EPSG:3857 (no
-- ST_Transform per tile), a GiST index on them, the attributes in the same row (no joins).
CREATE TABLE grids_mvt AS
  SELECT code, name, NULLIF(worker, '') AS worker, households,
         ST_Transform(ST_SetSRID(ST_GeomFromText(wkt), 4326), 3857) AS geom
  FROM grids_mvt_raw;
DROP TABLE grids_mvt_raw;
CREATE INDEX grids_mvt_geom ON grids_mvt USING gist (geom);
VACUUM ANALYZE grids_mvt;
