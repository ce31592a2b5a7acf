using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Loa.Contracts;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Sending;
using Microsoft.Extensions.Configuration;

namespace Loa.Dispatcher.Tests.Bus;

public sealed class BusTopologyTests
{
    private static BusTopology Topology(params (string Key, string Value)[] settings) =>
        new(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());

    [Fact]
    public void On_RabbitMQ_a_lane_reads_a_quorum_queue_per_class_by_default_and_the_names_differ_from_the_classic_ones()
    {
        var topology = Topology(("Loa:Transport", "RabbitMq"));
        Assert.Equal(QueueType.Quorum, topology.QueueType);
        Assert.Equal("loa-launch-quorum", topology.Launch);
        Assert.Equal(new Uri("exchange:loa-launch-quorum"), topology.LaunchAddress);
        var viettel = topology.LaneOf("viettel", 12345);
        Assert.Equal(new Uri("exchange:loa-send-viettel-emergency"), topology.SendAddress(viettel, CampaignKind.Priority(CampaignKind.Emergency)));
        Assert.Equal(new Uri("exchange:loa-send-viettel-bulk"), topology.SendAddress(viettel, CampaignKind.Priority(CampaignKind.Awareness)));
    }

    [Fact]
    public void Each_configured_push_app_is_one_lane_named_push_and_the_app_in_lower_case()
    {
        var topology = Topology(("Loa:Transport", "RabbitMq"), ("Loa:Bus:QueueType", "Classic"),
            ("Loa:Push:Apps:Loa:Provider", "Fcm"), ("Loa:Push:Apps:bank:Provider", "Apns"));
        Assert.Equal(
            CarrierIds.All.Select(c => $"loa-send-{c}").Concat(["loa-send-push-bank", "loa-send-push-loa"]),
            topology.Lanes.Select(l => topology.Queue(l)));
        var lane = topology.LaneOf("push-loa", 7);
        Assert.Equal(("push-loa", 1), (lane.Carrier, lane.Count));
        Assert.Equal(new Uri("exchange:loa-send-push-loa"), topology.SendAddress(lane, CampaignKind.Priority(CampaignKind.Emergency)));
    }

    [Fact]
    public void A_push_app_with_lanes_has_that_many_each_with_its_share_of_the_rate_and_batches_spread_by_id()
    {
        var topology = Topology(("Loa:Transport", "RabbitMq"), ("Loa:Bus:QueueType", "Classic"),
            ("Loa:Push:Apps:loa:Provider", "Fcm"), ("Loa:Push:Apps:loa:Lanes", "2"));
        Assert.Equal(["loa-send-push-loa-1", "loa-send-push-loa-2"], topology.Lanes.Where(l => l.Carrier == "push-loa").Select(l => topology.Queue(l)));
        Assert.Equal(("push-loa-2", "push-loa-1"), (topology.LaneOf("push-loa", 7).Name, topology.LaneOf("push-loa", 8).Name));
        Assert.Equal(5_000, topology.LaneOf("push-loa", 7).Share(10_000));
        var options = PushLanes.Options(new PushAppOptions { RatePerSecond = 10_000, Lanes = 2 });
        // A quarter of the lane's second, as for one lane of half the rate; still at most 500.
        Assert.Equal(500, CarrierLanes.BatchSize(options, 1));
        Assert.Equal(250, CarrierLanes.BatchSize(PushLanes.Options(new PushAppOptions { RatePerSecond = 2_000, Lanes = 2 }), 1));
    }

    [Fact]
    public void With_classic_queues_each_carrier_has_one_priority_queue()
    {
        var topology = Topology(("Loa:Transport", "RabbitMq"), ("Loa:Bus:QueueType", "Classic"));
        Assert.Equal("loa-launch", topology.Launch);
        Assert.Equal(CarrierIds.All.Select(c => $"loa-send-{c}"), topology.Lanes.Select(l => topology.Queue(l)));
        var viettel = topology.LaneOf("viettel", 12345);
        Assert.Equal(new Uri("exchange:loa-send-viettel"), topology.SendAddress(viettel, CampaignKind.Priority(CampaignKind.Emergency)));
        Assert.Equal(new Uri("exchange:loa-send-viettel"), topology.SendAddress(viettel, CampaignKind.Priority(CampaignKind.Awareness)));
    }

    [Fact]
    public void In_memory_a_lane_reads_an_emergency_a_warning_and_a_bulk_queue()
    {
        var topology = Topology();
        Assert.Equal(Transport.InMemory, topology.Transport);
        var lane = topology.LaneOf("gmobile", 7);
        Assert.Equal(new Uri("exchange:loa-send-gmobile-emergency"), topology.SendAddress(lane, CampaignKind.Priority(CampaignKind.Emergency)));
        Assert.Equal(new Uri("exchange:loa-send-gmobile-warning"), topology.SendAddress(lane, CampaignKind.Priority(CampaignKind.Warning)));
        Assert.Equal(new Uri("exchange:loa-send-gmobile-bulk"), topology.SendAddress(lane, CampaignKind.Priority(CampaignKind.Awareness)));
        Assert.Equal(new Uri("exchange:loa-send-gmobile-bulk"), topology.SendAddress(lane, CampaignKind.Priority(CampaignKind.Test)));
    }

    [Fact]
    public void A_split_carrier_spreads_batches_over_its_lanes_and_shares_its_rate()
    {
        var topology = Topology(("Loa:Transport", "RabbitMq"), ("Loa:Bus:QueueType", "Classic"), ("Loa:Carriers:viettel:Lanes", "3"), ("Loa:Bus:Prefix", "loa-hn"));
        var lanes = topology.Lanes.Where(l => l.Carrier == "viettel").ToList();
        Assert.Equal(["viettel-1", "viettel-2", "viettel-3"], lanes.Select(l => l.Name));
        Assert.Equal(["loa-hn-send-viettel-1", "loa-hn-send-viettel-2", "loa-hn-send-viettel-3"], lanes.Select(l => topology.Queue(l)));
        Assert.Equal(333, lanes[0].Share(1000));
        Assert.Equal(lanes.ToHashSet(), Enumerable.Range(100, 30).Select(id => topology.LaneOf("viettel", id)).ToHashSet());
        // A retry of a batch goes back to the lane it was first sent to.
        Assert.Equal(topology.LaneOf("viettel", 101), topology.LaneOf("viettel", 101));
        Assert.Single(topology.Lanes, l => l.Carrier == "mobifone");
    }

    [Theory]
    [InlineData(CampaignKind.Emergency, PriorityClass.Emergency, 3)]
    [InlineData(CampaignKind.Warning, PriorityClass.Warning, 2)]
    [InlineData(CampaignKind.Awareness, PriorityClass.Bulk, 1)]
    [InlineData(CampaignKind.Test, PriorityClass.Bulk, 0)]
    public void Kinds_map_to_classes_and_broker_priorities(string kind, PriorityClass expected, byte brokerPriority)
    {
        var priority = CampaignKind.Priority(kind);
        Assert.Equal(expected, PriorityClasses.Of(priority));
        Assert.Equal(brokerPriority, PriorityClasses.BrokerPriority(priority));
    }

    [Theory]
    [InlineData(10000, 500, 1, 0, 1, 500)]  // the carrier's batch size is the cap
    [InlineData(1000, 500, 1, 0, 1, 250)]   // by default a quarter of the lane's second
    [InlineData(1000, 500, 3, 0, 1, 83)]    // three-part messages: a quarter second's parts at most
    [InlineData(1000, 500, 3, 0, 2, 41)]    // two lanes: each has half the second
    [InlineData(1000, 500, 1, 100, 1, 100)] // a small burst spreads the second out
    [InlineData(1000, 500, 1, 800, 1, 500)] // a burst set larger than a quarter second is honoured, up to the cap
    [InlineData(1000, 2000, 1, 5000, 1, 1000)] // never more than the lane's second
    [InlineData(200, 200, 5, 0, 1, 10)]
    [InlineData(2, 500, 5, 0, 1, 1)]        // never less than one message
    public void A_batch_never_holds_more_parts_than_its_lane_sends_in_a_second(
        int partsPerSecond, int maxBatchSize, int parts, int burst, int lanes, int expected)
    {
        var options = new CarrierOptions { PartsPerSecond = partsPerSecond, MaxBatchSize = maxBatchSize, BurstParts = burst, Lanes = lanes };
        Assert.Equal(expected, CarrierLanes.BatchSize(options, parts));
    }

    [Theory]
    [InlineData("amqp://guest:guest@127.0.0.1:5672/", "127.0.0.1:5672", "guest", "guest", "/")]
    [InlineData("amqp://loa:p%40ss@a:5701,b:5702, c /loa", "a:5701,b:5702,c:5672", "loa", "p@ss", "loa")]
    [InlineData("amqp://rabbit.example", "rabbit.example:5672", "", "", "/")]
    [InlineData("amqp://u:p@[::1]:5673,[fe80::1]/", "::1:5673,fe80::1:5672", "u", "p", "/")]
    public void A_broker_URI_may_name_every_node_of_a_cluster(string uri, string nodes, string user, string password, string vhost)
    {
        var broker = BrokerAddress.Parse(uri);
        Assert.Equal(nodes, string.Join(',', broker.Nodes));
        Assert.Equal((user, password, vhost), (broker.User, broker.Password, broker.VirtualHost));
    }

    [Fact]
    public void Loa_Bus_Hosts_replaces_the_nodes_of_the_URI()
    {
        var broker = BrokerAddress.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = "amqp://loa:secret@rabbitmq-lb:5672/",
            ["Loa:Bus:Hosts"] = "rabbitmq-1:5672,rabbitmq-2:5672,rabbitmq-3",
        }).Build());
        Assert.Equal(["rabbitmq-1:5672", "rabbitmq-2:5672", "rabbitmq-3:5672"], broker.Nodes.Select(n => n.ToString()));
        Assert.Equal("loa", broker.User);
    }
}
