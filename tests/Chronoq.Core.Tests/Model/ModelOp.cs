namespace Chronoq.Core.Tests.Model;

/// <summary>One random step of the model test; the fields are interpreted per <see cref="Kind"/>.</summary>
public sealed record ModelOp(ModelOpKind Kind, int A, int B, int C, int D);
