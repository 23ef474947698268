DROP TABLE IF EXISTS slot_counts;
DELETE FROM meta WHERE key IN ('slot_counts_rows', 'slot_counts_events');
