import CCurl

/// `curl_global_init` must run once per process before any other libcurl call, and is not
/// thread-safe itself; a Swift global `let` is initialised exactly once, thread-safely, on first use.
enum CurlGlobal {
    static let initResult: CURLcode = baton_curl_global_init_all()

    static func ensureInitialized() -> Bool { initResult == CURLE_OK }
}
