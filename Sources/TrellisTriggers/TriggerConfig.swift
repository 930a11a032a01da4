import TrellisCore

/// One trigger from the config's `triggers.<name>` entry, validated at startup.
public struct TriggerConfig: Sendable {
    public enum Kind: Sendable, Equatable {
        case schedule(ScheduleSettings)
        case file(FileSettings)
        case webhook(WebhookSettings)
        case queue
    }

    /// 1 to 64 letters, digits, `-`, `_`, `.`; the `{trigger}` of `/events/{trigger}`.
    public var name: String
    public var kind: Kind
    /// The function the events go to: a batch function gets batches; an ordinary function gets one
    /// invocation per event (a POST with the event's data as body).
    public var target: String
    public var batch: BatchSettings
    public var retry: RetrySettings

    public init(name: String, kind: Kind, target: String, batch: BatchSettings = BatchSettings(), retry: RetrySettings = RetrySettings()) {
        self.name = name
        self.kind = kind
        self.target = target
        self.batch = batch
        self.retry = retry
    }

    /// The principal a trigger's invocations run as, for authorization rules: `trigger:<name>`.
    public var principal: Principal { Principal(id: "trigger:\(name)", scheme: "trigger") }
}

/// When a batch is flushed: at `maxItems` events, `maxBytes` bytes of data, or `maxWait` after its
/// first event, whichever comes first.
public struct BatchSettings: Sendable, Equatable {
    /// Default 100 events.
    public var maxItems = 100
    /// How long a batch may wait for more events after its oldest one is due. Default 0: deliver what
    /// is due now, which keeps async calls and webhooks fast; raise it to get fuller batches.
    public var maxWait: Duration = .zero
    /// Default 1 MiB of event data.
    public var maxBytes = 1024 * 1024
    /// Batches of this trigger that may run at once. Default 1.
    public var concurrency = 1

    public init() {}
}

/// Exponential backoff with full jitter: before attempt n+1 the event waits a random time in
/// [0, min(maxDelay, baseDelay * 2^(n-1))]. After `maxAttempts` deliveries it is dead-lettered.
public struct RetrySettings: Sendable, Equatable {
    /// Default 5 deliveries in all.
    public var maxAttempts = 5
    /// Default 1 s.
    public var baseDelay: Duration = .seconds(1)
    /// Default 5 min.
    public var maxDelay: Duration = .seconds(300)

    public init() {}
}

public struct ScheduleSettings: Sendable, Equatable {
    public enum Timing: Sendable, Equatable {
        /// Five-field cron (minute hour day-of-month month day-of-week) evaluated in `timeZone`.
        case cron(String)
        case every(Duration)
    }

    /// The policy for fire times missed while the process was down.
    public enum Misfire: String, Sendable, Equatable {
        /// Fire once at startup for the missed times (one event, carrying the latest missed time).
        case fireOnce
        /// Skip missed times and wait for the next one.
        case skip
    }

    public var timing: Timing
    /// An IANA zone name such as `Europe/Berlin`. Default `UTC`.
    public var timeZone = "UTC"
    public var misfire = Misfire.skip
    /// The JSON data every event carries. Default `{}`.
    public var data: [UInt8] = Array("{}".utf8)

    public init(timing: Timing) { self.timing = timing }
}

public struct FileSettings: Sendable, Equatable {
    public enum Split: String, Sendable, Equatable {
        /// One event per file, the whole file as data.
        case none
        /// One event per non-empty line.
        case lines
        /// One event per CSV row after the header, as a JSON object keyed by the header's names.
        case csv
        /// One event per line of newline-delimited JSON.
        case ndjson
    }

    /// The folder watched for new files; `done/` and `failed/` are made inside it.
    public var path: String
    /// A glob on the file name (`*`, `?`, `[abc]`), default `*`. Names starting with `.` and ending in
    /// `.tmp` or `.part` never match: they are files still being written under a temporary name.
    public var pattern = "*"
    public var split = Split.none
    /// A file is complete when its size and modification time did not change for this long. Default 1 s.
    public var stableFor: Duration = .seconds(1)
    /// The folder is rescanned this often in case a file-system event was missed. Default 5 s.
    public var rescanEvery: Duration = .seconds(5)
    /// The largest file accepted; a larger one moves to `failed/`. Default 256 MiB.
    public var maxFileBytes = 256 * 1024 * 1024

    public init(path: String) { self.path = path }
}

public struct WebhookSettings: Sendable, Equatable {
    public enum Signature: Sendable, Equatable {
        case none
        /// `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body.
        case hubSignature(secret: [UInt8])
        /// `<header>: t=<unix>,v1=<hex>`: HMAC-SHA256 of `t + "." + body`, with `t` within `tolerance`.
        case timestamped(secret: [UInt8], header: String, tolerance: Duration)
    }

    public var signature = Signature.none
    /// How long an `Idempotency-Key` or an event's own `id` is remembered. Default 24 h.
    public var idempotencyWindow: Duration = .seconds(86_400)
    /// The largest request body; larger gets 413. Default 1 MiB.
    public var maxBodyBytes = 1024 * 1024
    /// The maximum number of events in one request; more gets 413. Default 1,000.
    public var maxEvents = 1000

    public init() {}
}
