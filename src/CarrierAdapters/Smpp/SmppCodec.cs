using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>A PDU we could not read. The session answers it with generic_nack carrying <see cref="Status"/>.</summary>
public sealed class SmppFormatException(uint status, uint sequence, string message) : FormatException(message)
{
    public uint Status { get; } = status;

    public uint Sequence { get; } = sequence;
}

/// <summary>A body we frame but do not read (query_sm, data_sm, …): answered with generic_nack.</summary>
public sealed record RawBody(byte[] Octets) : SmppBody
{
    public override string ToString() => $"RawBody ({Octets.Length} octets)";
}

/// <summary>SMPP 3.4 PDUs to and from octets (§3.2: a 16-octet header, then the command's body).</summary>
public static class SmppCodec
{
    public const int HeaderLength = 16;

    /// <summary>
    /// The largest PDU we read. A submit with a full 64 KB message_payload fits; anything larger is a
    /// broken or hostile peer, and reading its length field as truth would allocate whatever it says.
    /// </summary>
    public const int MaxPduLength = 70_000;

    /// <summary>The read buffer of a connection: a few hundred small PDUs, one receive call.</summary>
    public const int ReadBufferSize = 32 * 1024;

    public static byte[] Encode(SmppPdu pdu)
    {
        var output = new ArrayBufferWriter<byte>(64);
        Encode(pdu, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Appends the PDU to <paramref name="output"/>: a connection's writer encodes every PDU it sends, and
    /// a stream and an array per PDU (and one per string field) were garbage at tens of thousands a second.
    /// </summary>
    /// <exception cref="ArgumentException">A field does not fit; part of the PDU may be in <paramref name="output"/>.</exception>
    public static void Encode(SmppPdu pdu, ArrayBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(pdu);
        ArgumentNullException.ThrowIfNull(output);
        var start = output.WrittenCount;
        var w = new Writer(output);
        w.UInt32(0); // command_length, filled in below
        w.UInt32((uint)pdu.Command);
        w.UInt32(pdu.Status);
        w.UInt32(pdu.Sequence);
        switch (pdu.Body)
        {
            case BindBody b:
                w.CString(b.SystemId, 16, "system_id");
                w.CString(b.Password, 9, "password");
                w.CString(b.SystemType, 13, "system_type");
                w.Byte(b.InterfaceVersion);
                w.Byte(b.AddressTon);
                w.Byte(b.AddressNpi);
                w.CString(b.AddressRange, 41, "address_range");
                break;
            case BindRespBody b:
                w.CString(b.SystemId, 16, "system_id");
                w.Tlvs(b.Tlvs);
                break;
            case MessageIdBody b:
                w.CString(b.MessageId, 65, "message_id");
                break;
            case ShortMessageBody m:
                w.CString(m.ServiceType, 6, "service_type");
                w.Byte(m.SourceTon);
                w.Byte(m.SourceNpi);
                w.CString(m.SourceAddress, 21, "source_addr");
                w.Byte(m.DestTon);
                w.Byte(m.DestNpi);
                w.CString(m.DestinationAddress, 21, "destination_addr");
                w.Byte(m.EsmClass);
                w.Byte(m.ProtocolId);
                w.Byte(m.PriorityFlag);
                w.CString(m.ScheduleDeliveryTime, 17, "schedule_delivery_time");
                w.CString(m.ValidityPeriod, 17, "validity_period");
                w.Byte(m.RegisteredDelivery);
                w.Byte(m.ReplaceIfPresent);
                w.Byte(m.DataCoding);
                w.Byte(m.DefaultMessageId);
                if (m.ShortMessage.Length > 254)
                    throw new ArgumentException($"short_message is {m.ShortMessage.Length} octets; at most 254 fit (use message_payload).");
                w.Byte((byte)m.ShortMessage.Length);
                w.Bytes(m.ShortMessage);
                w.Tlvs(m.Tlvs);
                break;
            case RawBody r:
                w.Bytes(r.Octets);
                break;
        }
        var written = MemoryMarshal.AsMemory(output.WrittenMemory)[start..];
        BinaryPrimitives.WriteUInt32BigEndian(written.Span, (uint)written.Length);
    }

    /// <summary>One whole PDU, header included, as <see cref="ReadFrameAsync"/> returns it.</summary>
    /// <exception cref="SmppFormatException">The PDU is malformed; its status says how (§5.1.3).</exception>
    public static SmppPdu Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < HeaderLength)
            throw new SmppFormatException(SmppStatus.InvalidCommandLength, 0, $"A PDU of {frame.Length} octets is shorter than its header.");
        var length = BinaryPrimitives.ReadUInt32BigEndian(frame);
        var id = BinaryPrimitives.ReadUInt32BigEndian(frame[4..]);
        var status = BinaryPrimitives.ReadUInt32BigEndian(frame[8..]);
        var sequence = BinaryPrimitives.ReadUInt32BigEndian(frame[12..]);
        if (length != frame.Length)
            throw new SmppFormatException(SmppStatus.InvalidCommandLength, sequence, $"command_length {length} but {frame.Length} octets.");
        if (!SmppCommands.IsKnown(id))
            throw new SmppFormatException(SmppStatus.InvalidCommandId, sequence, $"Unknown command_id 0x{id:X8}.");

        var command = (SmppCommand)id;
        var r = new Reader(frame[HeaderLength..], sequence);
        SmppBody body;
        try
        {
            body = command switch
            {
                SmppCommand.BindTransceiver or SmppCommand.BindTransmitter or SmppCommand.BindReceiver =>
                    new BindBody(r.CString(), r.CString(), r.CString(), r.Byte(), r.Byte(), r.Byte(), r.CString()),
                SmppCommand.BindTransceiverResp or SmppCommand.BindTransmitterResp or SmppCommand.BindReceiverResp =>
                    r.AtEnd ? new BindRespBody("") : new BindRespBody(r.CString(), r.Tlvs()),
                SmppCommand.SubmitSmResp or SmppCommand.DeliverSmResp =>
                    new MessageIdBody(r.AtEnd ? "" : r.CString()),
                SmppCommand.SubmitSm or SmppCommand.DeliverSm => ReadShortMessage(ref r),
                SmppCommand.Unbind or SmppCommand.UnbindResp or SmppCommand.EnquireLink
                    or SmppCommand.EnquireLinkResp or SmppCommand.GenericNack => SmppBody.Empty,
                _ => new RawBody(r.Rest()),
            };
        }
        catch (IndexOutOfRangeException)
        {
            throw new SmppFormatException(SmppStatus.InvalidCommandLength, sequence, $"{command} ends inside a field.");
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new SmppFormatException(SmppStatus.InvalidCommandLength, sequence, $"{command} ends inside a field.");
        }
        return new SmppPdu(command, status, sequence, body);
    }

    /// <summary>
    /// The next whole PDU from the stream, or null at a clean end of stream between PDUs.
    /// </summary>
    /// <exception cref="SmppFormatException">The length field is out of bounds: the stream cannot be trusted any more.</exception>
    /// <exception cref="EndOfStreamException">The stream ended inside a PDU.</exception>
    public static async Task<byte[]?> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new byte[4];
        var got = await FillAsync(stream, head, cancellationToken).ConfigureAwait(false);
        if (got == 0)
            return null;
        if (got < head.Length)
            throw new EndOfStreamException("The stream ended inside a PDU's length.");
        var length = BinaryPrimitives.ReadUInt32BigEndian(head);
        if (length < HeaderLength || length > MaxPduLength)
            throw new SmppFormatException(SmppStatus.InvalidCommandLength, 0, $"command_length {length} is outside {HeaderLength}..{MaxPduLength}.");
        var frame = new byte[length];
        head.CopyTo(frame, 0);
        if (await FillAsync(stream, frame.AsMemory(4), cancellationToken).ConfigureAwait(false) < length - 4)
            throw new EndOfStreamException("The stream ended inside a PDU.");
        return frame;
    }

    private static async Task<int> FillAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[filled..], ct).ConfigureAwait(false);
            if (read == 0)
                break;
            filled += read;
        }
        return filled;
    }

    private static ShortMessageBody ReadShortMessage(ref Reader r)
    {
        var serviceType = r.CString();
        var sourceTon = r.Byte();
        var sourceNpi = r.Byte();
        var source = r.CString();
        var destTon = r.Byte();
        var destNpi = r.Byte();
        var dest = r.CString();
        var esm = r.Byte();
        var protocolId = r.Byte();
        var priority = r.Byte();
        var schedule = r.CString();
        var validity = r.CString();
        var registered = r.Byte();
        var replace = r.Byte();
        var coding = r.Byte();
        var defaultId = r.Byte();
        var smLength = r.Byte();
        var shortMessage = r.Bytes(smLength);
        return new ShortMessageBody
        {
            ServiceType = serviceType,
            SourceTon = sourceTon,
            SourceNpi = sourceNpi,
            SourceAddress = source,
            DestTon = destTon,
            DestNpi = destNpi,
            DestinationAddress = dest,
            EsmClass = esm,
            ProtocolId = protocolId,
            PriorityFlag = priority,
            ScheduleDeliveryTime = schedule,
            ValidityPeriod = validity,
            RegisteredDelivery = registered,
            ReplaceIfPresent = replace,
            DataCoding = coding,
            DefaultMessageId = defaultId,
            ShortMessage = shortMessage,
            Tlvs = r.Tlvs(),
        };
    }

    private readonly struct Writer(ArrayBufferWriter<byte> output)
    {
        public void Byte(byte value)
        {
            output.GetSpan(1)[0] = value;
            output.Advance(1);
        }

        public void UInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), value);
            output.Advance(4);
        }

        public void Bytes(ReadOnlySpan<byte> value) => output.Write(value);

        /// <param name="max">The field's size with its NUL, as the specification gives it.</param>
        public void CString(string value, int max, string field)
        {
            var count = System.Text.Encoding.Latin1.GetByteCount(value);
            if (count + 1 > max)
                throw new ArgumentException($"{field} is {count} characters; SMPP 3.4 allows {max - 1}.");
            var span = output.GetSpan(count + 1);
            var length = System.Text.Encoding.Latin1.GetBytes(value, span);
            span[length] = 0;
            output.Advance(length + 1);
        }

        public void Tlvs(IReadOnlyList<SmppTlv> tlvs)
        {
            foreach (var tlv in tlvs)
            {
                if (tlv.Value.Length > ushort.MaxValue)
                    throw new ArgumentException($"TLV 0x{tlv.Tag:X4} is longer than 65535 octets.");
                var head = output.GetSpan(4);
                BinaryPrimitives.WriteUInt16BigEndian(head, tlv.Tag);
                BinaryPrimitives.WriteUInt16BigEndian(head[2..], (ushort)tlv.Value.Length);
                output.Advance(4);
                output.Write(tlv.Value);
            }
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> body, uint sequence)
    {
        private readonly ReadOnlySpan<byte> _body = body;
        private int _at;

        public readonly bool AtEnd => _at >= _body.Length;

        public byte Byte() => _body[_at++];

        public byte[] Bytes(int count)
        {
            var bytes = _body.Slice(_at, count).ToArray();
            _at += count;
            return bytes;
        }

        public byte[] Rest() => Bytes(_body.Length - _at);

        public string CString()
        {
            var end = _body[_at..].IndexOf((byte)0);
            if (end < 0)
                throw new SmppFormatException(SmppStatus.InvalidCommandLength, sequence, "A C-Octet string has no terminating NUL.");
            var text = System.Text.Encoding.Latin1.GetString(_body.Slice(_at, end));
            _at += end + 1;
            return text;
        }

        public IReadOnlyList<SmppTlv> Tlvs()
        {
            if (AtEnd)
                return [];
            var tlvs = new List<SmppTlv>();
            while (!AtEnd)
            {
                if (_body.Length - _at < 4)
                    throw new SmppFormatException(SmppStatus.InvalidOptionalParameterStream, sequence, "A TLV header is cut short.");
                var tag = BinaryPrimitives.ReadUInt16BigEndian(_body[_at..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(_body[(_at + 2)..]);
                _at += 4;
                if (_body.Length - _at < length)
                    throw new SmppFormatException(SmppStatus.InvalidParameterLength, sequence, $"TLV 0x{tag:X4} claims {length} octets past the PDU's end.");
                tlvs.Add(new SmppTlv(tag, Bytes(length)));
            }
            return tlvs;
        }
    }
}
