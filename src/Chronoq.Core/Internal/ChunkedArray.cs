using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Chronoq.Core.Internal;

/// <summary>
/// An array that grows in fixed chunks of <see cref="ChunkSize"/> elements instead of doubling, so
/// at most one chunk is unused: a doubling array for 10 M jobs reserves 16.7 M. Elements never move
/// once allocated, so growing copies nothing but the chunk table.
/// </summary>
internal sealed class ChunkedArray<T>
{
    /// <summary>4096 elements: at a million jobs the last chunk's slack is under 0.5 %.</summary>
    public const int ChunkBits = 12;
    public const int ChunkSize = 1 << ChunkBits;
    private const int ChunkMask = ChunkSize - 1;

    private T[][] _chunks = new T[4][];

    public ChunkedArray(int initialCapacity) => EnsureCapacity(Math.Max(initialCapacity, 1));

    /// <summary>Elements that can be addressed (indexes below it are valid).</summary>
    public int Capacity { get; private set; }

    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            // Every chunk is full size, so the offset within one is always in range: only the chunk
            // table is bounds-checked (an index past the capacity finds no chunk and throws).
            var chunk = _chunks[index >> ChunkBits];
            return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), index & ChunkMask);
        }
    }

    /// <summary>Grows so indexes below <paramref name="capacity"/> are valid; new elements are default.</summary>
    public void EnsureCapacity(int capacity)
    {
        while (Capacity < capacity)
        {
            var chunk = Capacity >> ChunkBits;
            if (chunk == _chunks.Length)
            {
                Array.Resize(ref _chunks, _chunks.Length * 2);
            }

            _chunks[chunk] = new T[ChunkSize];
            Capacity += ChunkSize;
        }
    }
}
