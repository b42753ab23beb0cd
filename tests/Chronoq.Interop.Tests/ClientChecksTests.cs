using Chronoq.Interop.Tests.Infrastructure;

namespace Chronoq.Interop.Tests;

/// <summary>
/// The checks every foreign client script runs against the Chronoq server (python's
/// chronoq_client_checks.py and node's chronoq_client_checks.js have the same check names): one
/// test per check, so a failure says which. Subclasses pick the script through their fixture.
/// </summary>
public abstract class ClientChecksTests(ClientChecksFixture checks)
{
    protected ClientChecksFixture Checks { get; } = checks;

    [Fact]
    public void HealthCheck_EmptyService_Serving() => Checks.AssertPassed("health_check_serving");

    [Fact]
    public void HealthCheck_UnknownService_NotFound() => Checks.AssertPassed("health_check_unknown_service_not_found");

    [Fact]
    public void HealthWatch_FirstStatusThenCancel_ServingThenCancelled() => Checks.AssertPassed("health_watch_first_status_then_cancel");

    [Fact]
    public void HealthWatch_ShortDeadline_DeadlineExceeded() => Checks.AssertPassed("health_watch_deadline_exceeded");

    [Fact]
    public void UnknownMethod_OfKnownService_Unimplemented() => Checks.AssertPassed("unknown_method_unimplemented");

    [Fact]
    public void UnknownMethod_OfUnknownService_Unimplemented() => Checks.AssertPassed("unknown_service_unimplemented");

    [Fact]
    public void LargeRequest_OneMebibyte_Served() => Checks.AssertPassed("large_request_1mib_accepted");

    [Fact]
    public void OversizeRequest_PastServerLimit_ResourceExhausted() => Checks.AssertPassed("oversize_request_resource_exhausted");

    [Fact]
    public void UnaryCalls_FiveHundredConcurrent_AllServed() => Checks.AssertPassed("concurrent_500_unary_calls");

    [Fact]
    public void WatchStreams_TwoHundredOpenAtOnce_AllServed() => Checks.AssertPassed("concurrent_200_watch_streams");

    [Fact]
    public void ChronoqApi_PutPeekReserveDelete_FullCycle() => Checks.AssertPassed("chronoq_put_peek_reserve_delete");

    [Fact]
    public void ChronoqApi_PutInvalidTopic_InvalidArgumentNamingTopic() => Checks.AssertPassed("chronoq_put_invalid_topic_invalid_argument");

    [Fact]
    public void ChronoqApi_DelayedPutThenKickJob_Ready() => Checks.AssertPassed("chronoq_delayed_put_then_kick_job");

    [Fact]
    public void ChronoqApi_ReserveStreamCancelled_JobReadyAgain() => Checks.AssertPassed("chronoq_reserve_stream_cancel_returns_job");
}
