using Lessor.Core.Fleet;
using Lessor.Core.Risk;

namespace Lessor.Core.Tests.Fleet;

public class SparePoolPolicyTests
{
    [Fact]
    public void Given_the_default_failure_model_When_sizing_a_pool_Then_the_lead_time_is_the_mean_repair_and_the_docs_example_holds()
    {
        // Mean repair: 0.301 x 288 + 0.172 x 288 + 0.129 x 0.5 + (0.084 + 0.076 + 0.238) x 3 = 136.224 + 0.0645 + 1.194 = 137.4825 h (shares sum to 1).
        var policy = SparePoolPolicy.From(new FailureModel());
        Assert.Equal(137.4825, policy.LeadTimeHours, 6);
        // 8,192 GPUs: 8,192 / 50,700 x 137.4825 = 22.214 nodes out at once; x 1.5 = 33.3: 34 nodes.
        Assert.Equal(34, policy.Nodes(8_192, 8));
        Assert.Equal(1, policy.Nodes(8, 8));
        Assert.Equal(0, policy.Nodes(0, 8));
        // Rack-scale: 18 trays per unit, 34 trays take 2 units.
        Assert.Equal(2, policy.Units(8_192, 4, 18));
    }
}
