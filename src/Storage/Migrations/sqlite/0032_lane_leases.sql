-- Issue 18, one lane in one process: on quorum queues a lane reads three queues (one per priority
-- class), each with its own single active consumer, and those can end up in different dispatcher
-- processes (started at once, a dropped connection). Each process keeps its own rate, so the lane
-- could send up to twice its share. The process that sends on a lane holds its lease here
-- (Storage/Lanes/LaneLeaseStore.cs): one holder at a time, renewed while it works, yielded to a
-- process waiting with more urgent work, and taken over once it lapses (a holder that died).
CREATE TABLE lane_leases (
    lane          TEXT    NOT NULL PRIMARY KEY,   -- the lane's name (carrier, or carrier-n of k slices)
    holder        TEXT    NOT NULL,               -- the process that holds or last held it ('' before anyone)
    until_at      INTEGER NOT NULL,               -- unix ms the lease lapses; 0 once given back
    generation    INTEGER NOT NULL,               -- grows each time the lease changes hands
    wanted        INTEGER NULL,                   -- most urgent class (0 emergency, 1 warning, 2 bulk) another process waits with
    wanted_by     TEXT    NULL,
    wanted_until  INTEGER NOT NULL                -- unix ms the wish lapses unless the waiter asks again
);
