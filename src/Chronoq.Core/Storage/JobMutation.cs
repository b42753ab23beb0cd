namespace Chronoq.Core.Storage;

/// <summary>What a mutation does to a stored job.</summary>
public enum MutationKind : byte
{
    /// <summary>Insert the job, or replace every field of its stored row.</summary>
    Upsert = 1,

    /// <summary>Remove the job.</summary>
    Delete = 2,
}

/// <summary>One change to one job. For <see cref="MutationKind.Delete"/> only the id matters.</summary>
public readonly record struct JobMutation(MutationKind Kind, JobRecord Record)
{
    /// <summary>A mutation that removes the job with the given id.</summary>
    public static JobMutation Delete(ulong id) => new(MutationKind.Delete, new JobRecord { Id = id });

    /// <summary>A mutation that stores the whole record.</summary>
    public static JobMutation Upsert(JobRecord record) => new(MutationKind.Upsert, record);
}
