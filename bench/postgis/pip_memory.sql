-- Bytes PostGIS keeps for point-in-grid: the grids table (with its TOAST) and its GiST index.
SELECT pg_table_size('grids') + pg_relation_size('grids_geom_gist');
