-- One heat tile's counts: the points in the tile's lon/lat box (GiST), snapped to 256 x 256
-- bins and counted per bin; prints "bins|points". Three runs, the best time counts.
-- Variables: x0 y0 x1 y1 (the tile's bounds), dx dy (a bin's size).
\timing on
SELECT count(*) || '|' || sum(n) FROM (
  SELECT count(*) AS n FROM pets WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)
  GROUP BY ST_SnapToGrid(geom, :x0, :y0, :dx, :dy)) bins;
SELECT count(*) || '|' || sum(n) FROM (
  SELECT count(*) AS n FROM pets WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)
  GROUP BY ST_SnapToGrid(geom, :x0, :y0, :dx, :dy)) bins;
SELECT count(*) || '|' || sum(n) FROM (
  SELECT count(*) AS n FROM pets WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)
  GROUP BY ST_SnapToGrid(geom, :x0, :y0, :dx, :dy)) bins;
\timing off
