import BatonWorkerProtocol

/// The one timestamp format (RFC 3339 UTC with milliseconds) lives with the worker protocol,
/// which both the coordinator and the worker import; the core's code and its users keep the name.
public typealias Timestamp = BatonWorkerProtocol.Timestamp
