namespace Loa.Storage;

public enum DatabaseProvider
{
    Sqlite,
    SqlServer,
}

/// <summary><c>Loa:Database</c> picks the dialect; <c>ConnectionStrings:Loa</c> says where.</summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Defaults to a SQLite file under ./data, created at start.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/loa.db";
}
