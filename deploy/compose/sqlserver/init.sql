-- Run once by the sqlserver-init service (sqlcmd -v LoaDb=… LoaUser=… LoaPassword=…): the database
-- and the login Loa connects with. Loa creates and migrates its own tables at start.
IF DB_ID(N'$(LoaDb)') IS NULL
BEGIN
    CREATE DATABASE [$(LoaDb)];
    -- Readers (progress, reports) do not block the planner's and the lanes' writes.
    ALTER DATABASE [$(LoaDb)] SET READ_COMMITTED_SNAPSHOT ON;
    ALTER DATABASE [$(LoaDb)] SET RECOVERY FULL;
END
GO
IF SUSER_ID(N'$(LoaUser)') IS NULL
    CREATE LOGIN [$(LoaUser)] WITH PASSWORD = N'$(LoaPassword)', CHECK_POLICY = ON;
ELSE
    ALTER LOGIN [$(LoaUser)] WITH PASSWORD = N'$(LoaPassword)';
GO
USE [$(LoaDb)];
GO
IF USER_ID(N'$(LoaUser)') IS NULL
    CREATE USER [$(LoaUser)] FOR LOGIN [$(LoaUser)];
-- Loa applies its migrations itself, so its user owns the schema.
ALTER ROLE db_owner ADD MEMBER [$(LoaUser)];
GO
