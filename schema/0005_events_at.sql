-- 0005: one index fewer on the event queue.
--
-- events_at served only retention (db_prune()), yet every event paid for
-- it: a send queues an event per member, each with an entry in it. Ids
-- grow with time, so the events older than a day form the queue's
-- oldest ids: prune finds the first event younger than the cut by reading
-- from the oldest, a cost in the rows it removes anyway.
DROP INDEX events_at;
