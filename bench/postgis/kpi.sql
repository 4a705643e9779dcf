-- KPIs per grid over [:from, :to) in one query, with README's definitions (section "KPIs"):
-- cases due = deadline in the period, neither rejected nor withdrawn nor merged into another;
-- of them closed, closed by the deadline, reopened, extended, followed up (the latest follow-up that reached the
-- reporter) and satisfied, overdue at :now (open, clock running, deadline passed); working
-- hours from report to close on the calendar (kpi_days, kpi_periods), suspensions excluded,
-- their mean and p90 (nearest rank: percentile_disc). Working seconds before an instant t:
-- the working days before t's CST day times the working day's length (a running sum over
-- kpi_days), plus the working periods of t's day up to t. Run three times.
PREPARE kpi(bigint, bigint, bigint, bigint) AS
WITH cal AS (
  SELECT day, working,
         coalesce(sum(CASE WHEN working THEN $4 ELSE 0 END)
                    OVER (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM kpi_days),
due AS (
  SELECT * FROM kpi_petitions
  WHERE deadline_at >= $1 AND deadline_at < $2 AND status NOT IN ('rejected', 'withdrawn')
    AND merged_into IS NULL AND grid_code IS NOT NULL),
marks AS (  -- suspensions (starts) and resumptions of the closed cases due
  SELECT e.petition_id, e.at, e.to_status = 'suspended' AS starts,
         lead(e.at) OVER (PARTITION BY e.petition_id ORDER BY e.at, e.id) AS next_at
  FROM kpi_events e JOIN due d ON d.id = e.petition_id AND d.status = 'closed' AND d.closed_at IS NOT NULL
  WHERE e.to_status = 'suspended' OR e.from_status = 'suspended'),
spans AS (  -- report to close counts, each pause within it counts negatively
  SELECT id, created_at AS a, closed_at AS b, 1 AS sign FROM due
  WHERE status = 'closed' AND closed_at IS NOT NULL
  UNION ALL
  SELECT m.petition_id, greatest(m.at, d.created_at), least(coalesce(m.next_at, d.closed_at), d.closed_at), -1
  FROM marks m JOIN due d ON d.id = m.petition_id WHERE m.starts),
worked AS (
  SELECT s.id, s.sign * greatest(0,
           (cb.before + CASE WHEN cb.working THEN (SELECT sum(least(greatest((s.b + 28800) % 86400 - start_s, 0), end_s - start_s)) FROM kpi_periods) ELSE 0 END)
         - (ca.before + CASE WHEN ca.working THEN (SELECT sum(least(greatest((s.a + 28800) % 86400 - start_s, 0), end_s - start_s)) FROM kpi_periods) ELSE 0 END)) AS secs
  FROM spans s
  JOIN cal ca ON ca.day = (s.a + 28800) / 86400
  JOIN cal cb ON cb.day = (s.b + 28800) / 86400),
hours AS (SELECT id, sum(secs) AS secs FROM worked GROUP BY id),
fu AS (
  SELECT DISTINCT ON (petition_id) petition_id, satisfaction FROM kpi_followups
  WHERE reached = 1 ORDER BY petition_id, id DESC)
SELECT d.grid_code,
       count(*),
       count(*) FILTER (WHERE d.status = 'closed' AND d.closed_at IS NOT NULL),
       count(*) FILTER (WHERE d.status = 'closed' AND d.closed_at <= d.deadline_at),
       count(*) FILTER (WHERE d.reopened <> 0),
       count(*) FILTER (WHERE d.extensions > 0),
       count(fu.satisfaction),
       count(*) FILTER (WHERE fu.satisfaction <> 'unsatisfied'),
       count(*) FILTER (WHERE d.status NOT IN ('closed', 'rejected', 'withdrawn', 'suspended') AND d.deadline_at < $3),
       round(coalesce(avg(h.secs) / 3600.0, -1), 6),
       round(coalesce(percentile_disc(0.9) WITHIN GROUP (ORDER BY h.secs / 3600.0), -1), 6)
FROM due d LEFT JOIN hours h ON h.id = d.id LEFT JOIN fu ON fu.petition_id = d.id
GROUP BY d.grid_code ORDER BY d.grid_code;
\timing on
EXECUTE kpi(:from, :to, :now, :ds);
EXECUTE kpi(:from, :to, :now, :ds);
EXECUTE kpi(:from, :to, :now, :ds);
