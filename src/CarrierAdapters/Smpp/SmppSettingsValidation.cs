using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// Refuses to start a host whose carrier on SMPP has settings no bind could use (a malformed host list,
/// an error table with an unknown action, zero binds), naming each setting: in every environment,
/// since the first batch would fail on them anyway, hours later, at the worst moment.
/// </summary>
internal sealed class SmppSettingsValidation : IValidateOptions<CarrierOptions>
{
    public ValidateOptionsResult Validate(string? name, CarrierOptions options)
    {
        if (name is null || !CarrierIds.All.Contains(name)
            || !string.Equals(options.Adapter?.Trim(), SmppProtocol.AdapterName, StringComparison.OrdinalIgnoreCase))
            return ValidateOptionsResult.Skip;
        var problems = SmppOptions.Problems(name, options.Smpp);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
