import BatonCore
import BatonHTTP
import BatonJSON

/// `/api/v1/secrets`: names in, values never out. The tenant is always the calling key's.
enum SecretRoutes {
    static func register(on router: RouterBuilder, vault: SecretVault) {
        router.get("/api/v1/secrets") { request, context in
            let principal = try KeyRoutes.principal(context)
            let page = try Pagination(request)
            let all = try await vault.list(tenant: principal.tenant)
            let items = all.dropFirst(page.offset).prefix(page.limit).map { listing -> JSONValue in
                ["name": .string(listing.name), "updated_at": .string(listing.updatedAt)]
            }
            let body: JSONValue = [
                "secrets": .array(Array(items)), "total": .int(Int64(all.count)), "limit": .int(Int64(page.limit)),
                "offset": .int(Int64(page.offset)),
            ]
            return .json(.ok, body.text)
        }
        router.post("/api/v1/secrets/:key") { request, context in
            let principal = try KeyRoutes.principal(context)
            let name = try validName(context)
            let body = try JSONBody(request, allowed: ["value"])
            let value = try body.string("value")!
            do {
                try await vault.set(tenant: principal.tenant, name: name, value: value)
            } catch let failure as SecretVault.Failure {
                throw HTTPError.badRequest(failure.description)
            }
            return HTTPResponse(status: .noContent)
        }
        router.delete("/api/v1/secrets/:key") { _, context in
            let principal = try KeyRoutes.principal(context)
            let name = try validName(context)
            do {
                try await vault.delete(tenant: principal.tenant, name: name)
            } catch SecretVault.Failure.notFound {
                throw HTTPError.notFound("no secret \(JSONText.quote(name))")
            }
            return HTTPResponse(status: .noContent)
        }
    }

    static func validName(_ context: RequestContext) throws -> String {
        let name = context.parameter("key") ?? ""
        guard SecretVault.isValidName(name) else {
            throw HTTPError.badRequest(SecretVault.Failure.invalidName(String(name.prefix(200))).description)
        }
        return name
    }
}
