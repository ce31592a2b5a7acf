-- The planner's device page covered by its index (SQL Server). Same reason and meaning as
-- sqlite/0030_devices_audience_msisdn.sql. msisdn is a key column rather than INCLUDEd, so that both
-- dialects declare the same index (SchemaParityTests); after the unique id it changes no order.
DROP INDEX ix_devices_audience ON devices;
CREATE INDEX ix_devices_audience ON devices (app, province, language, id, msisdn);
