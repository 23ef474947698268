UPDATE loads SET records = loads.records + v.records, stored = loads.stored + v.stored,
    duplicates = loads.duplicates + v.duplicates, conflicts = loads.conflicts + v.conflicts,
    rejected = loads.rejected + v.rejected
FROM (VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)) AS v(load_id, records, stored, duplicates, conflicts, rejected)
WHERE loads.load_id = v.load_id
