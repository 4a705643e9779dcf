-- The anchor side's schema. The CSV files of the data set are COPYed as they are into the
-- *_raw tables; load_*.sql turn them into PostGIS geometries.
CREATE EXTENSION postgis;

CREATE TABLE grids_raw (id integer NOT NULL, wkb_hex text NOT NULL);
CREATE TABLE pts_raw (id integer NOT NULL, lon double precision NOT NULL, lat double precision NOT NULL);
CREATE TABLE workers_raw (
  id integer NOT NULL,
  lon double precision NOT NULL,
  lat double precision NOT NULL,
  on_duty boolean NOT NULL
);
-- mvt: the city preset's grids with the attributes of their tiles (gridmap_bench mvt_grids).
CREATE TABLE grids_mvt_raw (code text NOT NULL, name text NOT NULL, worker text NOT NULL,
                            households bigint NOT NULL, wkt text NOT NULL);

-- The heat benchmark's petitions (bench/run heat).
CREATE TABLE pets_raw (
  id integer NOT NULL,
  lon double precision NOT NULL,
  lat double precision NOT NULL,
  category smallint NOT NULL,
  kind smallint NOT NULL,
  status smallint NOT NULL,
  created_at bigint NOT NULL
);
