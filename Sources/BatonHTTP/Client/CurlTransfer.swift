import CCurl

/// One request's easy handle and what its callbacks collect. Created, driven and destroyed on the
/// client's loop thread only; nothing here is shared, and no pointer leaves this file.
final class CurlTransfer {
    typealias Completion = CheckedContinuation<Result<HTTPClientResponse, HTTPClientError>, Never>

    let id: UInt64
    let easy: UnsafeMutableRawPointer
    private let url: String
    private let maxResponseBytes: Int
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var completion: Completion?

    private var responseHeaders = HTTPHeaders()
    private var responseBody: [UInt8] = []
    private var exceededLimit = false

    /// Builds a configured easy handle, or fails with the reason the request cannot be sent.
    init(id: UInt64, request: HTTPClientRequest, completion: Completion) throws(HTTPClientError) {
        try CurlRequestValidation.check(request)
        guard let easy = baton_curl_easy_init() else {
            throw .transport(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_easy_init failed")
        }
        self.id = id
        self.easy = easy
        self.url = request.url
        self.maxResponseBytes = max(0, request.maxResponseBytes)
        self.completion = completion
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        // From here on deinit releases everything, so a failed setopt can simply throw.
        try configure(request)
    }

    deinit {
        baton_curl_easy_cleanup(easy)
        baton_curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Resumes the caller exactly once; later calls are ignored.
    func finish(_ result: Result<HTTPClientResponse, HTTPClientError>) {
        completion?.resume(returning: result)
        completion = nil
    }

    /// Maps libcurl's verdict on the finished transfer to a response or a typed error.
    func result(for code: CURLcode) -> Result<HTTPClientResponse, HTTPClientError> {
        if exceededLimit || code == CURLE_FILESIZE_EXCEEDED {
            return .failure(.responseTooLarge(limit: maxResponseBytes))
        }
        switch code {
        case CURLE_OK:
            var status = 0
            _ = baton_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            return .success(
                HTTPClientResponse(status: status, headers: responseHeaders, body: responseBody))
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .failure(.invalidURL(url))
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return .failure(.couldNotConnect(message(for: code)))
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timedOut)
        default:
            return .failure(.transport(code: Int(code.rawValue), message: message(for: code)))
        }
    }

    /// The detailed text libcurl left in the error buffer, else its generic text for the code.
    private func message(for code: CURLcode) -> String {
        if errorBuffer[0] != 0 { return String(cString: errorBuffer) }
        return String(cString: baton_curl_easy_strerror(code))
    }

    // MARK: - Options

    private func configure(_ request: HTTPClientRequest) throws(HTTPClientError) {
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_URL, string: request.url)
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        // Signals would hit arbitrary threads of the process; timeouts work without them.
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_FOLLOWLOCATION, 0)
        // An empty proxy disables http_proxy/https_proxy from the environment.
        try set(CURLOPT_PROXY, string: "")
        try set(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        try set(CURLOPT_TIMEOUT_MS, request.timeout.curlMilliseconds)
        try set(CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.curlMilliseconds)
        // Refuses at once a response whose Content-Length announces more than the limit; the
        // write callback covers chunked and unannounced bodies.
        try check(
            baton_curl_easy_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxResponseBytes)))

        let this = Unmanaged.passUnretained(self).toOpaque()
        try check(baton_curl_easy_setopt_data_cb(easy, CURLOPT_WRITEFUNCTION, curlBodyCallback))
        try set(CURLOPT_WRITEDATA, pointer: this)
        try check(baton_curl_easy_setopt_data_cb(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        try set(CURLOPT_HEADERDATA, pointer: this)

        try configureMethodAndBody(request)
        try configureHeaders(request)
    }

    private func configureMethodAndBody(_ request: HTTPClientRequest) throws(HTTPClientError) {
        let method = request.method
        if method == .head {
            try set(CURLOPT_NOBODY, 1)
            return
        }
        if method == .get && request.body.isEmpty {
            try set(CURLOPT_HTTPGET, 1)
            return
        }
        if !request.body.isEmpty || method == .post || method == .put || method == .patch {
            // Sends the body with Content-Length (also `0`, which servers expect on empty POSTs).
            try check(
                baton_curl_easy_setopt_off_t(
                    easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            let bytes = request.body.isEmpty ? [0] : request.body
            let code = bytes.withUnsafeBytes { buffer in
                baton_curl_easy_setopt_pointer(
                    easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress))
            }
            try check(code)
        }
        if method != .post { try set(CURLOPT_CUSTOMREQUEST, string: method.rawValue) }
    }

    private func configureHeaders(_ request: HTTPClientRequest) throws(HTTPClientError) {
        var lines: [String] = []
        for (name, value) in request.headers {
            // "Name;" is libcurl's spelling of a header with an empty value ("Name:" removes it).
            lines.append(value.isEmpty ? name + ";" : name + ": " + value)
        }
        let sendsBody = request.method != .get && request.method != .head || !request.body.isEmpty
        if sendsBody {
            // No `Expect: 100-continue` round trip, and no made-up form Content-Type.
            if !request.headers.contains("Expect") { lines.append("Expect:") }
            if !request.headers.contains("Content-Type") { lines.append("Content-Type:") }
        }
        for line in lines {
            guard let list = baton_curl_slist_append(headerList, line) else {
                throw .transport(
                    code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_slist_append failed")
            }
            headerList = list
        }
        if headerList != nil {
            try check(baton_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))
        }
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(baton_curl_easy_setopt_long(easy, option, value))
    }

    private func set(_ option: CURLoption, string: String) throws(HTTPClientError) {
        // libcurl copies string options, so the temporary C string may go away after the call.
        try check(baton_curl_easy_setopt_string(easy, option, string))
    }

    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer) throws(HTTPClientError) {
        try check(baton_curl_easy_setopt_pointer(easy, option, pointer))
    }

    private func check(_ code: CURLcode) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            if code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL {
                throw .invalidURL(url)
            }
            throw .transport(code: Int(code.rawValue), message: String(cString: baton_curl_easy_strerror(code)))
        }
    }

    // MARK: - Callbacks (run inside curl_multi_perform, on the loop thread)

    /// Returns how many bytes were taken; anything short of `bytes.count` makes libcurl abort.
    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard responseBody.count + bytes.count <= maxResponseBytes else {
            exceededLimit = true
            return 0
        }
        responseBody.append(contentsOf: bytes)
        return bytes.count
    }

    /// Called once per header line, status lines and the blank line included.
    fileprivate func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        var line = bytes[...]
        while let last = line.last, last == 0x0D || last == 0x0A { line = line.dropLast() }
        if line.starts(with: "HTTP/".utf8) {
            // A new response of this transfer (after a 1xx): keep only the final one's fields.
            responseHeaders = HTTPHeaders()
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: line[..<colon], as: UTF8.self)
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
        responseHeaders.add(name, String(decoding: value, as: UTF8.self))
    }
}

private let curlBodyCallback: baton_curl_data_cb = { data, size, count, context in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let curlHeaderCallback: baton_curl_data_cb = { data, size, count, context in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

extension Duration {
    /// libcurl takes milliseconds as a `long`, and reads 0 as "no timeout": clamp to at least 1 ms.
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        guard seconds < Int64(Int32.max) else { return Int(Int32.max) * 1000 }
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
