namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// SMPP 3.4 command_status values (§5.1.3) and their names. The name is what a failed message keeps
/// as its reason, so an operator reads <c>ESME_RINVDSTADR</c>, not 11.
/// </summary>
public static class SmppStatus
{
    public const uint Ok = 0x00;
    public const uint InvalidMessageLength = 0x01;
    public const uint InvalidCommandLength = 0x02;
    public const uint InvalidCommandId = 0x03;
    public const uint IncorrectBindStatus = 0x04;
    public const uint AlreadyBound = 0x05;
    public const uint SystemError = 0x08;
    public const uint InvalidSourceAddress = 0x0A;
    public const uint InvalidDestinationAddress = 0x0B;
    public const uint InvalidMessageId = 0x0C;
    public const uint BindFailed = 0x0D;
    public const uint InvalidPassword = 0x0E;
    public const uint InvalidSystemId = 0x0F;
    public const uint MessageQueueFull = 0x14;
    public const uint SubmitFailed = 0x45;
    public const uint Throttled = 0x58;
    public const uint TemporaryAppError = 0x64;
    public const uint PermanentAppError = 0x65;
    public const uint InvalidOptionalParameterStream = 0xC0;
    public const uint InvalidParameterLength = 0xC2;
    public const uint DeliveryFailure = 0xFE;
    public const uint UnknownError = 0xFF;

    private static readonly Dictionary<uint, string> Names = new()
    {
        [0x00] = "ESME_ROK",
        [0x01] = "ESME_RINVMSGLEN",
        [0x02] = "ESME_RINVCMDLEN",
        [0x03] = "ESME_RINVCMDID",
        [0x04] = "ESME_RINVBNDSTS",
        [0x05] = "ESME_RALYBND",
        [0x06] = "ESME_RINVPRTFLG",
        [0x07] = "ESME_RINVREGDLVFLG",
        [0x08] = "ESME_RSYSERR",
        [0x0A] = "ESME_RINVSRCADR",
        [0x0B] = "ESME_RINVDSTADR",
        [0x0C] = "ESME_RINVMSGID",
        [0x0D] = "ESME_RBINDFAIL",
        [0x0E] = "ESME_RINVPASWD",
        [0x0F] = "ESME_RINVSYSID",
        [0x11] = "ESME_RCANCELFAIL",
        [0x13] = "ESME_RREPLACEFAIL",
        [0x14] = "ESME_RMSGQFUL",
        [0x15] = "ESME_RINVSERTYP",
        [0x33] = "ESME_RINVNUMDESTS",
        [0x34] = "ESME_RINVDLNAME",
        [0x40] = "ESME_RINVDESTFLAG",
        [0x42] = "ESME_RINVSUBREP",
        [0x43] = "ESME_RINVESMCLASS",
        [0x44] = "ESME_RCNTSUBDL",
        [0x45] = "ESME_RSUBMITFAIL",
        [0x48] = "ESME_RINVSRCTON",
        [0x49] = "ESME_RINVSRCNPI",
        [0x50] = "ESME_RINVDSTTON",
        [0x51] = "ESME_RINVDSTNPI",
        [0x53] = "ESME_RINVSYSTYP",
        [0x54] = "ESME_RINVREPFLAG",
        [0x55] = "ESME_RINVNUMMSGS",
        [0x58] = "ESME_RTHROTTLED",
        [0x61] = "ESME_RINVSCHED",
        [0x62] = "ESME_RINVEXPIRY",
        [0x63] = "ESME_RINVDFTMSGID",
        [0x64] = "ESME_RX_T_APPN",
        [0x65] = "ESME_RX_P_APPN",
        [0x66] = "ESME_RX_R_APPN",
        [0x67] = "ESME_RQUERYFAIL",
        [0xC0] = "ESME_RINVOPTPARSTREAM",
        [0xC1] = "ESME_ROPTPARNOTALLWD",
        [0xC2] = "ESME_RINVPARLEN",
        [0xC3] = "ESME_RMISSINGOPTPARAM",
        [0xC4] = "ESME_RINVOPTPARAMVAL",
        [0xFE] = "ESME_RDELIVERYFAILURE",
        [0xFF] = "ESME_RUNKNOWNERR",
    };

    /// <summary>The status's name; a vendor-specific one (0x400–0x4FF) or any other unknown value as hex.</summary>
    public static string Name(uint status) =>
        Names.TryGetValue(status, out var name) ? name : $"0x{status:X8}";

    /// <summary>A status written as its name (<c>ESME_RSYSERR</c>, any case) or as hex (<c>0x00000008</c>, <c>0x8</c>).</summary>
    public static bool TryParse(string? text, out uint status)
    {
        status = 0;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return uint.TryParse(text.AsSpan(2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out status);
        foreach (var (value, name) in Names)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                status = value;
                return true;
            }
        }
        return false;
    }

    /// <summary>The SMSC asks us to slow down: the message was not taken and may be sent again later.</summary>
    public static bool IsThrottling(uint status) => status is Throttled or MessageQueueFull;
}
