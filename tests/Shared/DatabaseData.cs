using System.Reflection;
using Loa.Storage;
using Xunit.Sdk;

namespace Loa.Tests.Shared;

/// <summary>
/// The dialects a database spec runs on, one theory case each: <c>[Theory, SqliteData, SqlServerData]</c>
/// with a <see cref="DatabaseProvider"/> parameter, handed to <see cref="TempDatabase.CreateAsync"/> or
/// <see cref="LoaTestHost.StartAsync"/>. Two attributes, not one, because xunit 2 skips by data attribute:
/// the SQL Server case is skipped at discovery, with its reason, when <see cref="SqlServerTarget.Variable"/>
/// is unset, and so is reported as skipped, never as passed.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SqliteDataAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[DatabaseProvider.Sqlite]];
}

/// <inheritdoc cref="SqliteDataAttribute"/>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SqlServerDataAttribute : DataAttribute
{
    public SqlServerDataAttribute() => Skip = SqlServerTarget.ConnectionString is null ? SqlServerTarget.SkipReason : null!;

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[DatabaseProvider.SqlServer]];
}
