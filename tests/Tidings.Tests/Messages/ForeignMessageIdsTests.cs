namespace Tidings.Tests.Messages;

public sealed class ForeignMessageIdsTests
{
    [Fact]
    public void A_name_based_id_matches_the_rfc_test_vector()
    {
        // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), ForeignMessageIds.NameBased(dns, "www.example.com"));
    }

    [Fact]
    public void A_foreign_id_that_is_no_guid_maps_to_the_same_uuid_every_time_and_to_another_for_another_id()
    {
        var first = ForeignMessageIds.From("order-77/charge");

        Assert.Equal(first, ForeignMessageIds.From("order-77/charge"));
        Assert.NotEqual(first, ForeignMessageIds.From("order-78/charge"));
        Assert.Equal(5, first!.Value.Version);
    }

    [Fact]
    public void A_guid_id_is_kept_and_a_missing_id_is_left_to_the_caller()
    {
        var id = Guid.CreateVersion7();

        Assert.Equal(id, ForeignMessageIds.From(id.ToString()));
        Assert.Null(ForeignMessageIds.From(null));
        Assert.Null(ForeignMessageIds.From(""));
    }
}
