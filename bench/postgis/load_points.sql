-- Query points: all of them for point-in-grid (pts), the first :queries (10,000) for kNN (q).
CREATE TABLE pts AS
SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom FROM pts_raw;
CREATE INDEX pts_geom_gist ON pts USING gist (geom);
CREATE TABLE q AS SELECT * FROM pts WHERE id <= :queries;
DROP TABLE pts_raw;
VACUUM ANALYZE pts;
VACUUM ANALYZE q;
