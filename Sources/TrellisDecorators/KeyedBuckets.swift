import Synchronization

/// One `TokenBucket` per key (a client address, a principal id, a header value), with a bounded
/// number of keys. All buckets share one capacity and refill rate. Safe to call from any thread.
///
/// Memory bound: at most `maxKeys` buckets exist at once. Two rules keep the table within it:
/// 1. A bucket that is full again is dropped. A full bucket behaves exactly like a new one, so
///    dropping it loses nothing. Each `take` checks up to `maxPrunedPerTake` of the least recently
///    used buckets and drops those that are full, stopping at the first that is not.
/// 2. When a new key arrives and the table still contains `maxKeys` buckets, the least recently used
///    bucket is dropped even though it is not full. That key starts again with a full bucket when it
///    returns, so the limit is enforced less strictly for it; `lossyEvictionCount` counts these drops.
///    The table never rejects a new key: rejecting would let a sender of many keys (spoofed headers,
///    many addresses) lock every new client out, while eviction only helps clients that were
///    already idle longest.
///
/// Bytes per key (an estimate from `MemoryLayout` on 64-bit Linux, not a measurement): a slot of
/// `MemoryLayout<Slot>.stride` (56) bytes in an array that grows by doubling (56 to 112), plus a
/// dictionary entry of a `String` key and an `Int32` index (20 bytes) at a load factor between 3/8
/// and 3/4 (27 to 54 bytes). That gives about 83 to 165 bytes per key, so 100 000 keys take about
/// 8 to 17 MB. A key longer than 15 UTF-8 bytes also has its own heap buffer of about 32 bytes plus
/// its length, shared by the dictionary and the slot. `estimatedBytesPerKey` computes the upper end.
/// A measurement agrees: inserting 65 536 to 200 000 IPv4-address keys into an empty table grew the
/// resident memory (`/proc/self/statm`) by 107 to 116 bytes per key, excluding the key strings
/// (built with `swiftc -O`, Swift 6.3.1, x86_64 Debian 12 on an AMD EPYC virtual machine).
///
/// The lock is held for one dictionary lookup, one bucket update, the list moves and at most
/// `maxPrunedPerTake` removals; it never calls out or allocates except when the table grows.
public final class KeyedBuckets: Sendable {
    /// The default bound on the number of keys.
    public static let defaultMaxKeys = 100_000
    /// How many least recently used buckets one `take` checks for being full again.
    public static let maxPrunedPerTake = 8

    public let capacity: Double
    public let refillPerSecond: Double
    /// The maximum number of buckets held at once; at least 1.
    public let maxKeys: Int

    private let table: Mutex<Table>
    private let evictions = Atomic<Int>(0)

    /// Creates an empty table. Throws `TokenBucket.InvalidParameter` for a capacity or rate that is
    /// not a finite number above 0. `maxKeys` must be at least 1 and fit an `Int32`, else this traps.
    public init(capacity: Double, refillPerSecond: Double, maxKeys: Int = defaultMaxKeys) throws(TokenBucket.InvalidParameter) {
        precondition(maxKeys >= 1 && maxKeys <= Int(Int32.max), "KeyedBuckets maxKeys must be between 1 and \(Int32.max), found \(maxKeys)")
        let prototype = try TokenBucket(capacity: capacity, refillPerSecond: refillPerSecond, now: 0)
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.maxKeys = maxKeys
        self.table = Mutex(Table(prototype: prototype))
    }

    /// Takes `cost` tokens from the bucket of `key` at `now` (monotonic nanoseconds), creating a full
    /// bucket for a key seen for the first time. The semantics of each take are those of
    /// `TokenBucket.take`, so a refused take changes nothing in that bucket.
    public func take(_ key: String, cost: Double = 1, at now: UInt64) -> TokenBucket.Decision {
        update(key, at: now) { $0.take(cost, at: now) }
    }

    /// Takes up to `count` units of `cost` tokens from the bucket of `key` at `now` (monotonic
    /// nanoseconds): as many as the bucket contains, creating a full bucket for a new key. The
    /// semantics are those of `TokenBucket.take(upTo:cost:at:)`, so taking 0 units changes nothing
    /// in that bucket.
    public func take(_ key: String, upTo count: Int, cost: Double = 1, at now: UInt64) -> TokenBucket.PartialTake {
        update(key, at: now) { $0.take(upTo: count, cost: cost, at: now) }
    }

    private func update<Result: Sendable>(
        _ key: String, at now: UInt64, _ body: @Sendable (inout TokenBucket) -> Result
    ) -> Result {
        let (result, evicted) = table.withLock { table in
            table.update(key, at: now, maxKeys: maxKeys, body)
        }
        if evicted { evictions.add(1, ordering: .relaxed) }
        return result
    }

    /// The number of buckets held now.
    public var count: Int { table.withLock { $0.index.count } }

    /// How many buckets that were not yet full have been dropped to make room for a new key.
    public var lossyEvictionCount: Int { evictions.load(ordering: .relaxed) }

    /// True when a bucket for `key` is held now.
    public func contains(_ key: String) -> Bool { table.withLock { $0.index[key] != nil } }

    /// The upper end of the bytes-per-key estimate in the type's documentation, without the key's
    /// own heap buffer.
    public static var estimatedBytesPerKey: Int {
        let slot = MemoryLayout<Slot>.stride * 2
        let dictionaryEntry = MemoryLayout<String>.stride + MemoryLayout<Int32>.stride
        return slot + dictionaryEntry * 8 / 3
    }

    /// One bucket and its links in the recency list. Free slots are chained through `older`.
    struct Slot {
        var key: String
        var bucket: TokenBucket
        var older: Int32
        var newer: Int32
    }

    /// The buckets in slot storage, indexed by key, linked from most to least recently used.
    struct Table {
        static let none: Int32 = -1

        let prototype: TokenBucket
        var index: [String: Int32] = [:]
        var slots: [Slot] = []
        var newest = none
        var oldest = none
        var firstFree = none

        init(prototype: TokenBucket) { self.prototype = prototype }

        /// Applies `body` to the bucket of `key`. Returns its result and whether a bucket that was not
        /// full had to be evicted.
        mutating func update<Result>(
            _ key: String, at now: UInt64, maxKeys: Int, _ body: (inout TokenBucket) -> Result
        ) -> (Result, Bool) {
            if let slot = index[key] {
                let result = body(&slots[Int(slot)].bucket)
                moveToNewest(slot)
                pruneFull(at: now, keeping: slot)
                return (result, false)
            }

            pruneFull(at: now, keeping: Self.none)
            var evicted = false
            if index.count >= maxKeys {
                remove(oldest)
                evicted = true
            }
            var bucket = TokenBucket(checkedCapacity: prototype.capacity, refillPerSecond: prototype.refillPerSecond, now: now)
            let result = body(&bucket)
            insert(key, bucket)
            return (result, evicted)
        }

        /// Drops up to `maxPrunedPerTake` least recently used buckets that are full at `now`, stopping at
        /// the first that is not full or at `keeping`.
        private mutating func pruneFull(at now: UInt64, keeping: Int32) {
            for _ in 0..<KeyedBuckets.maxPrunedPerTake {
                let candidate = oldest
                guard candidate != Self.none, candidate != keeping, slots[Int(candidate)].bucket.isFull(at: now) else { return }
                remove(candidate)
            }
        }

        private mutating func insert(_ key: String, _ bucket: TokenBucket) {
            let slot: Int32
            if firstFree != Self.none {
                slot = firstFree
                firstFree = slots[Int(slot)].older
                slots[Int(slot)] = Slot(key: key, bucket: bucket, older: newest, newer: Self.none)
            } else {
                slot = Int32(slots.count)
                slots.append(Slot(key: key, bucket: bucket, older: newest, newer: Self.none))
            }
            if newest != Self.none { slots[Int(newest)].newer = slot }
            newest = slot
            if oldest == Self.none { oldest = slot }
            index[key] = slot
        }

        private mutating func remove(_ slot: Int32) {
            unlink(slot)
            index[slots[Int(slot)].key] = nil
            // An empty key releases the removed key's heap buffer, if it had one.
            slots[Int(slot)].key = ""
            slots[Int(slot)].older = firstFree
            firstFree = slot
        }

        private mutating func moveToNewest(_ slot: Int32) {
            guard slot != newest else { return }
            unlink(slot)
            slots[Int(slot)].older = newest
            slots[Int(slot)].newer = Self.none
            slots[Int(newest)].newer = slot
            newest = slot
            if oldest == Self.none { oldest = slot }
        }

        private mutating func unlink(_ slot: Int32) {
            let older = slots[Int(slot)].older
            let newer = slots[Int(slot)].newer
            if older != Self.none { slots[Int(older)].newer = newer } else { oldest = newer }
            if newer != Self.none { slots[Int(newer)].older = older } else { newest = older }
        }
    }
}
