-- Many test cases per submission: the submission is a parent row that never runs itself; each
-- test is a child row (its own run, message, claim and lease), and the parent is completed by
-- whichever child finishes last (chalicelib/states.py, COMPLETE).
ALTER TABLE submissions
    ADD COLUMN IF NOT EXISTS parent_id   uuid REFERENCES submissions (submission_id),
    ADD COLUMN IF NOT EXISTS test_index  integer,   -- a child's place in the parent's tests
    ADD COLUMN IF NOT EXISTS test_name   text,
    ADD COLUMN IF NOT EXISTS tests_total integer;   -- set on a parent: how many children it has

CREATE INDEX IF NOT EXISTS submissions_children ON submissions (parent_id, test_index)
    WHERE parent_id IS NOT NULL;
