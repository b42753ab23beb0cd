// The undo window: every order gets an expiry job, keyed by the order id and delayed by the
// payment window. Paying in time cancels the job by its key; an unpaid order's job comes due and
// the consumer cancels the order.
//   dotnet run --project examples/OrderTimeout -- --address http://127.0.0.1:50051 [--window-seconds 3]
using System.Globalization;
using Chronoq.Sdk;
using OrderTimeout;

var address = Argument("--address") ?? "http://127.0.0.1:50051";
var window = TimeSpan.FromSeconds(double.Parse(Argument("--window-seconds") ?? "3", CultureInfo.InvariantCulture));
await using var client = new ChronoqClient(address);
var expiries = client.Topic("examples.order-expiry", ExampleJsonContext.Default.OrderExpiry);

var paid = $"order-{Guid.NewGuid():N}"[..14];
var unpaid = $"order-{Guid.NewGuid():N}"[..14];
foreach (var order in new[] { paid, unpaid })
{
    // The key makes a retried "order placed" handler harmless: the second put finds the first job.
    var put = await expiries.PutAsync(new OrderExpiry(order, DateTimeOffset.UtcNow), new PutOptions { Key = order, Delay = window });
    Console.WriteLine($"{order} placed; expiry job {put.Id} due in {window.TotalSeconds:0.#} s (created: {put.Created})");
}

// The customer pays for the first order within the window: cancel its expiry by key.
var cancelled = await client.DeleteByKeyAsync(expiries.Name, paid);
Console.WriteLine($"{paid} paid; expiry cancelled: {cancelled}");

// Too late to undo an order whose window has passed: DeleteByKey then finds nothing (false).
using var timeout = new CancellationTokenSource(window + TimeSpan.FromSeconds(10));
var expired = await expiries.ReserveOneAsync(window + TimeSpan.FromSeconds(5), timeout.Token);
if (expired is null)
{
    Console.WriteLine("no order expired in time (is the server's clock running?)");
    return 1;
}

Console.WriteLine($"{expired.Value.OrderId} was not paid within {window.TotalSeconds:0.#} s: cancelling it (placed {expired.Value.PlacedAt:T})");
await expired.DeleteAsync();
Console.WriteLine($"undo after expiry finds nothing: {!await client.DeleteByKeyAsync(expiries.Name, unpaid)}");
return 0;

string? Argument(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
