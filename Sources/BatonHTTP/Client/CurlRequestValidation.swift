import CCurl

/// Checks done before anything is handed to libcurl, so bad input fails fast with a precise error.
enum CurlRequestValidation {
    static func check(_ request: HTTPClientRequest) throws(HTTPClientError) {
        try checkURL(request.url)
        for (name, value) in request.headers {
            guard isToken(name), !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
            else {
                throw .invalidRequest("header \"\(name)\"")
            }
        }
        guard isToken(request.method.rawValue) else {
            throw .invalidRequest("method \"\(request.method.rawValue)\"")
        }
    }

    /// An absolute http(s) URL as libcurl's own parser sees it (no spaces, no NUL, a host).
    private static func checkURL(_ url: String) throws(HTTPClientError) {
        guard !url.utf8.contains(0), let handle = baton_curl_url() else { throw .invalidURL(url) }
        defer { baton_curl_url_cleanup(handle) }
        guard baton_curl_url_set(handle, CURLUPART_URL, url, 0) == CURLUE_OK else { throw .invalidURL(url) }
        var scheme: UnsafeMutablePointer<CChar>?
        guard baton_curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK, let scheme else {
            throw .invalidURL(url)
        }
        defer { baton_curl_free(scheme) }
        let name = String(cString: scheme).lowercased()
        guard name == "http" || name == "https" else { throw .invalidURL(url) }
    }

    /// RFC 9110 token: the characters allowed in header names and methods.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }
}
