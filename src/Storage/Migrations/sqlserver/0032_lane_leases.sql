-- Issue 18, one lane in one process (SQL Server): same table and meaning as sqlite/0032_lane_leases.sql.
CREATE TABLE lane_leases (
    lane          VARCHAR(100)  NOT NULL,
    holder        VARCHAR(200)  NOT NULL,
    until_at      BIGINT        NOT NULL,
    generation    BIGINT        NOT NULL,
    wanted        INT           NULL,
    wanted_by     VARCHAR(200)  NULL,
    wanted_until  BIGINT        NOT NULL,
    CONSTRAINT pk_lane_leases PRIMARY KEY (lane)
);
GO
