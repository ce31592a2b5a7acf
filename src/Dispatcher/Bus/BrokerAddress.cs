using Microsoft.Extensions.Configuration;

namespace Loa.Dispatcher.Bus;

/// <summary>A RabbitMQ node Loa may connect to.</summary>
public sealed record BrokerNode(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port}";
}

/// <summary>
/// Where the broker is: <c>ConnectionStrings:RabbitMq</c>, an amqp URI that may name several nodes of
/// one cluster (<c>amqp://user:password@host1:5672,host2:5672,host3:5672/vhost</c>), and
/// <c>Loa:Bus:Hosts</c> (<c>host1:5672,host2:5672</c>), which replaces the URI's nodes when set so that
/// the credentials can stay in a secret and the node list in plain configuration.
/// </summary>
public sealed record BrokerAddress(IReadOnlyList<BrokerNode> Nodes, string User, string Password, string VirtualHost)
{
    private const int DefaultPort = 5672;

    public static BrokerAddress Read(IConfiguration configuration)
    {
        var uri = configuration.GetConnectionString("RabbitMq")
            ?? throw new InvalidOperationException("Loa:Transport is RabbitMq but ConnectionStrings:RabbitMq is not set.");
        var address = Parse(uri);
        if (configuration["Loa:Bus:Hosts"] is { Length: > 0 } hosts)
            address = address with { Nodes = ParseNodes(hosts, "Loa:Bus:Hosts") };
        return address;
    }

    /// <summary>
    /// System.Uri cannot hold a list of hosts, so the URI is taken apart by hand: scheme, optional
    /// user info up to the last '@' before the path, the comma-separated nodes, the virtual host.
    /// </summary>
    public static BrokerAddress Parse(string uri)
    {
        const string what = "ConnectionStrings:RabbitMq";
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0 || !uri[..schemeEnd].Equals("amqp", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"{what} must be an amqp:// URI (amqp://user:password@host:port[,host:port...]/vhost).");
        var rest = uri[(schemeEnd + 3)..];
        var pathStart = rest.IndexOf('/');
        var authority = pathStart < 0 ? rest : rest[..pathStart];
        var path = pathStart < 0 ? "" : rest[(pathStart + 1)..];
        var at = authority.LastIndexOf('@');
        var userInfo = at < 0 ? "" : authority[..at];
        var colon = userInfo.IndexOf(':');
        var user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
        var password = colon < 0 ? "" : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        var vhost = Uri.UnescapeDataString(path.TrimEnd('/'));
        return new BrokerAddress(ParseNodes(authority[(at + 1)..], what), user, password, vhost.Length == 0 ? "/" : vhost);
    }

    private static BrokerNode[] ParseNodes(string list, string what)
    {
        var nodes = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(node =>
        {
            // [::1]:5672 keeps its brackets off the host; host:5672 and a bare host are the other forms.
            var portAt = node.LastIndexOf(':');
            if (portAt < 0 || node.EndsWith(']'))
                return new BrokerNode(node.Trim('[', ']'), DefaultPort);
            if (!int.TryParse(node[(portAt + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new FormatException($"{what}: '{node}' has no valid port.");
            return new BrokerNode(node[..portAt].Trim('[', ']'), port);
        }).ToArray();
        return nodes.Length > 0 ? nodes : throw new FormatException($"{what} names no host.");
    }
}
