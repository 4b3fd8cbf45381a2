using CsCheck;
using Lessor.Server.Desk;

namespace Lessor.Server.Tests.Desk;

/// <summary>The desk's append-only book list: every view keeps exactly what it had, whatever is appended to which view.</summary>
public class GrowingListTests
{
    [Fact]
    public void Given_random_appends_to_any_earlier_view_When_reading_every_view_Then_each_holds_exactly_its_own_items()
    {
        Gen.Int.Array[1, 60].Sample(ops =>
        {
            var views = new List<(GrowingList<int> View, List<int> Expected)> { (GrowingList<int>.From([1, 2, 3]), [1, 2, 3]) };
            foreach (var op in ops)
            {
                // Mostly the newest view (the desk's case), sometimes an older one (must copy, not overwrite).
                var from = op % 4 == 0 ? (int)((uint)op % (uint)views.Count) : views.Count - 1;
                var (view, expected) = views[from];
                views.Add((view.Append(op), [.. expected, op]));
            }
            foreach (var (view, expected) in views)
            {
                Assert.Equal(expected.Count, view.Count);
                Assert.Equal(expected, view.ToList());
                for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i], view[i]);
                Assert.Throws<ArgumentOutOfRangeException>(() => view[expected.Count]);
            }
        }, iter: 2_000);
    }
}
