-- Staged transactions are scratch rows of runs in progress: a run reads only the rows it staged,
-- inside its own open transaction. A PostgreSQL crash empties an unlogged table, but it also ends
-- every run in progress (their transactions roll back, their cursors stay where they were), and
-- those runs are abandoned and redone from the stored cursor. Not writing WAL for them saves the
-- COPY's and the merge's log volume. drizzle-kit cannot express UNLOGGED, hence this custom step.
ALTER TABLE "sync_staged_transactions" SET UNLOGGED;
