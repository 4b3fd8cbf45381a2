using CsCheck;
using Lessor.Core.Ledger;
using Lessor.Core.Model;

namespace Lessor.Core.Tests.Ledger;

/// <summary>Stranding worked by hand on a two-fabric HGX estate (8 GPUs a unit), and the leftover arithmetic.</summary>
public class StrandingTests
{
    // f1: 200 units (1,600 GPUs) from minute 0; f2: 128 units (1,024 GPUs) from minute 0. A pinned line holds 100 units
    // of f1 over minutes [0, 60).
    private static CapacityLedger Estate() => CapacityLedger.Build(new Scenario
    {
        Name = "stranding", Platforms = [TinyWorld.Hgx()], Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }],
        Sites = [TinyWorld.Site("s1", "r1")],
        Fabrics = [TinyWorld.Fabric("f1", "s1", 400), TinyWorld.Fabric("f2", "s1", 400)],
        Deliveries = [TinyWorld.Delivery("d1", "f1", 200, TinyWorld.At(0)), TinyWorld.Delivery("d2", "f2", 128, TinyWorld.At(0))],
        Contracts = [TinyWorld.Pinned("k", 0, "f1", 100, TinyWorld.Span(0, 60))],
    }).Ledger;

    [Fact]
    public void Given_servers_count_as_a_usual_size_When_measuring_Then_nothing_is_stranded()
    {
        var report = Estate().Stranding(TinyWorld.Span(0, 120));
        // f1: 100 units for 60 min + 200 units for 60 min = 18,000 unit-minutes = 2,400 GPU-hours; f2: 128 x 120 min = 2,048 GPU-hours.
        Assert.Equal(2_400m, report.Fabrics[0].FreeGpuHours);
        Assert.Equal(2_048m, report.Fabrics[1].FreeGpuHours);
        Assert.Equal(4_448m, report.FreeGpuHours);
        Assert.Equal(0m, report.StrandedGpuHours);
    }

    [Fact]
    public void Given_only_training_sizes_When_measuring_Then_the_leftover_below_1024_GPUs_is_stranded_per_slice()
    {
        var report = Estate().Stranding(TinyWorld.Span(0, 120), minDealGpus: 1_024);
        // f1, first hour: 100 units = 800 GPUs, all stranded; second hour: 200 units = 1,600 GPUs, 1,024 usable, 576 stranded.
        Assert.Equal(800m + 576m, report.Fabrics[0].StrandedGpuHours);
        // f2: exactly one 1,024-GPU block, nothing stranded.
        Assert.Equal(0m, report.Fabrics[1].StrandedGpuHours);
        Assert.Equal(1_376m, report.StrandedGpuHours);
        Assert.Equal(1_376m / 4_448m, report.Share);
    }

    [Fact]
    public void Given_a_window_inside_one_slice_When_measuring_Then_only_the_window_counts()
    {
        var report = Estate().Stranding(TinyWorld.Span(30, 60), minDealGpus: 1_024);
        Assert.Equal(400m, report.Fabrics[0].FreeGpuHours);
        Assert.Equal(400m, report.Fabrics[0].StrandedGpuHours);
        Assert.Equal(512m, report.Fabrics[1].FreeGpuHours);
        Assert.Equal(0m, report.Fabrics[1].StrandedGpuHours);
    }

    [Theory]
    [InlineData(0, new[] { 128, 512 }, 0)]
    [InlineData(300, new[] { 128, 512 }, 44)]
    [InlineData(300, new int[0], 300)]
    [InlineData(17, new[] { 5, 7 }, 0)]
    [InlineData(13, new[] { 5, 7 }, 1)]
    [InlineData(3, new[] { 5, 7 }, 3)]
    public void Given_free_units_and_sizes_When_packing_Then_the_leftover_is_exact(int free, int[] sizes, int leftover) =>
        Assert.Equal(leftover, StrandingSizes.Leftover(free, sizes));

    [Fact]
    public void Given_any_free_units_and_sizes_When_packing_Then_the_leftover_matches_brute_force() =>
        Gen.Select(Gen.Int[0, 200], Gen.Int[1, 40].Array[0, 4]).Sample((free, raw) =>
        {
            var sizes = raw.Distinct().Order().ToArray();
            // Brute force: the largest total not above free that some multiset of sizes reaches.
            var reach = new HashSet<int> { 0 };
            for (var v = 1; v <= free; v++) if (sizes.Any(z => z <= v && reach.Contains(v - z))) reach.Add(v);
            var expected = free - reach.Where(v => v <= free).Max();
            Assert.Equal(expected, StrandingSizes.Leftover(free, sizes));
        });

    [Fact]
    public void Given_random_estates_and_books_When_measuring_Then_stranded_never_exceeds_free_and_grows_with_the_threshold() =>
        Gen.Int.Sample(seed =>
        {
            var rng = new Random(seed);
            var ledger = CapacityLedger.Build(TinyWorld.Random(rng, withPinned: true)).Ledger;
            var window = TinyWorld.Span(rng.Next(0, 30), rng.Next(30, 90));
            var servers = ledger.Stranding(window);
            var racks = ledger.Stranding(window, minDealGpus: 72);
            var training = ledger.Stranding(window, minDealGpus: 1_024);
            Assert.Equal(0m, servers.StrandedGpuHours);
            Assert.Equal(servers.FreeGpuHours, training.FreeGpuHours);
            Assert.True(racks.StrandedGpuHours <= training.StrandedGpuHours);
            foreach (var f in training.Fabrics) Assert.True(f.StrandedGpuHours >= 0m && f.StrandedGpuHours <= f.FreeGpuHours);
        }, iter: 200);

    [Fact]
    public void Given_20_free_racks_When_measuring_at_1024_GPUs_Then_the_5_racks_beyond_one_15_rack_cluster_are_stranded()
    {
        var ledger = CapacityLedger.Build(new Scenario
        {
            Name = "racks", Platforms = [TinyWorld.Hgx("nvl72", 72)], Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }],
            Sites = [TinyWorld.Site("s1", "r1")], Fabrics = [TinyWorld.Fabric("f1", "s1", 40, "nvl72")],
            Deliveries = [TinyWorld.Delivery("d1", "f1", 20, TinyWorld.At(0))],
        }).Ledger;

        var report = ledger.Stranding(TinyWorld.Span(0, 60), minDealGpus: 1_024);

        // 20 racks x 72 GPUs for an hour free; a 1,024-GPU deal takes 15 racks, so 5 racks (360 GPU-hours) are left over.
        Assert.Equal(1_440m, report.FreeGpuHours);
        Assert.Equal(360m, report.StrandedGpuHours);
    }

    [Fact]
    public void Given_a_rack_scale_platform_When_listing_sizes_Then_each_deal_takes_whole_racks()
    {
        // 8 and 72 GPUs are one rack; 1,024 GPUs are 15 racks (1,080 GPUs), 4,096 are 57, 16,384 are 228, 65,536 are 911.
        Assert.Equal([1, 15, 57, 228, 911], StrandingSizes.InUnits(72, 8));
        Assert.Equal([15, 57, 228, 911], StrandingSizes.InUnits(72, 1_024));
        Assert.Equal([1, 9, 128, 512, 2_048, 8_192], StrandingSizes.InUnits(8, 8));
    }
}

/// <summary>The placement policy's choice among fabrics that fit (fit answers are the property tests' business).</summary>
public class PlacementPolicyTests
{
    // f1: 129 units (1,032 GPUs), f2: 128 units (1,024 GPUs), f3: 200 units (1,600 GPUs), all from minute 0.
    private static CapacityLedger Estate() => CapacityLedger.Build(new Scenario
    {
        Name = "policy", Platforms = [TinyWorld.Hgx()], Regions = [new Region { Id = new RegionId("r1"), Name = "r1" }],
        Sites = [TinyWorld.Site("s1", "r1")],
        Fabrics = [TinyWorld.Fabric("f1", "s1", 400), TinyWorld.Fabric("f2", "s1", 400), TinyWorld.Fabric("f3", "s1", 400)],
        Deliveries =
        [
            TinyWorld.Delivery("d1", "f1", 129, TinyWorld.At(0)), TinyWorld.Delivery("d2", "f2", 128, TinyWorld.At(0)),
            TinyWorld.Delivery("d3", "f3", 200, TinyWorld.At(0)),
        ],
    }).Ledger;

    private static DealRequest Line(int gpus, int block) => TinyWorld.Deal(new DealLine
    {
        Platform = new PlatformId("hgx"), Gpus = new GpuCount(gpus), Period = TinyWorld.Span(0, 60), Locality = Locality.Fabric,
        BlockSize = new GpuCount(block), PricePerGpuHour = Money.Usd(2m),
    });

    [Fact]
    public void Given_a_small_line_When_placing_Then_it_takes_the_fabric_where_it_breaks_no_1024_GPU_block()
    {
        var ledger = Estate();
        Assert.True(ledger.Sign(new ContractId("small"), Line(8, 8)).Applied);
        var line = Assert.Single(ledger.LineRefs);
        // Plain best fit would take f2 (least free), breaking its only 1,024-GPU block; f1 has 8 GPUs to spare.
        Assert.Equal(new FabricId("f1"), Assert.Single(ledger.PlacementOf(line)).Fabric);
        Assert.Equal(0m, ledger.Stranding(TinyWorld.Span(0, 60), minDealGpus: 1_024).Fabrics[0].StrandedGpuHours);
        Assert.True(ledger.Sign(new ContractId("t1"), Line(1_024, 1_024)).Applied);
        Assert.True(ledger.Sign(new ContractId("t2"), Line(1_024, 1_024)).Applied);
        Assert.True(ledger.Sign(new ContractId("t3"), Line(1_024, 1_024)).Applied);
    }

    [Fact]
    public void Given_no_block_is_at_stake_When_placing_Then_the_least_free_fabric_that_fits_wins()
    {
        var ledger = Estate();
        Assert.True(ledger.Sign(new ContractId("mid"), Line(1_024, 1_024)).Applied);
        // Every fabric loses exactly one 1,024-GPU block; f2 is the least free, so f1 and f3 keep their slack.
        Assert.Equal(new FabricId("f2"), Assert.Single(ledger.PlacementOf(Assert.Single(ledger.LineRefs))).Fabric);
    }
}
