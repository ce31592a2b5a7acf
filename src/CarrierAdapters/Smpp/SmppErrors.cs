namespace Loa.CarrierAdapters.Smpp;

/// <summary>What a submit_sm_resp status other than ESME_ROK means for the message.</summary>
public enum SmppErrorAction
{
    /// <summary>Refused for good: the message fails with the status name as its reason.</summary>
    Fail,

    /// <summary>Not taken, for a passing reason: the message comes back NotTaken and the send lane sends it again later.</summary>
    Retry,

    /// <summary>The SMSC asks us to slow down: no more is written on this batch for now (see <see cref="SmppAdapter"/>).</summary>
    Throttle,
}

/// <summary>
/// A carrier's reading of submit_sm_resp statuses: the defaults below, overridden per carrier by
/// <c>Loa:Carriers:&lt;id&gt;:Smpp:Errors</c> (status name or hex → <c>Retry</c> | <c>Fail</c> | <c>Throttle</c>).
/// SMSCs differ most on the vendor range 0x400–0x4FF and on ESME_RSYSERR, which some send for a full
/// queue and others for a message they will never take; the table is how an operator says which.
/// </summary>
public sealed class SmppErrors
{
    /// <summary>
    /// Every status not listed fails. An error status always means the message was not taken (§5.1.3),
    /// so a retry can never duplicate: the ones here are the SMSC's own trouble, not the message's.
    /// </summary>
    public static readonly IReadOnlyDictionary<uint, SmppErrorAction> Defaults = new Dictionary<uint, SmppErrorAction>
    {
        [SmppStatus.Throttled] = SmppErrorAction.Throttle,
        [SmppStatus.MessageQueueFull] = SmppErrorAction.Throttle,
        [SmppStatus.SystemError] = SmppErrorAction.Retry,
        [SmppStatus.SubmitFailed] = SmppErrorAction.Retry,
        [SmppStatus.TemporaryAppError] = SmppErrorAction.Retry,
        // The bind was not ready for a submit (an SMSC restarting its side): on a good bind it goes.
        [SmppStatus.IncorrectBindStatus] = SmppErrorAction.Retry,
    };

    public static readonly SmppErrors Default = new(Defaults);

    private readonly IReadOnlyDictionary<uint, SmppErrorAction> _actions;

    private SmppErrors(IReadOnlyDictionary<uint, SmppErrorAction> actions) => _actions = actions;

    public SmppErrorAction Action(uint status) =>
        _actions.TryGetValue(status, out var action) ? action : SmppErrorAction.Fail;

    /// <summary>The defaults with a carrier's overrides; throws naming every bad entry.</summary>
    public static SmppErrors From(string carrierId, IReadOnlyDictionary<string, string>? overrides)
    {
        var problems = Problems(carrierId, overrides);
        if (problems.Count > 0)
            throw new InvalidOperationException(string.Join("; ", problems));
        if (overrides is null || overrides.Count == 0)
            return Default;
        var actions = new Dictionary<uint, SmppErrorAction>(Defaults);
        foreach (var (key, value) in overrides)
        {
            SmppStatus.TryParse(key, out var status);
            actions[status] = Enum.Parse<SmppErrorAction>(value.Trim(), ignoreCase: true);
        }
        return new SmppErrors(actions);
    }

    /// <summary>What is wrong with a carrier's <c>Smpp:Errors</c>, one line per entry, each naming its setting.</summary>
    public static IReadOnlyList<string> Problems(string carrierId, IReadOnlyDictionary<string, string>? overrides)
    {
        var problems = new List<string>();
        if (overrides is null)
            return problems;
        foreach (var (key, value) in overrides)
        {
            var setting = $"Loa:Carriers:{carrierId}:Smpp:Errors:{key}";
            if (!SmppStatus.TryParse(key, out var status))
                problems.Add($"{setting}: '{key}' is neither an SMPP status name (ESME_RSYSERR) nor hex (0x00000008)");
            else if (status == SmppStatus.Ok)
                problems.Add($"{setting}: ESME_ROK is success and cannot be given an error action");
            if (!Enum.TryParse<SmppErrorAction>(value?.Trim(), ignoreCase: true, out var action) || !Enum.IsDefined(action)
                || int.TryParse(value, out _))
                problems.Add($"{setting}: '{value}' is not Retry, Fail or Throttle");
        }
        return problems;
    }
}
