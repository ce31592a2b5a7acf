using System.Data.Common;

namespace Loa.Storage;

/// <summary>
/// Reusable commands for hot loops (one row per execution inside one transaction): parameters are
/// created once, by name and in order, and only their values change per row.
/// </summary>
internal static class Commands
{
    public static DbCommand Prepare(DbConnection connection, DbTransaction transaction, string text, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = text;
        foreach (var name in names)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    public static async Task<int> RunAsync(DbCommand command, CancellationToken cancellationToken, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
