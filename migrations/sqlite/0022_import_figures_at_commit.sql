-- PostgreSQL only (see its 0022): its import defers the member insert
-- triggers to one grouped statement before it commits. SQLite has one writer
-- at a time and row triggers that cost the import nothing measurable against
-- its raw baseline (1.15×, BENCHMARKS.md), so nothing changes here; the file
-- keeps the two databases' migrations in step.
SELECT 1;
