namespace Chronoq.Core.Tests.Model;

public enum ModelOpKind
{
    Put,
    Poll,
    Delete,
    Release,
    Bury,
    Kick,
    KickJob,
    Touch,
    Advance,
    Peek,
    PeekNext,
    DeleteByKey,
    ReserveJob,
}
