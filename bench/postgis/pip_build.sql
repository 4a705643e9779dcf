-- The spatial index on the grids, built three times (the best time counts).
\timing on
CREATE INDEX grids_geom_gist ON grids USING gist (geom);
\timing off
DROP INDEX grids_geom_gist;
\timing on
CREATE INDEX grids_geom_gist ON grids USING gist (geom);
\timing off
DROP INDEX grids_geom_gist;
\timing on
CREATE INDEX grids_geom_gist ON grids USING gist (geom);
\timing off
VACUUM ANALYZE grids;
