-- No query reads events by type: replays and the SSE stream read by id, and type filters are
-- applied in memory. The index only cost every event insert a second b-tree write.
DROP INDEX IF EXISTS events_type;
