-- Workers with their on-duty flag; GiST on the position for kNN.
CREATE TABLE workers (
  id integer PRIMARY KEY,
  on_duty boolean NOT NULL,
  geom geometry(Point, 4326) NOT NULL
);
INSERT INTO workers SELECT id, on_duty, ST_SetSRID(ST_MakePoint(lon, lat), 4326) FROM workers_raw;
CREATE INDEX workers_geom_gist ON workers USING gist (geom);
DROP TABLE workers_raw;
VACUUM ANALYZE workers;
