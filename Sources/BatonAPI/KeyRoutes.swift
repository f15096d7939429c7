import BatonCore
import BatonHTTP
import BatonJSON

/// `/api/v1/keys`: admin-only key management within the admin's own tenant.
enum KeyRoutes {
    static func register(on router: RouterBuilder, keys: KeyStore) {
        router.post("/api/v1/keys") { request, context in
            let admin = try principal(context)
            let body = try JSONBody(request, allowed: ["name", "role", "tenant"])
            let name = try body.string("name")!
            let roleText = try body.string("role")!
            guard let role = Role(rawValue: roleText) else {
                throw HTTPError.badRequest("role must be one of admin, operator, viewer, worker")
            }
            let tenant = try body.string("tenant", required: false) ?? admin.tenant
            guard tenant == admin.tenant else {
                throw HTTPError.forbidden("an admin key may only create keys in its own tenant (\(admin.tenant))")
            }
            do {
                let (record, token) = try await keys.create(name: name, role: role, tenant: tenant)
                var json = recordJSON(record)
                json["key"] = .string(token.text)
                return .json(.created, JSONValue.object(json).text)
            } catch let failure as KeyStore.Failure {
                throw HTTPError.badRequest(failure.description)
            }
        }
        router.get("/api/v1/keys") { request, context in
            let admin = try principal(context)
            let page = try Pagination(request)
            let (list, total) = keys.list(tenant: admin.tenant, limit: page.limit, offset: page.offset)
            let body: JSONValue = [
                "keys": .array(list.map { .object(recordJSON($0)) }), "total": .int(Int64(total)),
                "limit": .int(Int64(page.limit)), "offset": .int(Int64(page.offset)),
            ]
            return .json(.ok, body.text)
        }
        router.delete("/api/v1/keys/:id") { _, context in
            let admin = try principal(context)
            let id = context.parameter("id") ?? ""
            guard APIKeyToken.isValidID(id) else { throw HTTPError.notFound("no key \(JSONText.quote(id))") }
            do {
                try await keys.revoke(id: id, tenant: admin.tenant)
            } catch KeyStore.Failure.notFound {
                throw HTTPError.notFound("no active key \(JSONText.quote(id))")
            } catch KeyStore.Failure.lastAdmin {
                throw HTTPError.conflict(KeyStore.Failure.lastAdmin.description)
            }
            return HTTPResponse(status: .noContent)
        }
    }

    static func principal(_ context: RequestContext) throws -> Principal {
        guard let principal = context.storage[PrincipalKey.self] else { throw HTTPError.unauthorized() }
        return principal
    }

    static func recordJSON(_ record: APIKeyRecord) -> [String: JSONValue] {
        [
            "id": .string(record.id), "name": .string(record.name), "role": .string(record.role.rawValue),
            "tenant": .string(record.tenant), "created_at": .string(record.createdAt),
            "revoked_at": record.revokedAt.map(JSONValue.string) ?? .null,
            "last_used_at": record.lastUsedAt.map(JSONValue.string) ?? .null,
        ]
    }
}
