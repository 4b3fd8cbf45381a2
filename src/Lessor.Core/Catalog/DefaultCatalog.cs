using Lessor.Core.Model;

namespace Lessor.Core.Catalog;

/// <summary>
/// The default hardware catalog (docs: ../shared DOMAIN.md section 3). Power, packaging and availability follow
/// vendor figures; capex and every price not quoted in DOMAIN.md are estimates, labelled as such below.
/// </summary>
public static class DefaultCatalog
{
    /// <summary>Ids of the catalog's platforms, for code that needs one by name.</summary>
    public static class Ids
    {
        public static readonly PlatformId H100 = new("h100-hgx");
        public static readonly PlatformId H200 = new("h200-hgx");
        public static readonly PlatformId B200 = new("b200-hgx");
        public static readonly PlatformId Gb200 = new("gb200-nvl72");
        public static readonly PlatformId Gb300 = new("gb300-nvl72");
        public static readonly PlatformId VeraRubin = new("vr-nvl72");
        public static readonly PlatformId RubinUltra = new("rubin-ultra-nvl576");
        public static readonly PlatformId Mi355X = new("mi355x");
        public static readonly PlatformId Trn2 = new("trn2-ultraserver");
    }

    /// <summary>The nine default platforms, priced in <paramref name="c"/> (figures are USD-denominated).</summary>
    public static IReadOnlyList<Platform> Platforms(Currency c)
    {
        Money M(decimal amount) => new(amount, c);
        PriceList P(decimal onDemand, decimal reserved, decimal spot) => new(M(onDemand), M(reserved), M(spot));

        return
        [
            new Platform
            {
                Id = Ids.H100, Name = "H100 SXM HGX", Vendor = "NVIDIA",
                Aliases = ["H100", "HGX H100", "DGX H100"],
                GpusPerUnit = 8, DiesPerGpu = 1, ScaleUpDomainGpus = 8,
                UnitKw = 10.2m, Cooling = Cooling.Air,
                // Capex: about $250k per 8-GPU node all-in (estimate).
                CapexPerUnit = M(250_000m),
                // DOMAIN.md (3p): on-demand about $2.2, one-year reserved about $1.8, spot about $1.5.
                Prices = P(2.20m, 1.80m, 1.50m),
                LeadTimeDays = 180, AvailableFrom = Utc.Date(2023, 3, 21),
            },
            new Platform
            {
                Id = Ids.H200, Name = "H200 SXM HGX", Vendor = "NVIDIA",
                Aliases = ["H200", "HGX H200"],
                GpusPerUnit = 8, DiesPerGpu = 1, ScaleUpDomainGpus = 8,
                UnitKw = 10.2m, Cooling = Cooling.Air,
                CapexPerUnit = M(300_000m), // estimate
                Prices = P(2.60m, 2.10m, 1.75m), // invented, consistent with H100 plus the HBM3e premium
                LeadTimeDays = 210, AvailableFrom = Utc.Date(2024, 5, 1),
            },
            new Platform
            {
                Id = Ids.B200, Name = "B200 HGX", Vendor = "NVIDIA",
                Aliases = ["B200", "HGX B200", "DGX B200"],
                GpusPerUnit = 8, DiesPerGpu = 2, ScaleUpDomainGpus = 8,
                UnitKw = 14m, Cooling = Cooling.Air,
                CapexPerUnit = M(450_000m), // estimate
                // DOMAIN.md (3p): on-demand $3.75-6.00, spot about $2.25; reserved invented between them.
                Prices = P(4.50m, 3.40m, 2.25m),
                LeadTimeDays = 240, AvailableFrom = Utc.Date(2025, 1, 15),
            },
            new Platform
            {
                Id = Ids.Gb200, Name = "GB200 NVL72", Vendor = "NVIDIA",
                Aliases = ["GB200", "GB200 NVL72", "NVL72"],
                GpusPerUnit = 72, DiesPerGpu = 2, ScaleUpDomainGpus = 72,
                UnitKw = 132m, Cooling = Cooling.Liquid,
                CapexPerUnit = M(4_000_000m), // DOMAIN.md (3p): $3-5M all-in per rack
                Prices = P(6.00m, 4.40m, 3.00m), // invented, within the $3-5 reserved band for Blackwell racks
                LeadTimeDays = 240, AvailableFrom = Utc.Date(2025, 3, 1),
            },
            new Platform
            {
                Id = Ids.Gb300, Name = "GB300 NVL72", Vendor = "NVIDIA",
                Aliases = ["GB300", "GB300 NVL72", "Blackwell Ultra NVL72"],
                GpusPerUnit = 72, DiesPerGpu = 2, ScaleUpDomainGpus = 72,
                UnitKw = 135m, Cooling = Cooling.Liquid,
                CapexPerUnit = M(4_500_000m), // estimate
                Prices = P(6.50m, 4.70m, 3.25m), // invented
                LeadTimeDays = 240, AvailableFrom = Utc.Date(2025, 8, 1),
            },
            new Platform
            {
                Id = Ids.VeraRubin, Name = "Vera Rubin NVL72", Vendor = "NVIDIA",
                // GTC 2025 counted dies ("NVL144"); CES 2026 counts the 72 packages.
                Aliases = ["NVL144", "Vera Rubin NVL144", "Vera Rubin NVL72", "VR200 NVL144"],
                GpusPerUnit = 72, DiesPerGpu = 2, ScaleUpDomainGpus = 72,
                UnitKw = 190m, // estimates vary 120-230 kW; DOMAIN.md default
                Cooling = Cooling.Liquid,
                CapexPerUnit = M(6_000_000m), // estimate
                Prices = P(7.00m, 5.00m, 3.50m), // invented
                LeadTimeDays = 270, AvailableFrom = Utc.Date(2026, 7, 1),
            },
            new Platform
            {
                Id = Ids.RubinUltra, Name = "Rubin Ultra NVL576", Vendor = "NVIDIA",
                Aliases = ["Rubin Ultra", "Kyber NVL576", "NVL576"],
                GpusPerUnit = 144, DiesPerGpu = 4, ScaleUpDomainGpus = 144,
                UnitKw = 600m, Cooling = Cooling.Liquid,
                CapexPerUnit = M(20_000_000m), // estimate
                Prices = P(9.50m, 6.80m, 4.75m), // invented
                LeadTimeDays = 270, AvailableFrom = Utc.Date(2027, 7, 1),
            },
            new Platform
            {
                Id = Ids.Mi355X, Name = "AMD Instinct MI355X", Vendor = "AMD",
                Aliases = ["MI355X", "MI355"],
                // AMD names parts by package; its chiplets are not counted as dies here.
                GpusPerUnit = 8, DiesPerGpu = 1, ScaleUpDomainGpus = 8,
                UnitKw = 14m, Cooling = Cooling.Liquid, // 1400 W parts, liquid-cooled
                CapexPerUnit = M(350_000m), // estimate
                Prices = P(3.30m, 2.40m, 1.70m), // invented
                LeadTimeDays = 210, AvailableFrom = Utc.Date(2025, 7, 1),
            },
            new Platform
            {
                Id = Ids.Trn2, Name = "AWS Trn2 UltraServer", Vendor = "AWS",
                Aliases = ["Trn2 UltraServer", "trn2u.48xlarge"],
                // Four Trn2 instances joined by NeuronLink: 64 Trainium2 chips in one scale-up domain.
                GpusPerUnit = 64, DiesPerGpu = 1, ScaleUpDomainGpus = 64,
                UnitKw = 40m, Cooling = Cooling.Air, // estimate
                CapexPerUnit = M(1_500_000m), // estimate
                Prices = P(2.80m, 1.95m, 1.40m), // invented, per chip-hour
                LeadTimeDays = 180, AvailableFrom = Utc.Date(2024, 12, 3),
            },
        ];
    }
}
