-- The 5 nearest on-duty workers for each of the 10,000 query points, three times (the best
-- time counts). `<->` on geometry ranks by planar distance in degrees, through the GiST index.
\timing on
SELECT count(*) FROM q CROSS JOIN LATERAL (
  SELECT id FROM workers WHERE on_duty ORDER BY geom <-> q.geom LIMIT 5) w;
SELECT count(*) FROM q CROSS JOIN LATERAL (
  SELECT id FROM workers WHERE on_duty ORDER BY geom <-> q.geom LIMIT 5) w;
SELECT count(*) FROM q CROSS JOIN LATERAL (
  SELECT id FROM workers WHERE on_duty ORDER BY geom <-> q.geom LIMIT 5) w;
\timing off
