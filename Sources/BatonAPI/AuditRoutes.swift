import BatonCore
import BatonHTTP
import BatonJSON
import BatonPlatform

/// `GET /api/v1/audit`: the calling key's tenant's entries, newest first. Nothing deletes or edits them.
enum AuditRoutes {
    static func register(on router: RouterBuilder, audit: AuditLog) {
        router.get("/api/v1/audit") { request, context in
            let principal = try KeyRoutes.principal(context)
            let page = try Pagination(request)
            let filter = AuditLog.Filter(
                tenant: principal.tenant, action: request.queryValue("action"), actor: request.queryValue("actor"),
                target: request.queryValue("target"), since: try timestamp(request, "since"),
                until: try timestamp(request, "until"))
            let (entries, total) = try await audit.list(filter, limit: page.limit, offset: page.offset)
            let body: JSONValue = [
                "entries": .array(entries.map(\.json)), "total": .int(Int64(total)), "limit": .int(Int64(page.limit)),
                "offset": .int(Int64(page.offset)),
            ]
            return .json(.ok, body.text)
        }
        // `baton audit verify` over HTTP, for the dashboard: the chain holds every tenant's
        // entries, so only an admin of the system tenant may walk it (an instance operation).
        router.get("/api/v1/audit/verify") { _, _ in
            let (result, anchor) = try await verifyOffPool(audit)
            var body: [String: JSONValue] = [
                "anchor": anchor.map {
                    [
                        "last_id": .int($0.lastID), "last_hash": .string($0.lastHash),
                        "pruned_before": .string($0.prunedBefore), "pruned_at": .string($0.prunedAt),
                    ]
                } ?? .null
            ]
            switch result {
            case .intact(let entries):
                body["intact"] = true
                body["entries"] = .int(Int64(entries))
            case .broken(let id, let reason):
                body["intact"] = false
                body["entry_id"] = .int(id)
                body["reason"] = .string(reason)
            }
            return .json(.ok, JSONValue.object(body).text)
        }
    }

    /// The walk reads the whole chain with blocking reads: on a thread of its own, never on the
    /// cooperative pool.
    static func verifyOffPool(_ audit: AuditLog) async throws -> (AuditLog.Verification, AuditAnchor?) {
        try await withCheckedThrowingContinuation { continuation in
            OSThread.detach(name: "baton-audit-verify") {
                continuation.resume(with: Result { (try audit.verify(), try audit.anchor()) })
            }
        }
    }

    /// An RFC 3339 UTC time as Baton writes them (`2026-11-22T10:00:00.000Z`, or without
    /// milliseconds), so string comparison in SQL orders it correctly.
    static func timestamp(_ request: HTTPRequest, _ name: String) throws -> String? {
        guard let text = request.queryValue(name) else { return nil }
        let bytes = Array(text.utf8)
        let shape = bytes.count == 20 || bytes.count == 24
        let ok =
            shape && bytes.last == UInt8(ascii: "Z") && bytes[4] == 45 && bytes[7] == 45 && bytes[10] == 84
            && bytes[13] == 58 && bytes[16] == 58
            && bytes.enumerated().allSatisfy { i, b in
                [4, 7, 10, 13, 16, bytes.count - 1].contains(i) || (i == 19 && bytes.count == 24 && b == 46)
                    || (b >= 48 && b <= 57)
            }
        // And a real time: month 1–12, a day that month can have, 00–23 h, 00–59 min, 00–60 s.
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(bytes[$1]) - 48 } }
        let valid =
            ok && (1...12).contains(number(5..<7)) && (1...31).contains(number(8..<10)) && number(11..<13) < 24
            && number(14..<16) < 60 && number(17..<19) <= 60
            && number(8..<10) <= daysIn(month: number(5..<7), year: number(0..<4))
        guard valid else {
            throw HTTPError.badRequest("\(name) must be an RFC 3339 UTC time such as 2026-11-22T10:00:00.000Z")
        }
        return bytes.count == 20 ? String(text.dropLast()) + ".000Z" : text
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
