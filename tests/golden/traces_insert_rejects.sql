INSERT INTO rejects
SELECT file, 'line ' || loc, reason, left(raw, $keep), $now
FROM _tstage WHERE reason IS NOT NULL
ON CONFLICT DO NOTHING
