-- The judge: what a submission gives its program and expects of it, and what its run measured.
ALTER TABLE submissions
    ADD COLUMN IF NOT EXISTS stdin            text NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS args             jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN IF NOT EXISTS expected_output  text,
    ADD COLUMN IF NOT EXISTS limits           jsonb NOT NULL DEFAULT '{}',  -- limits the request lowered
    ADD COLUMN IF NOT EXISTS callback_url     text,
    ADD COLUMN IF NOT EXISTS stderr           text,
    ADD COLUMN IF NOT EXISTS stderr_truncated boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS exit_code        integer,
    ADD COLUMN IF NOT EXISTS cpu_time_ms      integer,
    ADD COLUMN IF NOT EXISTS memory_kb        integer,  -- peak resident memory of the run's process
    ADD COLUMN IF NOT EXISTS verdict          text;     -- domain.Verdict, when output was expected
