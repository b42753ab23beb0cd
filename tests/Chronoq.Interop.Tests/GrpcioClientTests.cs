using Chronoq.Interop.Tests.Infrastructure;

namespace Chronoq.Interop.Tests;

/// <summary>python3-grpcio's client against the Chronoq server: one test per check of chronoq_client_checks.py.</summary>
public sealed class GrpcioClientTests(GrpcioClientChecksFixture checks) : IClassFixture<GrpcioClientChecksFixture>
{
    [Fact]
    public void HealthCheck_EmptyService_Serving() => checks.AssertPassed("health_check_serving");

    [Fact]
    public void HealthCheck_UnknownService_NotFound() => checks.AssertPassed("health_check_unknown_service_not_found");

    [Fact]
    public void HealthWatch_FirstStatusThenCancel_ServingThenCancelled() => checks.AssertPassed("health_watch_first_status_then_cancel");

    [Fact]
    public void HealthWatch_ShortDeadline_DeadlineExceeded() => checks.AssertPassed("health_watch_deadline_exceeded");

    [Fact]
    public void UnknownMethod_OfKnownService_Unimplemented() => checks.AssertPassed("unknown_method_unimplemented");

    [Fact]
    public void UnknownMethod_OfUnknownService_Unimplemented() => checks.AssertPassed("unknown_service_unimplemented");

    [Fact]
    public void LargeRequest_OneMebibyte_Served() => checks.AssertPassed("large_request_1mib_accepted");

    [Fact]
    public void OversizeRequest_PastServerLimit_ResourceExhausted() => checks.AssertPassed("oversize_request_resource_exhausted");

    [Fact]
    public void UnaryCalls_FiveHundredConcurrent_AllServed() => checks.AssertPassed("concurrent_500_unary_calls");

    [Fact]
    public void WatchStreams_TwoHundredOpenAtOnce_AllServed() => checks.AssertPassed("concurrent_200_watch_streams");

    [Fact]
    public void ChronoqApi_PutPeekReserveDelete_FullCycle() => checks.AssertPassed("chronoq_put_peek_reserve_delete");

    [Fact]
    public void ChronoqApi_PutInvalidTopic_InvalidArgumentNamingTopic() => checks.AssertPassed("chronoq_put_invalid_topic_invalid_argument");

    [Fact]
    public void ChronoqApi_DelayedPutThenKickJob_Ready() => checks.AssertPassed("chronoq_delayed_put_then_kick_job");

    [Fact]
    public void ChronoqApi_ReserveStreamCancelled_JobReadyAgain() => checks.AssertPassed("chronoq_reserve_stream_cancel_returns_job");
}
