namespace Loa.CarrierAdapters.Smpp;

/// <summary>One SMPP PDU: the header's command, status and sequence, and a body that fits the command.</summary>
public sealed record SmppPdu(SmppCommand Command, uint Status, uint Sequence, SmppBody Body)
{
    public static SmppPdu Request(SmppCommand command, SmppBody? body = null) => new(command, SmppStatus.Ok, 0, body ?? SmppBody.Empty);

    /// <summary>The answer to this request with the same sequence; an error answer's body may be empty (§5.1.3).</summary>
    public SmppPdu Answer(uint status, SmppBody? body = null) =>
        new(SmppCommands.ResponseTo(Command), status, Sequence, body ?? SmppBody.Empty);

    public override string ToString() => $"{Command} seq {Sequence} {SmppStatus.Name(Status)}";
}

public abstract record SmppBody
{
    /// <summary>unbind, enquire_link, generic_nack and their responses carry no body.</summary>
    public static readonly SmppBody Empty = new EmptyBody();

    private sealed record EmptyBody : SmppBody;
}

/// <summary>bind_transceiver, bind_transmitter and bind_receiver (§4.1).</summary>
public sealed record BindBody(
    string SystemId,
    string Password,
    string SystemType = "",
    byte InterfaceVersion = BindBody.Version34,
    byte AddressTon = 0,
    byte AddressNpi = 0,
    string AddressRange = "") : SmppBody
{
    public const byte Version34 = 0x34;

    // The password travels in clear inside the PDU; it must not travel into logs as well.
    public override string ToString() => $"BindBody {{ SystemId = {SystemId}, SystemType = {SystemType} }}";
}

/// <summary>The bind responses: the SMSC's system_id, and its interface version TLV if it sends one.</summary>
public sealed record BindRespBody(string SystemId, IReadOnlyList<SmppTlv> Tlvs) : SmppBody
{
    public BindRespBody(string systemId) : this(systemId, []) { }
}

/// <summary>submit_sm_resp and deliver_sm_resp: the message id (empty in deliver_sm_resp, §4.6.2).</summary>
public sealed record MessageIdBody(string MessageId) : SmppBody;

/// <summary>The body shared by submit_sm (§4.4.1) and deliver_sm (§4.6.1), field for field.</summary>
public sealed record ShortMessageBody : SmppBody
{
    public string ServiceType { get; init; } = "";
    public byte SourceTon { get; init; }
    public byte SourceNpi { get; init; }
    public string SourceAddress { get; init; } = "";
    public byte DestTon { get; init; }
    public byte DestNpi { get; init; }
    public string DestinationAddress { get; init; } = "";
    public byte EsmClass { get; init; }
    public byte ProtocolId { get; init; }
    public byte PriorityFlag { get; init; }
    public string ScheduleDeliveryTime { get; init; } = "";
    public string ValidityPeriod { get; init; } = "";
    public byte RegisteredDelivery { get; init; }
    public byte ReplaceIfPresent { get; init; }
    public byte DataCoding { get; init; }
    public byte DefaultMessageId { get; init; }
    public byte[] ShortMessage { get; init; } = [];
    public IReadOnlyList<SmppTlv> Tlvs { get; init; } = [];

    /// <summary>esm_class bit 6: the short message starts with a user data header (UDHI).</summary>
    public const byte UdhIndicator = 0x40;

    /// <summary>esm_class bits 2–5 = 0001: an SMSC delivery receipt (§5.2.12).</summary>
    public const byte DeliveryReceiptType = 0x04;

    /// <summary>registered_delivery: a receipt on final outcome, success or failure (§5.2.17).</summary>
    public const byte ReceiptOnFinalOutcome = 0x01;

    public const byte CodingGsm7 = 0x00;
    public const byte CodingUcs2 = 0x08;

    public bool HasUdh => (EsmClass & UdhIndicator) != 0;

    public bool IsDeliveryReceipt => (EsmClass & 0x3C) == DeliveryReceiptType;

    public SmppTlv? Tlv(ushort tag) => SmppTlv.Find(Tlvs, tag);

    // Addresses are subscriber numbers: the default record ToString would put them in any log it reaches.
    public override string ToString() =>
        $"ShortMessageBody {{ EsmClass = 0x{EsmClass:X2}, DataCoding = 0x{DataCoding:X2}, Length = {ShortMessage.Length}, Tlvs = {Tlvs.Count} }}";
}
