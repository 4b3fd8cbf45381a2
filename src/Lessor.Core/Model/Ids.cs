namespace Lessor.Core.Model;

// Ids are the slugs a planner writes in a scenario file ("gb300-nvl72", "us-east", "meta-2").
// Each kind has its own type so a site id can never be passed where a fabric id is expected.

/// <summary>Identifies a platform (hardware SKU) in the catalog.</summary>
public readonly record struct PlatformId(string Value) { public override string ToString() => Value; }

/// <summary>Identifies a region.</summary>
public readonly record struct RegionId(string Value) { public override string ToString() => Value; }

/// <summary>Identifies a data-center site.</summary>
public readonly record struct SiteId(string Value) { public override string ToString() => Value; }

/// <summary>Identifies a scale-out fabric inside a site.</summary>
public readonly record struct FabricId(string Value) { public override string ToString() => Value; }

/// <summary>Identifies a delivery of units into a fabric.</summary>
public readonly record struct DeliveryId(string Value) { public override string ToString() => Value; }

/// <summary>Identifies a customer.</summary>
public readonly record struct CustomerId(string Value) { public override string ToString() => Value; }

/// <summary>Identifies a contract.</summary>
public readonly record struct ContractId(string Value) { public override string ToString() => Value; }

/// <summary>Identifies a line within its contract.</summary>
public readonly record struct LineId(string Value) { public override string ToString() => Value; }

/// <summary>A line anywhere in the book: its contract and its id inside that contract.</summary>
public readonly record struct LineRef(ContractId Contract, LineId Line) { public override string ToString() => $"{Contract}/{Line}"; }
