namespace Loa.CarrierAdapters.Smpp;

/// <summary>What one session binds as: the bind_* command it sends.</summary>
public enum SmppBindType
{
    Transceiver,
    Transmitter,
    Receiver,
}

/// <summary>How a carrier's binds are made (<see cref="SmppOptions.BindMode"/>).</summary>
public enum SmppBindMode
{
    /// <summary>Each bind submits and takes deliver_sm (receipts, replies).</summary>
    Transceiver,

    /// <summary>
    /// Each of the <see cref="SmppOptions.Binds"/> is a bind_transmitter that submits, beside as many
    /// bind_receiver that take deliver_sm: for SMSCs (older ones, and some carriers' contracts) that
    /// refuse bind_transceiver or bill the two directions on separate accounts of one system_id.
    /// </summary>
    TransmitterReceiver,
}

/// <summary>
/// <c>Loa:Carriers:&lt;id&gt;:Smpp</c>: how one carrier's SMSC is reached when its <c>Adapter</c> is <c>Smpp</c>.
/// The defaults are those most Vietnamese SMSCs take for a brand-name sender.
/// </summary>
public sealed class SmppOptions
{
    /// <summary>
    /// The SMSC, or several tried in order on each bind (<c>primary:2775,standby:2775</c>); a host
    /// without a port takes <see cref="Port"/>.
    /// </summary>
    public string Host { get; set; } = "";

    public int Port { get; set; } = 2775;

    /// <summary>Binds held open to the carrier, each with its own <see cref="Window"/>: a carrier's contract often caps one bind's rate.</summary>
    public int Binds { get; set; } = 1;

    /// <summary>The pause after a failed bind, doubling up to <see cref="ReconnectMaxSeconds"/>, ±20 %.</summary>
    public double ReconnectSeconds { get; set; } = 1;

    public double ReconnectMaxSeconds { get; set; } = 30;

    public string SystemId { get; set; } = "";

    public string Password { get; set; } = "";

    public string SystemType { get; set; } = "";

    /// <summary>Transceivers, or transmitter + receiver pairs.</summary>
    public SmppBindMode BindMode { get; set; } = SmppBindMode.Transceiver;

    /// <summary>Submits sent and not yet answered, at most; SMSCs refuse or drop a bind that overruns its agreed window.</summary>
    public int Window { get; set; } = 10;

    /// <summary>Idle seconds before an enquire_link; a carrier's firewall often cuts a TCP connection silent for a minute.</summary>
    public int EnquireLinkSeconds { get; set; } = 30;

    /// <summary>How long a submit_sm, bind or enquire_link waits for its response before its outcome is unknown.</summary>
    public int ResponseSeconds { get; set; } = 30;

    public int ConnectSeconds { get; set; } = 10;

    /// <summary>
    /// TLS 1.2 or later over the bind's TCP connection: SMPP carries the password and every number in
    /// clear, and some carriers take binds over the internet rather than a leased line or VPN.
    /// </summary>
    public bool Tls { get; set; }

    /// <summary>
    /// A PEM file of the certificates to trust instead of the system's store: a carrier's private CA, or
    /// its SMSC's own self-signed certificate. Empty trusts the system's store.
    /// </summary>
    public string TlsCaFile { get; set; } = "";

    /// <summary>The name the SMSC's certificate must carry (and the SNI sent); empty is the host bound to.</summary>
    public string TlsTargetHost { get; set; } = "";

    /// <summary>TON 5 (alphanumeric): the brand name is letters, not a number.</summary>
    public byte SourceTon { get; set; } = 5;

    public byte SourceNpi { get; set; }

    /// <summary>TON 1, NPI 1 (international, E.164): Loa keeps numbers as +84…, sent without the '+'.</summary>
    public byte DestTon { get; set; } = 1;

    public byte DestNpi { get; set; } = 1;

    /// <summary>How a long message's parts are tied together: Udh8 (a header in each part), Sar (TLVs) or Payload (one submit, the SMSC cuts).</summary>
    public SmppConcatenation Concatenation { get; set; } = SmppConcatenation.Udh8;

    /// <summary>GSM-7 packed eight septets to seven octets; most SMSCs take one septet per octet on data_coding 0.</summary>
    public bool PackGsm7 { get; set; }

    /// <summary>
    /// How long the part ids of a multi-part message are kept to merge its part receipts into one; an
    /// SMSC gives up on a message by its validity period (commonly 24 to 48 hours), so its last receipt comes by then.
    /// </summary>
    public double ReceiptHoldHours { get; set; } = 48;

    /// <summary>How the SMSC writes ids in receipts compared with submit_sm_resp; a receipt's id is turned into the submitted form before it is matched.</summary>
    public SmppReceiptIds ReceiptIds { get; set; } = SmppReceiptIds.AsSubmitted;

    /// <summary>Part ids kept at most (two index entries each, about 250 bytes); the oldest are forgotten first.</summary>
    public int ReceiptHoldParts { get; set; } = 500_000;

    /// <summary>
    /// Status (name or hex) → <c>Retry</c> | <c>Fail</c> | <c>Throttle</c>, over <see cref="SmppErrors.Defaults"/>.
    /// A configuration key is case-insensitive, so the names are matched in any case.
    /// </summary>
    public Dictionary<string, string> Errors { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// What is wrong with a carrier's SMPP settings, one line each naming the setting; empty when it can
    /// bind. Both hosts refuse to start on them (SmppSettingsValidation); the adapter refuses the same settings when it is made.
    /// </summary>
    public static IReadOnlyList<string> Problems(string carrierId, SmppOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(carrierId);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        var setting = $"Loa:Carriers:{carrierId}:Smpp";
        try
        {
            // An empty Host is the simulated SMSC of the embedded default; whether that may run is the host's check.
            _ = SmppBinds.Hosts(options);
        }
        catch (FormatException ex)
        {
            problems.Add($"{setting}:Host: {ex.Message}");
        }
        if (!Enum.IsDefined(options.BindMode))
            problems.Add($"{setting}:BindMode is {options.BindMode}; Transceiver or TransmitterReceiver");
        if (!Enum.IsDefined(options.ReceiptIds))
            problems.Add($"{setting}:ReceiptIds is {options.ReceiptIds}; AsSubmitted, HexSubmittedDecimalReceipt or DecimalSubmittedHexReceipt");
        if (options.Binds is < 1 or > 64)
            problems.Add($"{setting}:Binds is {options.Binds}; 1 to 64");
        if (options.ReconnectSeconds <= 0 || options.ReconnectMaxSeconds < options.ReconnectSeconds)
            problems.Add($"{setting}:ReconnectSeconds must be above zero and at most ReconnectMaxSeconds");
        if (options.ReceiptHoldHours <= 0 || options.ReceiptHoldParts < 0)
            problems.Add($"{setting}:ReceiptHoldHours must be above zero and ReceiptHoldParts not below zero");
        if (options.Tls && !string.IsNullOrWhiteSpace(options.TlsCaFile) && SmppTls.CaFileProblem(options.TlsCaFile) is { } caFile)
            problems.Add($"{setting}:TlsCaFile {caFile}");
        problems.AddRange(SmppErrors.Problems(carrierId, options.Errors));
        return problems;
    }

    internal SmppOptions At(string host, int port)
    {
        var copy = (SmppOptions)MemberwiseClone();
        copy.Host = host;
        copy.Port = port;
        return copy;
    }

    /// <summary>A copy with TLS trusting only <paramref name="caFile"/>, or without TLS when it is null.</summary>
    internal SmppOptions Securing(string? caFile)
    {
        var copy = (SmppOptions)MemberwiseClone();
        copy.Tls = caFile is not null;
        copy.TlsCaFile = caFile ?? "";
        copy.TlsTargetHost = "";
        return copy;
    }

    internal SmppOptions Reaching(string host, int port, string systemId, string password)
    {
        var copy = At(host, port);
        copy.SystemId = systemId;
        copy.Password = password;
        return copy;
    }
}
