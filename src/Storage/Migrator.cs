using System.Data.Common;
using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Loa.Storage;

/// <summary>
/// Applies the versioned scripts under <c>Migrations/&lt;dialect&gt;/NNNN_name.sql</c> in order, each in
/// its own transaction together with its row in <c>schema_version</c>. Re-running is a no-op.
/// </summary>
public sealed class Migrator(Database database, ILogger<Migrator> logger)
{
    private static readonly Sql CreateVersionTable = new(
        Sqlite: """
            CREATE TABLE IF NOT EXISTS schema_version (
                version    INTEGER NOT NULL PRIMARY KEY,
                name       TEXT    NOT NULL,
                applied_at INTEGER NOT NULL)
            """,
        SqlServer: """
            IF OBJECT_ID('schema_version') IS NULL
            CREATE TABLE schema_version (
                version    INT           NOT NULL PRIMARY KEY,
                name       NVARCHAR(200) NOT NULL,
                applied_at BIGINT        NOT NULL)
            """);

    public Task MigrateAsync(CancellationToken cancellationToken = default) => MigrateToAsync(int.MaxValue, cancellationToken);

    /// <summary>Applies the scripts up to <paramref name="version"/> only: an upgrade test builds yesterday's database with it.</summary>
    public async Task MigrateToAsync(int version, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (database.IsSqlite)
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
        await connection.ExecuteAsync(database.Text(CreateVersionTable));
        var applied = (await connection.QueryAsync<int>("SELECT version FROM schema_version")).ToHashSet();

        foreach (var script in Scripts(database.Provider))
        {
            if (script.Version > version)
                break;
            if (applied.Contains(script.Version))
                continue;
            await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
            foreach (var statement in SplitStatements(script.Text, database.Provider))
                await connection.ExecuteAsync(new CommandDefinition(statement, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (@Version, @Name, @At)",
                new { script.Version, script.Name, At = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                transaction);
            await transaction.CommitAsync(cancellationToken);
            logger.LogInformation("Applied migration {Version} {Name}", script.Version, script.Name);
        }
    }

    public sealed record Script(int Version, string Name, string Text);

    public static IReadOnlyList<Script> Scripts(DatabaseProvider provider)
    {
        var assembly = typeof(Migrator).Assembly;
        var folder = provider == DatabaseProvider.Sqlite ? ".Migrations.sqlite." : ".Migrations.sqlserver.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.Contains(folder, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[(n.IndexOf(folder, StringComparison.Ordinal) + folder.Length)..^4];
                var underscore = file.IndexOf('_');
                var version = int.Parse(file[..underscore].TrimStart('_'), System.Globalization.CultureInfo.InvariantCulture);
                return new Script(version, file[(underscore + 1)..], Read(assembly, n));
            })
            .OrderBy(s => s.Version)
            .ToList();
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>SQL Server scripts separate batches with <c>GO</c> lines; SQLite runs a script whole.</summary>
    private static IEnumerable<string> SplitStatements(string text, DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.Sqlite)
            return [text];
        return System.Text.RegularExpressions.Regex
            .Split(text, @"^\s*GO\s*$", System.Text.RegularExpressions.RegexOptions.Multiline | System.Text.RegularExpressions.RegexOptions.IgnoreCase)
            .Where(s => !string.IsNullOrWhiteSpace(s));
    }
}
