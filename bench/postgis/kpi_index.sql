-- The indexes a PostgreSQL user would give the KPI query (as gridmap's schema has them).
CREATE INDEX kpi_petitions_deadline ON kpi_petitions (deadline_at);
CREATE INDEX kpi_events_petition ON kpi_events (petition_id, at);
CREATE INDEX kpi_followups_petition ON kpi_followups (petition_id, id);
VACUUM ANALYZE kpi_petitions;
VACUUM ANALYZE kpi_events;
VACUUM ANALYZE kpi_followups;
VACUUM ANALYZE kpi_days;
VACUUM ANALYZE kpi_periods;
