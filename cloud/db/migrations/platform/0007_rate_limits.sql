-- Hand-written: counters for rate limits and account lock-out, shared by every cloud instance behind a
-- load balancer. Kept out of the drizzle schema on purpose: it holds no domain data, and only
-- cloud/security/rate-limit.repository.ts touches it, through one raw UPSERT per hit.
-- bucket: "<rule>:<key>" (keys that are secrets or personal data, such as emails and claim tokens, are
-- stored as SHA-256 hashes); a fixed window starts at window_start and counts hits.
CREATE TABLE IF NOT EXISTS lilo_platform.rate_limit_counters (
  bucket varchar(200) PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS idx_rate_limit_counters_window ON lilo_platform.rate_limit_counters (window_start);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON lilo_platform.rate_limit_counters TO lilo_service;
