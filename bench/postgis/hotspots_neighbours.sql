-- Shared-border neighbours of the grids: pairs whose envelopes meet (GiST) and whose
-- boundaries share a line (ST_Relate '****1****', the same predicate as gridmap's; ST_Touches
-- would also take grids meeting at a corner). One timed run: it takes long.
\timing on
CREATE TABLE nb AS
SELECT a.id AS i, b.id AS j
FROM grids a JOIN grids b ON a.geom && b.geom AND a.id < b.id
WHERE ST_Relate(a.geom, b.geom, '****1****');
\timing off
SELECT count(*) FROM nb;
