INSERT INTO rejects
SELECT $source, $label || ' ' || loc,
       'conflict: id ' || id || ' is already stored with different content',
       left(raw, $keep), $now
FROM _conflicts
ON CONFLICT DO NOTHING
