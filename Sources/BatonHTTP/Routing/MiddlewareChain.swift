/// One route's middleware around its handler, composed once when the router is built, and run
/// one of two ways (SPEC §2.1):
/// - synchronously, while the layers are `HTTPStepMiddleware` whose `before` accepts the request
///   and the handler is an `HTTPSyncHandler`: the answer is `.ready`, with no task and no `async`
///   call per layer;
/// - from the first layer that cannot, through the async chain from that layer inward, which was
///   composed at build time too; the `after` steps of the layers already run follow in the same
///   work, so no step runs twice and none is skipped.
/// Both ways every layer is an error boundary: an error a layer (or the handler) throws is
/// rendered into the response the layers outside it see.
struct MiddlewareChain: Sendable {
    enum Handler: Sendable {
        case sync(HTTPSyncHandler)
        case async(HTTPHandler)
        /// Synchronous when the attempt answers, else the async handler.
        case attempt(HTTPAttemptHandler, otherwise: HTTPHandler)
    }

    /// The leading layers that have steps, outermost first.
    private let steps: [any HTTPStepMiddleware]
    /// The handler, when it is synchronous (or may be) and every layer has steps.
    private let syncHandler: HTTPAttemptHandler?
    /// An attempt's async handler, run inside the layers when the attempt returned nil.
    private let declined: Bounded?
    /// `asyncFrom[i]`: the async chain from layer `i` inward; `asyncFrom[0]` is the whole chain.
    private let asyncFrom: [Bounded]
    private let log: @Sendable (String) -> Void

    init(
        _ middleware: [any HTTPMiddleware], around handler: Handler, log: @escaping @Sendable (String) -> Void
    ) {
        var steps: [any HTTPStepMiddleware] = []
        for layer in middleware {
            guard let step = layer as? any HTTPStepMiddleware else { break }
            steps.append(step)
        }
        self.steps = steps
        let allSteps = steps.count == middleware.count
        let terminal: HTTPHandler
        switch handler {
        case .sync(let handler):
            terminal = { request, context in try handler(request, context) }
            let asAttempt: HTTPAttemptHandler = { request, context in try handler(request, context) }
            syncHandler = allSteps ? asAttempt : nil
            declined = nil
        case .async(let handler):
            terminal = handler
            syncHandler = nil
            declined = nil
        case .attempt(let attempt, let otherwise):
            terminal = { request, context in
                if let response = try attempt(request, context) { return response }
                return try await otherwise(request, context)
            }
            syncHandler = allSteps ? attempt : nil
            declined = MiddlewareChain.boundary(otherwise, log: log)
        }
        // Only the layers with steps can hand over to the async chain, so only their suffixes
        // (and the one after the last of them) are needed.
        var chains: [Bounded] = [MiddlewareChain.boundary(terminal, log: log)]
        for layer in middleware.reversed() {
            let next = chains[chains.count - 1]
            chains.append(
                MiddlewareChain.boundary(
                    { request, context in try await layer.handle(request, context: context, next: next) }, log: log))
        }
        chains.reverse()
        asyncFrom = Array(chains[0...steps.count])
        self.log = log
    }

    /// The chain's answer: `.ready` when it ran to the end without suspending.
    func answer(_ request: HTTPRequest, _ context: RequestContext) -> HTTPAnswer {
        switch walk(from: 0, request, context) {
        case .ready(let response):
            return .ready(response)
        case .pending(let index, let handedOn, let entered):
            // One piece of work, not one `async` closure per layer entered: the rest of the chain,
            // then the entered layers' `after` steps, innermost first.
            // Past the last chain: every layer accepted and the handler's attempt declined.
            let rest = index < asyncFrom.count ? asyncFrom[index] : declined!
            return .pending {
                var response = await rest(request, handedOn)
                for layer in entered { layer.step.after(request, context: layer.context, response: &response) }
                return response
            }
        }
    }

    /// The whole chain's async form (what `answer` hands over to from its first layer).
    func answerAsynchronously(_ request: HTTPRequest, _ context: RequestContext) async -> HTTPResponse {
        await asyncFrom[0](request, context)
    }

    /// How far the synchronous walk got.
    private enum Walk {
        case ready(HTTPResponse)
        /// The async chain from `index` inward is to run with `context`; `entered` are the layers
        /// whose `before` ran, innermost first, each with the context it handed on.
        case pending(index: Int, context: RequestContext, entered: [Entered])

        /// Pending from layer `index`, whose outer layers (`index` of them) are yet to note themselves.
        static func handOver(at index: Int, _ context: RequestContext) -> Walk {
            var entered: [Entered] = []
            entered.reserveCapacity(index)
            return .pending(index: index, context: context, entered: entered)
        }
    }

    private struct Entered: Sendable {
        let step: any HTTPStepMiddleware
        let context: RequestContext
    }

    private func walk(from index: Int, _ request: HTTPRequest, _ context: RequestContext) -> Walk {
        if index < steps.count { return step(steps[index], at: index, request, context) }
        guard let syncHandler else { return .handOver(at: index, context) }
        do {
            guard let response = try syncHandler(request, context) else { return .handOver(at: index + 1, context) }
            return .ready(response)
        } catch {
            return .ready(MiddlewareChain.render(error, request: request, context: context, log: log))
        }
    }

    private func step(
        _ layer: any HTTPStepMiddleware, at index: Int, _ request: HTTPRequest, _ context: RequestContext
    ) -> Walk {
        var inner = context
        do {
            guard try layer.before(request, context: &inner) else { return .handOver(at: index, context) }
        } catch {
            return .ready(MiddlewareChain.render(error, request: request, context: context, log: log))
        }
        switch walk(from: index + 1, request, inner) {
        case .ready(var response):
            layer.after(request, context: inner, response: &response)
            return .ready(response)
        case .pending(let rest, let handedOn, var entered):
            entered.append(Entered(step: layer, context: inner))
            return .pending(index: rest, context: handedOn, entered: entered)
        }
    }

    /// A handler that never throws: its errors are already rendered into the response.
    typealias Bounded = @Sendable (HTTPRequest, RequestContext) async -> HTTPResponse

    /// `handler` with its errors rendered into responses.
    static func boundary(_ handler: @escaping HTTPHandler, log: @escaping @Sendable (String) -> Void) -> Bounded {
        { request, context in
            do {
                return try await handler(request, context)
            } catch {
                return render(error, request: request, context: context, log: log)
            }
        }
    }

    static func render(
        _ error: any Error, request: HTTPRequest, context: RequestContext, log: @Sendable (String) -> Void
    )
        -> HTTPResponse
    {
        if let error = error as? any HTTPResponseError { return error.response }
        // The client learns only that something failed; the details go to the operator's log.
        log(
            "error: \(request.method.rawValue) \(request.path) request_id=\(context.requestID) failed: "
                + String(describing: error))
        return HTTPError.internalError.response
    }
}
