-- Hand-written: the event log is an audit trail; rows are appended, never changed or removed
-- (they will be hash-chained per device). SQLite has no grants, so triggers enforce it.
CREATE TRIGGER unified_event_log_no_update BEFORE UPDATE ON unified_event_log
BEGIN SELECT RAISE(ABORT, 'unified_event_log is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER unified_event_log_no_delete BEFORE DELETE ON unified_event_log
BEGIN SELECT RAISE(ABORT, 'unified_event_log is append-only'); END;
