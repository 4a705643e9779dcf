-- Bytes PostGIS keeps for the heat tiles: the petitions table and its GiST index.
SELECT pg_table_size('pets') + pg_relation_size('pets_geom_gist');
