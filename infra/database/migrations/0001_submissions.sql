-- The submissions table: the seed's columns plus what the worker, the sweeper and the API need.
CREATE TABLE IF NOT EXISTS submissions (
    submission_id    uuid PRIMARY KEY,
    job_id           text,                      -- SQS MessageId of the last send
    code             text NOT NULL,
    language         text NOT NULL,
    status           text NOT NULL DEFAULT 'Pending'
                     CHECK (status IN ('Pending', 'Running', 'Completed', 'Failed', 'Timeout')),
    reason           text,                      -- why a finished run ended (states.Reason)
    result           text,                      -- the completion value, as a REPL shows it
    stdout           text,
    stdout_truncated boolean NOT NULL DEFAULT false,
    error            text,
    attempts         integer NOT NULL DEFAULT 0, -- runs started (claims)
    lease_until      timestamptz,               -- a Running submission belongs to its worker until then
    last_error       text,                      -- the last infrastructure failure, for the DLQ handler
    duration_ms      integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    queued_at        timestamptz,               -- when the message was last sent
    started_at       timestamptz,               -- when the last claim happened
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- The sweeper looks only at unfinished submissions, oldest first.
CREATE INDEX IF NOT EXISTS submissions_unfinished
    ON submissions (updated_at) WHERE status IN ('Pending', 'Running');
