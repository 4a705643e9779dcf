-- Batch point-in-grid: how many (point, grid) pairs intersect, three times (the best time
-- counts). ST_Intersects includes the boundary, so a point on an edge shared by n grids
-- counts n times.
\timing on
SELECT count(*) FROM pts JOIN grids ON ST_Intersects(grids.geom, pts.geom);
SELECT count(*) FROM pts JOIN grids ON ST_Intersects(grids.geom, pts.geom);
SELECT count(*) FROM pts JOIN grids ON ST_Intersects(grids.geom, pts.geom);
\timing off
