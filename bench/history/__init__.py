"""The history scenario: 90 days of check history for 1,000 monitors at 60 s (about 130
million results), written straight into the rollups, then what it costs to keep and read.

    python -m bench history --db postgres          1,000 monitors × 90 days
    python -m bench history --db both --quick      50 monitors × 10 days (a smoke run)

In order, on one fresh database (like every scenario):

1.  1,000 HTTP monitors at 60 s (bulk_create), parked (due in a year) until step 8.
2.  Verification: a probe monitor's two days (with an outage across an hour, one across
    midnight, transient failures) are written twice — by the generator below and by the
    engine's own `monitors.rollups.add_to_rollups`, batch by batch. Every field of every
    hourly and daily row must agree (floats within 1e-9 relative), or the scenario stops.
3.  Generation: 90 days for every monitor, raw results packed into every hourly row (as
    if RESULTS_RETENTION_DAYS were 90), daily rows and StateChange rows, inserted in time
    order (an hour's rows together, as the engine writes them): COPY on PostgreSQL, one
    executemany per day on SQLite. Worker processes generate, this process inserts.
4.  Uptime (`monitors.uptime.summaries()` for all monitors) timed with 90 days raw.
5.  `prune_history()` to 30 days raw, then compaction (VACUUM FULL / VACUUM) and the
    database size: the goal's "30 days raw". Uptime timed again.
6.  The daily prune, timed: one more day of raw results (24 × 1,000 rows) and the oldest
    day of rollups (RESULTS_RETENTION_DAYS 29, ROLLUP_RETENTION_DAYS 89: the work of a
    steady-state day), three days in a row (then 28/88, 27/87), while a real qcluster
    checks all 1,000 monitors at 60 s against the loopback targets; check lag over the
    three prunes, and over a minute before them.
7.  `prune_history()` to 7 days raw; uptime timed again (the goal: flat); size again.

How the generator keeps to what the engine writes: each monitor checks every 60 s at a
phase of its own plus 3–110 ms of runner lag; statuses come from the engine's state
machine (`monitors.state.next_step`, confirmations 2) fed with outages (about one every
10 days per monitor, 2 min to 4 h) and transient failures (1 check in 5,000). An hour in
which anything but "up" happened is computed with the models' own methods
(`Rollup.add_check`, `add_span` with `history.span_between`/`split`, `history.pack`,
`history.percentile`); an hour of 60 "up" checks after an "up" one is always 3,600 up
seconds, so it is filled from a pool of latency templates (60 lognormal latencies, their
sum, max, p95 and histogram computed with the same functions) and packed directly in
`history.pack`'s format. Daily rows are the sums of their hours (the spans split at days
are the sums of the spans split at hours) with the merged `history.Histogram`. Step 2 is
what shows these shortcuts write the same rows as the engine.
"""

